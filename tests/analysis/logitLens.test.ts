/**
 * logitLensTopK: the logit lens of one sequence of a run as plain numbers. Its rows are TransformerLens's
 * accumulated_resid(apply_ln=True) unembedded (GPT-2 with LayerNorm, Llama with RMSNorm; fixtures from
 * scripts/fixtures/make_analysis_fixtures.py), its last row is the model's own prediction, it reads the row asked
 * for, and it refuses what it cannot read with errors that say why — leaving no tensors behind.
 */
import { strict as assert } from "assert";
import * as path from "path";
import * as lens from "../../src";
import { HookedTransformer, loadModel, tf } from "../../src";
import { REPO_ROOT } from "../support/paths";
import { tlResults } from "../support/tlFixtures";

const TEXT = "The cat sat on the mat. The cat sat on the";

/**
 * Checks `got` (a lens's top k at every layer and position) against full next-token distributions `expected`
 * [layer][pos][vocab]: each listed probability is the distribution's at that id, and the k listed are its k largest
 * (so a tie may list either id, nothing else).
 */
function assertTopK(got: lens.LogitLensTopK, expected: number[][][], tolerance: number, what: string): void {
  assert.equal(got.topProbs.length, expected.length, `${what}: rows`);
  expected.forEach((layer, l) =>
    layer.forEach((dist, p) => {
      const ids = got.topTokens[l][p];
      const probs = got.topProbs[l][p];
      const largest = [...dist].sort((a, b) => b - a).slice(0, ids.length);
      ids.forEach((id, i) => {
        const at = `${what} ${got.labels[l]} position ${p} rank ${i}`;
        assert.ok(Math.abs(probs[i] - dist[id]) <= tolerance, `${at}: p(${id}) = ${probs[i]}, expected ${dist[id]}`);
        assert.ok(Math.abs(probs[i] - largest[i]) <= tolerance, `${at}: ${probs[i]}, the ${i + 1}th largest is ${largest[i]}`);
      });
      assert.equal(new Set(ids).size, ids.length, `${what}: ids listed once`);
    }),
  );
}

for (const modelName of ["gpt2-tiny", "llama-tiny"]) {
  it(`logitLensTopK of each batch row is TransformerLens's accumulated_resid(apply_ln=True) unembedded: ${modelName}`, async function () {
    this.timeout(60_000);
    const model = await loadModel(path.join(REPO_ROOT, "tests", "fixtures", "models", modelName));
    const tl = await tlResults(modelName);
    const { cache } = model.runWithCache(tl.ints("tokens") as number[][], { returnType: "none" });
    try {
      const stack = tl.get("accumulated_resid.apply_ln"); // [3, batch, pos, d_model]
      for (const row of [0, 1]) {
        const got = lens.logitLensTopK(model, cache, { topK: 4, batchIndex: row });
        assert.deepEqual(got.labels, tl.labels("accumulated_resid.apply_ln"));
        assert.deepEqual(got.tokens, (tl.ints("tokens") as number[][])[row]);
        const expected = tf.tidy(() => {
          const resid = stack.slice([0, row], [-1, 1]).squeeze([1]); // [3, pos, d_model]
          const [n, pos, d] = resid.shape;
          const logits = tf.matMul(resid.reshape([n * pos, d]), model.W_U).add(model.b_U); // [3·pos, vocab]
          return tf.softmax(logits).reshape([n, pos, -1]).arraySync() as number[][][]; // [3, pos, vocab]
        });
        assertTopK(got, expected, 1e-4, `${modelName} row ${row}`);
      }
    } finally {
      cache.dispose();
      tl.dispose();
      model.dispose();
    }
  });
}

