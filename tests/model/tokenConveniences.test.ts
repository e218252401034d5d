/**
 * TransformerLens's conveniences around text: generate's string results (no BOS; a list of texts gives a list of
 * texts), toSingleToken, toStrTokens of a list, getTokenPosition; bad input gets one error naming it.
 */
import { strict as assert } from "assert";
import * as path from "path";
import { HookedTransformer, loadModel, tf } from "../../src";
import { REPO_ROOT } from "../support/paths";

const MODEL = path.join(REPO_ROOT, "tests", "fixtures", "models", "llama-tiny-tokenizer");
const PROMPT = "Once upon a time";

/** Asserts that `run` throws an error matching `pattern` and leaves the tensor count as it was. */
function throwsCleanly(run: () => unknown, pattern: RegExp): void {
  const before = tf.memory().numTensors;
  assert.throws(run, pattern);
  assert.equal(tf.memory().numTensors, before, `no tensors left behind by ${pattern}`);
}

describe("text conveniences (TransformerLens semantics)", function () {
  this.timeout(60_000);
  let model: HookedTransformer;
  let bos: number;
  before(async () => {
    model = await loadModel(MODEL);
    bos = model.tokenizer!.bosTokenId!;
  });
  after(() => model?.dispose());

  describe("generate with text", () => {
    it("a text gives the prompt and its continuation without the BOS it prepended", () => {
      const text = model.generate(PROMPT, { maxNewTokens: 5, temperature: 0 });
      const ids = model.generate(model.toTokens(PROMPT), { maxNewTokens: 5, temperature: 0 });
      const row = (ids.arraySync() as number[][])[0];
      ids.dispose();
      assert.equal(row[0], bos, "the token run starts with the BOS");
      assert.ok(!text.startsWith("<s>"), `the text result leaves the BOS out: ${JSON.stringify(text)}`);
      assert.equal(text, model.toString(row.slice(1)));
      assert.ok(text.startsWith(PROMPT), `the prompt comes back first: ${JSON.stringify(text)}`);
    });

    it("with prependBos false nothing is dropped (the first real token stays)", () => {
      const text = model.generate(PROMPT, { maxNewTokens: 3, temperature: 0, prependBos: false });
      const ids = model.generate(model.toTokens(PROMPT, { prependBos: false }), { maxNewTokens: 3, temperature: 0 });
      assert.equal(text, model.toString((ids.arraySync() as number[][])[0]));
      ids.dispose();
    });

    it("a list of texts gives a list of texts, each as the text alone gives it", () => {
      const prompts = ["The cat sat on it", "The dog sat on it"];
      assert.equal(model.toStrTokens(prompts[0]).length, model.toStrTokens(prompts[1]).length, "same length: no padding");
      const many = model.generate(prompts, { maxNewTokens: 4, temperature: 0 });
      assert.ok(Array.isArray(many) && many.every((t) => typeof t === "string"), "strings, not a tensor");
      const alone = prompts.map((p) => model.generate(p, { maxNewTokens: 4, temperature: 0 }));
      assert.deepEqual(many, alone);
      assert.ok(many[0].startsWith("The cat sat on it") && many[1].startsWith("The dog sat on it"));
    });
  });

  describe("toSingleToken", () => {
    it("gives the id of a one-token text (no BOS)", () => {
      const id = model.toSingleToken("cat"); // this tokenizer adds the leading space itself: "cat" → " cat"
      assert.deepEqual(model.toStrTokens([id]), [" cat"]);
      const tokens = model.toTokens("cat", { prependBos: false });
      assert.deepEqual(tokens.arraySync(), [[id]]);
      tokens.dispose();
    });

    it("names the text and its tokens when it is not one token", () => {
      throwsCleanly(
        () => model.toSingleToken("Hello"),
        /toSingleToken: "Hello" is not a single token: it is 6 tokens \(" ", "H",/,
      );
      throwsCleanly(() => model.toSingleToken(""), /toSingleToken: the text "" has no tokens/);
      throwsCleanly(() => model.toSingleToken(5 as never), /toSingleToken takes a text, got a number/);
    });
  });

  describe("toStrTokens of a list", () => {
    it("gives one list of token strings per text, BOS as the model's default or as asked", () => {
      assert.deepEqual(model.toStrTokens(["The cat", " dog"]), [
        ["<s>", " The", " cat"],
        ["<s>", " ", " dog"],
      ]);
      assert.deepEqual(model.toStrTokens(["The cat", "dog"], { prependBos: false }), [[" The", " cat"], [" dog"]]);
      assert.deepEqual(model.toStrTokens(["The cat"]), [model.toStrTokens("The cat")]);
    });

    it("names an item that is not a text", () => {
      assert.throws(() => model.toStrTokens(["a", 3] as never), /toStrTokens: item 1 of the list is a number \(3\), not a text/);
    });
  });

  describe("getTokenPosition", () => {
    const text = "The cat sat on the cat"; // <s> The cat sat on the cat
    it("finds the first or the last occurrence, counting the BOS as TransformerLens does", () => {
      const strs = model.toStrTokens(text);
      assert.equal(strs.indexOf(" cat"), 2);
      assert.equal(strs.lastIndexOf(" cat"), strs.length - 1);
      assert.equal(model.getTokenPosition("cat", text), 2);
      assert.equal(model.getTokenPosition("cat", text, { mode: "first" }), 2);
      assert.equal(model.getTokenPosition("cat", text, { mode: "last" }), strs.length - 1);
      assert.equal(model.getTokenPosition("cat", text, { prependBos: false }), 1);
      assert.equal(model.getTokenPosition(bos, text), 0, "the BOS by id");
    });

    it("takes token ids of one sequence (an array, a row, a [1, pos] tensor)", () => {
      const cat = model.toSingleToken("cat");
      assert.equal(model.getTokenPosition(cat, [7, cat, 9, cat], { mode: "last" }), 3);
      assert.equal(model.getTokenPosition(cat, [[7, cat, 9, cat]]), 1);
      const tokens = model.toTokens(text);
      assert.equal(model.getTokenPosition("cat", tokens, { mode: "last" }), tokens.shape[1] - 1);
      tokens.dispose();
    });

    it("names what is wrong: an absent token, a batch, a multi-token text, a bad mode", () => {
      throwsCleanly(
        () => model.getTokenPosition("dog", text),
        /getTokenPosition: "dog" \(id \d+\) does not occur in the prompt \(7 tokens\)/,
      );
      throwsCleanly(
        () =>
          model.getTokenPosition(5, [
            [1, 2],
            [3, 5],
          ]),
        /getTokenPosition takes one sequence, got a batch of 2/,
      );
      throwsCleanly(() => model.getTokenPosition("Hello", text), /toSingleToken: "Hello" is not a single token/);
      throwsCleanly(
        () => model.getTokenPosition("cat", text, { mode: "middle" as never }),
        /option mode must be "first" or "last", got a string/,
      );
      throwsCleanly(() => model.getTokenPosition("cat", [text, text] as never), /takes one prompt, got a list of texts/);
    });
  });
});
