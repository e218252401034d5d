/**
 * testPrompt (TransformerLens's test_prompt as data): each answer token's rank, logit and probability and the top k
 * agree with a plain forward pass of prompt + answer; bad input gets one error naming it; no tensors are left behind.
 */
import { strict as assert } from "assert";
import * as path from "path";
import { HookedTransformer, loadModel, testPrompt, tf } from "../../src";
import { REPO_ROOT } from "../support/paths";

const MODEL = path.join(REPO_ROOT, "tests", "fixtures", "models", "llama-tiny-tokenizer");

describe("testPrompt", function () {
  this.timeout(60_000);
  let model: HookedTransformer;
  before(async () => {
    model = await loadModel(MODEL);
  });
  after(() => model?.dispose());

  /** Logits [pos][d_vocab] of `text` from a plain forward pass. */
  const logitsOf = (text: string): number[][] => {
    const tokens = model.toTokens(text);
    const logits = model.forward(tokens);
    const rows = (logits.arraySync() as number[][][])[0];
    tf.dispose([tokens, logits]);
    return rows;
  };

  it("scores the answer token as a forward pass of prompt + answer does: rank, logit, probability, top k", () => {
    const result = testPrompt(model, "The cat sat on the", "mat", { topK: 4 });
    const full = model.toStrTokens("The cat sat on the mat");
    assert.deepEqual(result.strTokens, full, "prompt and answer tokenised together, a space put before the answer");
    assert.equal(result.promptLength, model.toStrTokens("The cat sat on the").length);
    const logits = logitsOf("The cat sat on the mat");
    assert.equal(result.answer.length, full.length - result.promptLength);
    for (const [i, a] of result.answer.entries()) {
      const row = logits[result.promptLength - 1 + i]; // the prediction of answer token i
      assert.equal(a.position, result.promptLength + i);
      assert.equal(a.token, full[a.position]);
      assert.ok(Math.abs(a.logit - row[a.id]) < 1e-5, `logit ${a.logit} vs ${row[a.id]}`);
      const max = Math.max(...row);
      const expProb = Math.exp(row[a.id] - max) / row.reduce((sum, v) => sum + Math.exp(v - max), 0);
      assert.ok(Math.abs(a.prob - expProb) < 1e-5, `probability ${a.prob} vs ${expProb}`);
      assert.equal(a.rank, row.filter((v) => v > row[a.id]).length);
      assert.equal(a.top.length, 4);
      assert.equal(a.top[0].id, row.indexOf(max), "the first of the top k is the argmax");
      for (let k = 1; k < 4; k++) assert.ok(a.top[k - 1].logit >= a.top[k].logit, "top k in descending order");
      if (a.rank < 4) assert.equal(a.top[a.rank].id, a.id, "an answer ranked r sits at top[r]");
    }
  });

  it("scores every token of a several-token answer, and keeps the answer as given with prependSpaceToAnswer false", () => {
    const result = testPrompt(model, "Once upon a", " time it was", { topK: 2 });
    assert.ok(result.answer.length >= 3, `several answer tokens: ${JSON.stringify(result.strTokens.slice(result.promptLength))}`);
    assert.equal(result.answer.map((a) => a.token).join(""), " time it was");
    const glued = testPrompt(model, "Once upon a", "time", { prependSpaceToAnswer: false });
    assert.deepEqual(glued.strTokens, model.toStrTokens("Once upon atime"));
    assert.equal(glued.answer[0].top.length, 10, "topK defaults to 10");
  });

  it("gives TransformerLens's printout as summary", () => {
    const result = testPrompt(model, "The cat sat on the", "mat", { topK: 2 });
    const a = result.answer[0];
    const lines = result.summary.split("\n");
    assert.match(lines[0], /^Tokenized prompt: \['<s>', ' The', ' cat'/);
    assert.equal(lines[2], "Performance on answer token:");
    assert.match(
      lines[3],
      new RegExp(`^Rank: ${a.rank} +Logit: +${a.logit.toFixed(2)} Prob: +${(100 * a.prob).toFixed(2)}% Token: \\|${a.token}\\|$`),
    );
    assert.match(lines[4], /^Top 0th token\. Logit: /);
    assert.match(lines[lines.length - 1], /^Ranks of the answer tokens: \[\(' /);
  });

  it("names bad input and leaves no tensors behind", () => {
    testPrompt(model, "The cat", "sat"); // warm up
    const before = tf.memory().numTensors;
    testPrompt(model, "The cat", "sat");
    assert.throws(() => testPrompt(model, "The cat", ""), /testPrompt's answer must be a non-empty text, got/);
    assert.throws(
      () => testPrompt(model, "The cat", "sat", { topK: 0 }),
      /testPrompt option topK must be an integer in 1…\d+, got a number \(0\)/,
    );
    assert.throws(() => testPrompt(model, 3 as never, "sat"), /testPrompt's prompt must be a text, got a number/);
    assert.equal(tf.memory().numTensors, before);
  });
});
