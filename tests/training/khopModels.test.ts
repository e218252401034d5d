/**
 * The k-hop training code and the shipped models of notebook 08: a short run lowers the loss without leaking tensors,
 * the first-hop lens loss enters the loss and frees what it caches, the written tokenizer maps the task's names to its
 * ids, and the shipped models load with loadModel and answer as their card says (one layer: chance; two layers: one
 * hop; three layers: two hops).
 */
import { strict as assert } from "assert";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { initBackend, loadModel, tf } from "../../src";
import { configFromJson } from "../../src/loading/config";
import { Tokenizer } from "../../src/tokenizer";
import { writeTokenizer } from "../../training/khop/card";
import { rng } from "../../training/data";
import { KHOP_SPEC, khopTestSet, khopVocab, sampleKhopBatch } from "../../training/khop/task";
import { accuracyByK, firstHops, KHOP_DIR, KHOP_MODELS, KHOP_RECIPE, khopConfig, trainKhop } from "../../training/khop/train";

describe("k-hop models", function () {
  this.timeout(120_000);
  before(() => initBackend());

  it("a short run lowers the loss and leaves no tensors behind but its parameters", () => {
    const recipe = { ...KHOP_RECIPE, steps: 60, warmup: 5, batch: 16, logEvery: 30, validationContexts: 6 };
    const cfg = configFromJson(khopConfig(KHOP_MODELS[0], recipe), "khop/test");
    const before = tf.memory().numTensors;
    const { params, curve } = trainKhop(cfg, recipe);
    assert.deepEqual(
      curve.map((p) => p.step),
      [30, 60],
    );
    assert.ok(curve[1].loss < curve[0].loss, `loss ${curve[0].loss} → ${curve[1].loss}`);
    for (const p of curve)
      assert.ok(
        p.accuracy.every((a) => a >= 0 && a <= 1),
        JSON.stringify(p.accuracy),
      );
    assert.ok(params.has("unembed.W_U") && params.has("blocks.0.attn.W_Q"), [...params.keys()].join(", "));
    assert.equal(tf.memory().numTensors, before + params.size, "only the parameters remain");
    for (const p of params.values()) p.dispose();
  });

  it("firstHops gives, for every question, the symbol one link after its query (the k = 1 answer)", () => {
    const batch = sampleKhopBatch(rng(5), 8, [1]);
    const nLinks = KHOP_SPEC.cycles.reduce((a, b) => a + b, 0);
    assert.deepEqual([...firstHops(batch.tokens, batch.batch, batch.length, nLinks, batch.positions)], [...batch.answers]);
    const broken = Int32Array.from(batch.tokens);
    broken[batch.positions[0]] = khopVocab().separator; // a query that is no linked symbol
    assert.throws(
      () => firstHops(broken, batch.batch, batch.length, nLinks, batch.positions),
      new RegExp(`query at ${batch.positions[0]} of context 0 links nowhere`),
    );
  });

  it("the first-hop lens loss adds the lens's cross-entropy to the first step's loss and leaves no tensors behind", () => {
    const depth3 = KHOP_MODELS.find((m) => m.name === "depth-3")!;
    const cfg = configFromJson(khopConfig(depth3, KHOP_RECIPE), "khop/test");
    const firstLoss = (firstHopLensWeight: number) => {
      const recipe = { ...KHOP_RECIPE, steps: 2, warmup: 1, batch: 8, logEvery: 1, validationContexts: 3, firstHopLensWeight };
      const before = tf.memory().numTensors;
      const { params, curve } = trainKhop(cfg, recipe);
      assert.equal(tf.memory().numTensors, before + params.size, "only the parameters remain");
      for (const p of params.values()) p.dispose();
      return curve[0].loss;
    };
    // the same seed, the same first batch and parameters: the lens term alone separates the two (about ln 29 ≈ 3.4)
    const [without, withLens] = [firstLoss(0), firstLoss(1)];
    assert.ok(withLens - without > 2 && withLens - without < 5, `loss ${without} without the lens, ${withLens} with it`);
  });

  it("the written tokenizer gives each name of the task its id, with <bos> as BOS", () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "khop-tokenizer-"));
    writeTokenizer(dir);
    const tokenizer = Tokenizer.fromFolder(dir);
    const vocab = khopVocab();
    assert.equal(tokenizer.bosTokenId, vocab.bos);
    assert.equal(tokenizer.vocabSize, vocab.names.length);
    const text = "<bos> A X ; 3 B";
    assert.deepEqual(tokenizer.encode(text), [vocab.bos, 0, 23, vocab.separator, vocab.hop[3], 1]);
    assert.deepEqual(tokenizer.tokenStrings(tokenizer.encode(text)), text.split(" "));
  });

  it("the shipped models load with loadModel; depth-3 answers two hops, depth-2 one, depth-1 is at chance", async () => {
    const test = khopTestSet(77, 60); // 80 questions per k
    const accuracy = new Map<string, number[]>();
    for (const name of ["depth-1", "depth-2", "depth-3"]) {
      const model = await loadModel(path.join(KHOP_DIR, name), { progress: false });
      try {
        assert.equal(model.cfg.dVocab, khopVocab().names.length);
        const params = new Map(model.paramNames().map((p) => [p, model.param(p)]));
        accuracy.set(name, accuracyByK(model.cfg, params, test));
        assert.deepEqual(model.toStrTokens("A B ; 2 A"), ["<bos>", "A", "B", ";", "2", "A"]);
      } finally {
        model.dispose();
      }
    }
    const [d1, d2, d3] = [accuracy.get("depth-1")!, accuracy.get("depth-2")!, accuracy.get("depth-3")!];
    assert.ok(d2[0] >= 0.95, `depth-2, k = 1: ${d2[0]}`);
    assert.ok(d1.every((a) => a < 0.25) && d2[1] < 0.25, `depth-1 ${d1}, depth-2 k = 2 ${d2[1]}`);
    assert.ok(d3[0] >= 0.95 && d3[1] >= 0.9 && d3[2] < 0.25, `depth-3 ${d3}`);
  });
});
