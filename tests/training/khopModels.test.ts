/**
 * The k-hop training code and the shipped models of notebook 08: a short run lowers the loss without leaking tensors,
 * the written tokenizer maps the task's names to its ids, and the shipped models load with loadModel and answer as
 * their card says (two layers: one hop; one layer: chance).
 */
import { strict as assert } from "assert";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { initBackend, loadModel, tf } from "../../src";
import { configFromJson } from "../../src/loading/config";
import { Tokenizer } from "../../src/tokenizer";
import { writeTokenizer } from "../../training/khop/card";
import { khopTestSet, khopVocab } from "../../training/khop/task";
import { accuracyByK, KHOP_DIR, KHOP_MODELS, KHOP_RECIPE, khopConfig, trainKhop } from "../../training/khop/train";

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

  it("the shipped models load with loadModel; depth-2 answers one hop, depth-1 is at chance", async () => {
    const test = khopTestSet(77, 60); // 80 questions per k
    const accuracy = new Map<string, number[]>();
    for (const name of ["depth-1", "depth-2"]) {
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
    const [d1, d2] = [accuracy.get("depth-1")!, accuracy.get("depth-2")!];
    assert.ok(d2[0] >= 0.95, `depth-2, k = 1: ${d2[0]}`);
    assert.ok(d1.every((a) => a < 0.25) && d2[1] < 0.25, `depth-1 ${d1}, depth-2 k = 2 ${d2[1]}`);
  });
});