describe("logitLensTopK on the embedded model", function () {
  this.timeout(60_000);
  let model: HookedTransformer;
  before(async () => (model = await loadModel("attn-only-2l")));
  after(() => model?.dispose());

  it("the last row is the softmax of the model's own logits; strTokens and topStrTokens are the tokenizer's", () => {
    const { logits, cache } = model.runWithCache(TEXT);
    try {
      const got = lens.logitLensTopK(model, cache, { topK: 3 });
      assert.deepEqual(got.labels, ["0_pre", "1_pre", "final_post"]);
      assert.deepEqual(got.strTokens, model.toStrTokens(TEXT));
      assert.deepEqual(got.tokens, (cache.tokens.arraySync() as number[][])[0]);
      const own = tf.tidy(() => tf.softmax(logits.squeeze([0])).arraySync() as number[][]); // [pos, vocab]
      assertTopK(
        { ...got, labels: ["final_post"], topTokens: [got.topTokens[2]], topProbs: [got.topProbs[2]] },
        [own],
        1e-5,
        "final",
      );
      got.topTokens.forEach((layer, l) =>
        layer.forEach((ids, p) =>
          assert.deepEqual(
            got.topStrTokens![l][p],
            ids.map((id) => model.toStrTokens([id])[0]),
          ),
        ),
      );
      // The embedding row (no attention yet; shortformer positions stay out of the stream) predicts from the current
      // token alone: equal tokens get equal cells.
      const strs = got.strTokens!;
      const first = strs.findIndex((s, i) => strs.indexOf(s, i + 1) > i);
      assert.ok(first >= 0, `the text repeats a token: ${JSON.stringify(strs)}`);
      const again = strs.indexOf(strs[first], first + 1);
      assert.deepEqual(got.topTokens[0][again], got.topTokens[0][first]);
      got.topProbs[0][again].forEach((p, i) => assert.ok(Math.abs(p - got.topProbs[0][first][i]) < 1e-6));
    } finally {
      logits.dispose();
      cache.dispose();
    }
  });

  it("batchIndex reads that row: row 1 of a batch is the lens of that text run alone", () => {
    const texts = ["The cat sat on the mat.", "The dog ran to the car."];
    assert.equal(model.toStrTokens(texts[0]).length, model.toStrTokens(texts[1]).length, "rows of one length (no padding)");
    const batch = model.runWithCache(texts, { returnType: "none" }).cache;
    const alone = model.runWithCache(texts[1], { returnType: "none" }).cache;
    try {
      const fromBatch = lens.logitLensTopK(model, batch, { topK: 2, batchIndex: 1 });
      const single = lens.logitLensTopK(model, alone, { topK: 2 });
      assert.deepEqual(fromBatch.topTokens, single.topTokens);
      assert.deepEqual(fromBatch.strTokens, model.toStrTokens(texts[1]));
      const worst = Math.max(...fromBatch.topProbs.flat(2).map((p, i) => Math.abs(p - single.topProbs.flat(2)[i])));
      assert.ok(worst < 1e-5, `row 1 of the batch vs the text alone: ${worst}`);
      assert.notDeepEqual(lens.logitLensTopK(model, batch, { topK: 2, batchIndex: 0 }).topTokens, single.topTokens);
    } finally {
      batch.dispose();
      alone.dispose();
    }
  });

  it("refuses a bad topK or batchIndex, a batch without batchIndex and a cache without the stream; no tensors left", () => {
    const text = model.runWithCache(TEXT, { returnType: "none" }).cache;
    const batch = model.runWithCache(["a b", "c d"], { returnType: "none" }).cache;
    const patterns = model.runWithCache(TEXT, { namesFilter: (n) => n.endsWith("hook_pattern"), returnType: "none" }).cache;
    try {
      lens.logitLensTopK(model, text); // the model's fused weights are built once, by the first call
      const before = tf.memory().numTensors;
      assert.equal(lens.logitLensTopK(model, text).topTokens[0][0].length, 5, "top 5 by default");
      assert.throws(() => lens.logitLensTopK(model, text, { topK: 0 }), /topK must be an integer in 1…\d+, got 0/);
      assert.throws(() => lens.logitLensTopK(model, text, { topK: 2.5 }), /topK must be an integer/);
      assert.throws(
        () => lens.logitLensTopK(model, text, { batchIndex: 1 }),
        /batchIndex 1 is out of range: the cache holds 1 sequence \(0…0\)/,
      );
      assert.throws(
        () => lens.logitLensTopK(model, batch),
        /the cache holds 2 sequences and the logit lens reads one: pass batchIndex \(0…1\)/,
      );
      assert.throws(
        () => lens.logitLensTopK(model, patterns),
        /reads "blocks\.0\.hook_resid_pre", which this cache does not hold/,
      );
      assert.equal(tf.memory().numTensors, before, "no tensors left behind, errors included");
    } finally {
      [text, batch, patterns].forEach((c) => c.dispose());
    }
  });

  it("a cache kept to logitLensHooks is enough, and gives the full cache's lens", () => {
    const full = model.runWithCache(TEXT, { returnType: "none" }).cache;
    const kept = model.runWithCache(TEXT, { namesFilter: lens.logitLensHooks(model.cfg.nLayers), returnType: "none" }).cache;
    try {
      assert.deepEqual(kept.keys(), ["blocks.0.hook_resid_pre", "blocks.1.hook_resid_pre", "blocks.1.hook_resid_post"]);
      assert.deepEqual(lens.logitLensTopK(model, kept).topTokens, lens.logitLensTopK(model, full).topTokens);
    } finally {
      full.dispose();
      kept.dispose();
    }
  });
});

describe("logitLensTopK on a model that soft-caps its logits (Gemma 2)", function () {
  this.timeout(60_000);
  it("the last row is the softmax of the capped logits the model returns", async () => {
    const model = await loadModel(path.join(REPO_ROOT, "tests/fixtures/models/gemma2-tiny"), { processWeights: false });
    const { logits, cache } = model.runWithCache([[1, 5, 9, 14, 3, 22, 7, 5, 9]]);
    try {
      assert.ok(model.cfg.outputLogitsSoftCap !== undefined, "the fixture caps its logits");
      const got = lens.logitLensTopK(model, cache, { topK: 4 });
      const own = tf.tidy(() => tf.softmax(logits.squeeze([0])).arraySync() as number[][]); // [pos, vocab]
      const last = got.labels.length - 1;
      assertTopK(
        { ...got, labels: ["final_post"], topTokens: [got.topTokens[last]], topProbs: [got.topProbs[last]] },
        [own],
        1e-5,
        "final",
      );
    } finally {
      logits.dispose();
      cache.dispose();
      model.dispose();
    }
  });
});
