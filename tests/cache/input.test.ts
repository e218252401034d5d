/**
 * A cache knows its input: cache.tokens (the ids the run read, owned by the cache), cache.strTokens (their text, per
 * batch row) and the place of the padding mask, with no tensor left behind.
 */
import { strict as assert } from "assert";
import * as path from "path";
import { HookedTransformer, loadModel, tf } from "../../src";
import { REPO_ROOT } from "../support/paths";

const FIXTURES = path.join(REPO_ROOT, "tests", "fixtures", "models");

describe("a cache knows its input", function () {
  this.timeout(60_000);
  let model: HookedTransformer; // has a tokenizer
  let noTokenizer: HookedTransformer;
  before(async () => {
    model = await loadModel("attn-only-2l");
    noTokenizer = await loadModel(path.join(FIXTURES, "gpt2-tiny"), { processWeights: false });
  });
  after(() => {
    model?.dispose();
    noTokenizer?.dispose();
  });

  it("text in: cache.tokens holds the ids the model tokenised (BOS included), cache.strTokens their text", () => {
    const texts = ["def f(x):", "return x + 1"];
    const expected = model.toTokens(texts);
    const { cache } = model.runWithCache(texts, { returnType: "none", namesFilter: [] });
    try {
      assert.equal(cache.tokens.dtype, "int32");
      assert.deepEqual(cache.tokens.shape, expected.shape);
      assert.deepEqual(cache.tokens.arraySync(), expected.arraySync());
      assert.equal(cache.tokens.arraySync()[0][0], model.tokenizer!.bosTokenId);
      const rows = expected.arraySync();
      assert.deepEqual(cache.strTokens, [model.toStrTokens(rows[0]), model.toStrTokens(rows[1])]);
      assert.equal(cache.strTokens.length, 2, "one list per batch row");
      assert.equal(cache.strTokens[0].slice(1).join(""), texts[0], "after BOS, the tokens spell the text");
      assert.equal(cache.strTokens, cache.strTokens, "computed once");
      assert.equal(cache.attentionMask, undefined, "no padding: every position is a real token");
    } finally {
      cache.dispose();
      expected.dispose();
    }
  });

  it("tokens in: the cache keeps its own copy; the caller's tensor and the cache's are freed independently", () => {
    const input = tf.tensor2d([[3, 1, 4, 1, 5]], [1, 5], "int32");
    const { cache } = model.runWithCache(input, { returnType: "none", namesFilter: [] });
    assert.notEqual(cache.tokens, input);
    input.dispose();
    assert.deepEqual(cache.tokens.arraySync(), [[3, 1, 4, 1, 5]]);
    const again = model.forward(cache.tokens); // runs the same input again
    assert.deepEqual(again.shape, [1, 5, model.cfg.dVocabOut]);
    again.dispose();
    cache.dispose();
    assert.throws(() => cache.tokens, /this ActivationCache was disposed/);
    assert.throws(() => cache.strTokens, /this ActivationCache was disposed/);
  });

  it("number[][] and float tensors in: int32 ids in the cache", () => {
    const fromRows = model.runWithCache([[7, 8, 9]], { returnType: "none", namesFilter: [] }).cache;
    const floats = tf.tensor2d([[7, 8, 9]]);
    const fromFloats = model.runWithCache(floats, { returnType: "none", namesFilter: [] }).cache;
    try {
      for (const cache of [fromRows, fromFloats]) {
        assert.equal(cache.tokens.dtype, "int32");
        assert.deepEqual(cache.tokens.arraySync(), [[7, 8, 9]]);
      }
    } finally {
      fromRows.dispose();
      fromFloats.dispose();
      floats.dispose();
    }
  });

  it("strTokens of a model without a tokenizer says so; tokens still work", () => {
    const { cache } = noTokenizer.runWithCache([[1, 2, 3]], { returnType: "none", namesFilter: [] });
    try {
      assert.deepEqual(cache.tokens.arraySync(), [[1, 2, 3]]);
      assert.throws(
        () => cache.strTokens,
        /cache\.strTokens needs the model's tokenizer, and this model has none .*use cache\.tokens/,
      );
    } finally {
      cache.dispose();
    }
  });

  it("no tensor is left behind: every input form, with logits and loss, and when a hook throws", () => {
    const run = () => {
      model.runWithCache("a = 1", { returnType: "none" }).cache.dispose();
      const { logits, loss, cache } = model.runWithCache([[5, 6, 7, 8]], { returnType: "both" });
      tf.dispose([logits, loss!]);
      cache.dispose();
      const ids = tf.tensor2d([[5, 6]], [1, 2], "int32");
      const fromIds = model.runWithCache(ids);
      tf.dispose([fromIds.logits, ids]);
      fromIds.cache.dispose();
      const boom = () => {
        throw new Error("boom");
      };
      assert.throws(() => model.runWithCache("a = 1", { fwdHooks: [["blocks.1.hook_resid_pre", boom]] }), /boom/);
    };
    run(); // the first run builds the weights the model keeps
    const before = tf.memory().numTensors;
    for (let i = 0; i < 3; i++) run();
    assert.equal(tf.memory().numTensors, before);
  });
});
