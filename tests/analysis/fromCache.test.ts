/**
 * Analysis from a run's cache: detectHead and inductionScores read the patterns and the tokens a cache already holds
 * (no second run, no tokenising again), and give the numbers they give from the input itself.
 */
import { strict as assert } from "assert";
import * as path from "path";
import * as lens from "../../src";
import { HookedTransformer, loadModel, tf } from "../../src";
import { REPO_ROOT } from "../support/paths";

const PATTERNS = { namesFilter: (n: lens.HookName) => n.endsWith("attn.hook_pattern"), returnType: "none" } as const;

function assertClose(actual: number[][], expected: number[][], what: string): void {
  actual.forEach((row, l) =>
    row.forEach((v, h) => assert.ok(Math.abs(v - expected[l][h]) <= 1e-5, `${what} L${l}H${h}: ${v} vs ${expected[l][h]}`)),
  );
}

describe("analysis from a cache", function () {
  this.timeout(60_000);
  let model: HookedTransformer;
  let noTokenizer: HookedTransformer;
  before(async () => {
    model = await loadModel("attn-only-2l");
    noTokenizer = await loadModel(path.join(REPO_ROOT, "tests", "fixtures", "models", "gpt2-tiny"), { processWeights: false });
  });
  after(() => {
    model?.dispose();
    noTokenizer?.dispose();
  });

  it("detectHead(model, cache, …) scores each batch row of the run as detectHead on the rows does", () => {
    const rows = lens.repeatedRandomTokens(model, { seqLen: 12, batch: 3, seed: 2 });
    const { cache } = model.runWithCache(rows, PATTERNS);
    try {
      for (const head of ["previous_token_head", "induction_head", "duplicate_token_head"] as const) {
        const options = { excludeBos: true };
        assertClose(lens.detectHead(model, cache, head, options), lens.detectHead(model, rows, head, options), head);
      }
      assert.ok(!cache.tokens.isDisposed, "the cache stays the caller's");
    } finally {
      cache.dispose();
    }
  });

  it("a text's cache gives the text's scores; a model without a tokenizer scores its cache too", () => {
    const text = "x = 1\ny = x\nx = 1\ny = x\n";
    const { cache } = model.runWithCache(text, PATTERNS);
    const ids = noTokenizer.runWithCache([[4, 9, 2, 4, 9, 2]], PATTERNS).cache;
    try {
      assertClose(lens.detectHead(model, cache, "induction_head"), lens.detectHead(model, text, "induction_head"), "text");
      const fromIds = lens.detectHead(noTokenizer, ids, "induction_head");
      assertClose(fromIds, lens.detectHead(noTokenizer, [[4, 9, 2, 4, 9, 2]], "induction_head"), "ids");
    } finally {
      cache.dispose();
      ids.dispose();
    }
  });

  it("options.cache must hold the input's tokens (another run's patterns are refused, not scored)", () => {
    const { cache } = model.runWithCache([[5, 6, 7, 5, 6, 7]], PATTERNS);
    try {
      assert.deepEqual(
        lens.detectHead(model, [[5, 6, 7, 5, 6, 7]], "induction_head", { cache }),
        lens.detectHead(model, cache, "induction_head"),
      );
      assert.throws(
        () => lens.detectHead(model, [[5, 6, 7, 5, 6, 8]], "induction_head", { cache }),
        /options\.cache was run on other tokens than the input \(token 5 is 7 there and 8 in the input\); .*detectHead\(model, cache, pattern\)/,
      );
      assert.throws(
        () => lens.detectHead(model, [[5, 6, 7, 5, 6]], "induction_head", { cache }),
        /\(it ran on 6 tokens, the input has 5\)/,
      );
      assert.throws(() => lens.detectHead(model, cache, "induction_head", { cache }), /pass it once/);
    } finally {
      cache.dispose();
    }
  });

  it("inductionScores({ cache }) reads the run's patterns and leaves the cache to the caller", () => {
    const rows = lens.repeatedRandomTokens(model, { seqLen: 15, batch: 4, seed: 3 });
    const { cache } = model.runWithCache(rows, PATTERNS);
    try {
      const before = tf.memory().numTensors;
      const fromCache = lens.inductionScores(model, { seqLen: 15, cache });
      assert.equal(tf.memory().numTensors, before);
      assertClose(fromCache, lens.inductionScores(model, { seqLen: 15, tokens: rows }), "inductionScores");
      assert.ok(Math.max(...fromCache[1]) > 0.5, "attn-only-2l has an induction head in layer 1");
      assert.ok(cache.has("blocks.1.attn.hook_pattern"));
      assert.throws(() => lens.inductionScores(model, { seqLen: 15, cache, tokens: rows }), /tokens or a cache, not both/);
    } finally {
      cache.dispose();
    }
  });
});
