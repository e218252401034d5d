/**
 * repeatedSequence and repeatedSequenceScores (what the inductionHeads view shows): a prompt followed by itself or
 * random tokens twice; one run's previous-token and induction scores equal detectHead's on those tokens, the patterns
 * equal the run's hook_pattern, and on the embedded model they find its previous-token head in layer 0 and its
 * induction head in layer 1. The caller owns the patterns; nothing else is left behind.
 */
import { strict as assert } from "assert";
import * as path from "path";
import * as lens from "../../src";
import { HookedTransformer, loadModel, tf } from "../../src";
import { REPO_ROOT } from "../support/paths";

const PROMPT = "the cat sat on the mat";

/** The largest difference between two grids of the same shape. */
function maxDiff(a: number[][], b: number[][]): number {
  return Math.max(...a.flatMap((row, l) => row.map((v, h) => Math.abs(v - b[l][h]))));
}

describe("repeated sequences and their head scores", function () {
  this.timeout(60_000);
  let model: HookedTransformer;
  before(async () => (model = await loadModel("attn-only-2l")));
  after(() => model?.dispose());

  it("repeatedSequence: a prompt's tokens (BOS first) then the same without BOS; random tokens twice by default", () => {
    const [row] = lens.repeatedSequence(model, { prompt: PROMPT });
    const once = model.toStrTokens(PROMPT); // [BOS, the, cat, …]
    assert.equal(row.length, 2 * once.length - 1);
    assert.deepEqual(model.toStrTokens(row), [...once, ...once.slice(1)]);
    assert.deepEqual(lens.repeatedSequence(model), lens.repeatedRandomTokens(model, { seqLen: 20, batch: 1, seed: 0 }));
    const [random] = lens.repeatedSequence(model, { seqLen: 7, seed: 4 });
    assert.deepEqual(random, lens.repeatedRandomTokens(model, { seqLen: 7, batch: 1, seed: 4 })[0]);
    assert.deepEqual(random.slice(1, 8), random.slice(8), "the second half repeats the first");
  });

  it("repeatedSequence refuses an empty prompt and one that does not fit the context twice", () => {
    assert.throws(
      () => lens.repeatedSequence(model, { prompt: "  " }),
      /prompt must be a text with at least one token, got " {2}"/,
    );
    assert.throws(
      () => lens.repeatedSequence(model, { prompt: "word ".repeat(50) }),
      /the prompt repeated is \d+ tokens, more than the model's context \(256\)/,
    );
    assert.throws(() => lens.repeatedSequence(model, { seqLen: 200 }), /exceed the model's context nCtx = 256/);
  });

  it("repeatedSequenceScores: detectHead's scores on those tokens, the run's patterns, the tokens' text; patterns are the caller's", () => {
    lens.tf.dispose(lens.repeatedSequenceScores(model).patterns); // builds the model's fused weights once
    const before = tf.memory().numTensors;
    for (const options of [{}, { prompt: PROMPT }, { seqLen: 9, seed: 3 }]) {
      const rows = lens.repeatedSequence(model, options);
      const got = lens.repeatedSequenceScores(model, options);
      try {
        assert.deepEqual(got.tokens, rows[0]);
        assert.deepEqual(got.strTokens, model.toStrTokens(rows[0]));
        const previous = lens.detectHead(model, rows, "previous_token_head"); // its own run of the rows
        const induction = lens.detectHead(model, rows, "induction_head");
        assert.ok(maxDiff(got.previousToken, previous) < 1e-6, `${JSON.stringify(options)}: previous-token scores`);
        assert.ok(maxDiff(got.induction, induction) < 1e-6, `${JSON.stringify(options)}: induction scores`);
        const { cache } = model.runWithCache(rows, { namesFilter: (n) => n.endsWith("hook_pattern"), returnType: "none" });
        got.patterns.forEach((pattern, l) => {
          const run = cache.get(`blocks.${l}.attn.hook_pattern`);
          assert.deepEqual(pattern.shape, [1, model.cfg.nHeads, rows[0].length, rows[0].length]);
          const diff = tf.tidy(() => pattern.sub(run).abs().max().dataSync()[0]);
          assert.ok(diff < 1e-6, `layer ${l} patterns differ by ${diff}`);
        });
        cache.dispose();
      } finally {
        tf.dispose(got.patterns);
      }
    }
    assert.equal(tf.memory().numTensors, before, "nothing left once the patterns are disposed");
  });

  it("on random tokens repeated, a layer-0 head attends to the previous token and a layer-1 head inducts", () => {
    const got = lens.repeatedSequenceScores(model, { seqLen: 30, seed: 5 });
    tf.dispose(got.patterns);
    const best = (grid: number[][], layer: number) => Math.max(...grid[layer]);
    assert.ok(best(got.previousToken, 0) > 0.8, `layer-0 previous-token ${JSON.stringify(got.previousToken[0])}`);
    // Half the queries (the first copy) have nothing to induct from, so a perfect induction head scores about 0.5.
    assert.ok(best(got.induction, 1) > 0.3, `layer-1 induction ${JSON.stringify(got.induction[1])}`);
    assert.ok(best(got.induction, 1) > 3 * best(got.induction, 0), `induction: ${JSON.stringify(got.induction)}`);
  });

  it("a model without a tokenizer scores random tokens (no text) and refuses a prompt", async () => {
    const noTokenizer = await loadModel(path.join(REPO_ROOT, "tests", "fixtures", "models", "gpt2-tiny"));
    try {
      const got = lens.repeatedSequenceScores(noTokenizer, { seqLen: 6 });
      tf.dispose(got.patterns);
      assert.equal(got.strTokens, undefined);
      assert.equal(got.tokens.length, 12, "no BOS without a tokenizer");
      assert.equal(got.induction.length, noTokenizer.cfg.nLayers);
      assert.throws(() => lens.repeatedSequence(noTokenizer, { prompt: PROMPT }), /this model has no tokenizer/);
    } finally {
      noTokenizer.dispose();
    }
  });
});
