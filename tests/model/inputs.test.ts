/**
 * Bad input to a model gets one error that names what is wrong (the value and where it is, the hook, the option),
 * and leaves no tensors behind: token ids, hook lists and hook results, generate options, disposed models and
 * caches, and text for a model without a tokenizer.
 */
import { strict as assert } from "assert";
import * as path from "path";
import { ActivationCache, HookedTransformer, HookName, loadModel, tf } from "../../src";
import { REPO_ROOT } from "../support/paths";

const GPT2 = path.join(REPO_ROOT, "tests", "fixtures", "models", "gpt2-tiny");

/** Asserts that `run` throws an error matching `pattern` and leaves the tensor count as it was. */
function throwsCleanly(run: () => unknown, pattern: RegExp, what = String(pattern)): void {
  const before = tf.memory().numTensors;
  assert.throws(run, pattern, what);
  assert.equal(tf.memory().numTensors, before, `tensors left after: ${what}`);
}

describe("model inputs: errors name what is wrong", function () {
  this.timeout(60_000);
  let model: HookedTransformer;
  before(async () => {
    model = await loadModel(GPT2);
  });
  after(() => model?.dispose());

  it("token ids that are not integers are rejected with the value and its [row, col], not truncated", () => {
    throwsCleanly(() => model.forward([[0, 1.5]]), /token id 1\.5 at \[0, 1\] is not an integer/);
    throwsCleanly(
      () =>
        model.forward([
          [0, 3],
          [4, NaN],
        ]),
      /token id NaN at \[1, 1\] is not a number/,
    );
    throwsCleanly(() => model.forward([[Infinity, 3]]), /token id Infinity at \[0, 0\] is not finite/);
    throwsCleanly(() => model.forward([[0, "7" as unknown as number]]), /token id a string \("7"\) at \[0, 1\] is a string/);
    const floats = tf.tensor2d([[0, 2.5]]); // float32
    throwsCleanly(() => model.forward(floats), /token id 2\.5 at \[0, 1\] is not an integer/);
    throwsCleanly(() => model.loss(floats), /token id 2\.5 at \[0, 1\]/);
    floats.dispose();
  });

  it("toStrTokens and toString check ids the same way", async () => {
    const withTokenizer = await loadModel(path.join(REPO_ROOT, "tests", "fixtures", "models", "llama-tiny-tokenizer"));
    try {
      throwsCleanly(() => withTokenizer.toStrTokens([3, 0.5]), /token id 0\.5 at \[1\] is not an integer/);
      throwsCleanly(() => withTokenizer.toString([3, 320]), /token id 320 at \[1\] is outside the vocabulary \[0, 320\)/);
      const batch = tf.tensor2d(
        [
          [1, 2],
          [3, 4],
        ],
        undefined,
        "int32",
      );
      throwsCleanly(() => withTokenizer.toStrTokens(batch), /toStrTokens takes one sequence, got tokens of shape \[2,2\]/);
      batch.dispose();
    } finally {
      withTokenizer.dispose();
    }
  });

  it("a token id of 2^31 is reported as 2147483648 (checked before the int32 cast), not −2147483648", () => {
    throwsCleanly(() => model.forward([[0, 2 ** 31]]), /token id 2147483648 at \[0, 1\] is outside the vocabulary \[0, 96\)/);
    throwsCleanly(() => model.runWithCache([[2 ** 31 + 5]]), /token id 2147483653 at \[0, 0\] is outside/);
    throwsCleanly(() => model.generate([[1, -1]], { maxNewTokens: 1 }), /token id -1 at \[0, 1\] is outside the vocabulary/);
  });

  it("ragged rows name the row; one row of ids is one sequence", () => {
    throwsCleanly(
      () =>
        model.forward([
          [1, 2, 3],
          [4, 5],
        ]),
      /row 0 has 3 ids, row 1 has 2/,
    );
    const logits = model.forward([1, 2, 3]);
    assert.deepEqual(logits.shape, [1, 3, 96]);
    logits.dispose();
  });

  it("a hook that returns a non-tensor names the hook point, what it returned and the shape to return", () => {
    const hooked = (fn: () => unknown) => () =>
      model.runWithHooks([[1, 2]], { fwdHooks: [["blocks.0.attn.hook_z", fn as () => tf.Tensor]] });
    throwsCleanly(
      hooked(() => 3),
      /hook on blocks\.0\.attn\.hook_z returned a number \(3\); return a tf\.Tensor of shape \[1,2,4,8\] or nothing/,
    );
    throwsCleanly(
      hooked(() => [1, 2]),
      /hook on blocks\.0\.attn\.hook_z returned an array of 2; return a tf\.Tensor/,
    );
    throwsCleanly(
      hooked(() => Promise.resolve()),
      /returned a Promise \(hooks and metrics must be synchronous\)/,
    );
    throwsCleanly(
      hooked(() => ({ shape: [1, 2, 4, 8] })),
      /returned an object \(Object\)/,
    );
    const gone = tf.zeros([1, 2, 4, 8]);
    gone.dispose();
    throwsCleanly(
      hooked(() => gone),
      /hook on blocks\.0\.attn\.hook_z returned a disposed tensor/,
    );
  });

  it("fwdHooks that are missing, not a list, or not [name, fn] pairs get a clear error (runWithHooks, runWithCache, runFromLayer)", () => {
    const run = (options: unknown) => () => model.runWithHooks("x" as never, options as never);
    throwsCleanly(() => model.runWithHooks([[1]], {} as never), /runWithHooks's fwdHooks must be a list of \[hook name or/);
    throwsCleanly(
      run(undefined),
      /runWithHooks\(input, \{ fwdHooks: \[\[hookName, fn\], …\] \}\) needs options with fwdHooks, got undefined/,
    );
    throwsCleanly(
      () => model.runWithHooks([[1]], { fwdHooks: [["blocks.0.attn.hook_z"]] as never }),
      /runWithHooks's fwdHooks\[0\] must be a \[hook name or predicate, function\] pair, got an array of 1/,
    );
    throwsCleanly(
      () => model.runWithHooks([[1]], { fwdHooks: [[5, () => {}]] as never }),
      /fwdHooks\[0\]\[0\] must be a hook name or a \(name\) => boolean predicate, got a number \(5\)/,
    );
    throwsCleanly(
      () => model.runWithHooks([[1]], { fwdHooks: [["blocks.0.attn.hook_z", "zero"]] as never }),
      /fwdHooks\[0\]\[1\] \(the hook on blocks\.0\.attn\.hook_z\) must be a function, got a string/,
    );
    throwsCleanly(() => model.runWithCache([[1]], { fwdHooks: {} as never }), /runWithCache's fwdHooks must be a list/);
    const resid = tf.zeros([1, 2, 32]);
    throwsCleanly(() => model.runFromLayer(resid, 1, { fwdHooks: "x" as never }), /runFromLayer's fwdHooks must be a list/);
    resid.dispose();
  });

  it("a namesFilter that is not a name, a list of names or a predicate is named", () => {
    throwsCleanly(
      () => model.runWithCache([[1]], { namesFilter: 5 as never }),
      /runWithCache's namesFilter must be a hook name, a list of names or a \(name\) => boolean predicate, got a number \(5\)/,
    );
    throwsCleanly(
      () => model.runWithCache([[1]], { namesFilter: ["hook_embed", 3] as never }),
      /namesFilter\[1\] must be a hook name/,
    );
  });

  it("every generate option is checked and named", () => {
    const cases: [object, RegExp][] = [
      [{ temperature: -1 }, /generate option temperature must be a finite number ≥ 0 \(0 = greedy\), got a number \(-1\)/],
      [{ temperature: NaN }, /option temperature must be a finite number/],
      [{ temperature: Infinity }, /option temperature must be a finite number/],
      [{ maxNewTokens: -5 }, /generate option maxNewTokens must be a non-negative integer, got a number \(-5\)/],
      [{ maxNewTokens: 2.5 }, /option maxNewTokens must be a non-negative integer/],
      [{ maxNewTokens: "3" }, /option maxNewTokens must be a non-negative integer, got a string/],
      [{ topK: 0 }, /generate option topK must be an integer in 1…96 \(the vocabulary size\), got a number \(0\)/],
      [{ topK: 97 }, /option topK must be an integer in 1…96/],
      [{ seed: 1.5 }, /generate option seed must be an integer, got a number \(1\.5\)/],
      [{ stopAtEos: "no" }, /generate option stopAtEos must be true or false/],
      [{ useKvCache: 0 }, /generate option useKvCache must be true or false/],
      [{ maxTokens: 5 }, /generate has no option "maxTokens" \(its options: prependBos, truncate, maxNewTokens/],
    ];
    for (const [options, pattern] of cases)
      throwsCleanly(() => model.generate([[1, 2]], options as never), pattern, JSON.stringify(options));
    const out = model.generate([[1, 2]], { maxNewTokens: 0 });
    assert.deepEqual(out.arraySync(), [[1, 2]], "maxNewTokens 0 adds nothing");
    out.dispose();
  });

  it("text for a model without a tokenizer names the folder, the missing file and what to pass instead", () => {
    for (const run of [
      () => model.toTokens("hi"),
      () => model.forward("hi"),
      () => model.toStrTokens([1, 2]),
      () => model.toString([1]),
    ])
      throwsCleanly(
        run,
        new RegExp(
          `this model has no tokenizer: ${GPT2.replace(/[.*+?^${}()|[\]\\/]/g, "\\$&")} has no tokenizer\\.json \\(nor a GPT-2 style vocab\\.json \\+ merges\\.txt\\).*Pass token ids instead: a number\\[\\]\\[\\] \\[batch, pos\\] or an int32 tensor`,
        ),
      );
  });
});

describe("disposed models and caches say so", function () {
  this.timeout(60_000);

  it("every public method and getter of a disposed HookedTransformer says it was disposed", async () => {
    const model = await loadModel(GPT2);
    const { logits, cache } = model.runWithCache([[1, 2]]);
    logits.dispose();
    cache.dispose();
    const resid = tf.zeros([1, 2, 32]);
    const tokens = tf.tensor2d([[1, 2]], undefined, "int32");
    model.dispose();
    model.dispose(); // twice is fine
    const calls: [string, () => unknown][] = [
      ["hookNames", () => model.hookNames()],
      ["param", () => model.param("embed.W_E")],
      ["paramNames", () => model.paramNames()],
      ["setParams", () => model.setParams(new Map())],
      ["deleteParams", () => model.deleteParams([])],
      ["toTokens", () => model.toTokens("a")],
      ["toStrTokens", () => model.toStrTokens([1])],
      ["toString", () => model.toString([1])],
      ["inputTokens", () => model.inputTokens([[1]])],
      ["forward", () => model.forward([[1]])],
      ["runWithHooks", () => model.runWithHooks([[1]], { fwdHooks: [] })],
      ["runFromLayer", () => model.runFromLayer(resid, 0)],
      ["loss", () => model.loss(tokens)],
      ["runWithCache", () => model.runWithCache([[1]])],
      ["generate", () => model.generate([[1]], { maxNewTokens: 1 })],
      ["stacked", () => model.stacked("W_O")],
      ...(
        [
          "W_Q",
          "W_K",
          "W_V",
          "W_O",
          "b_Q",
          "b_K",
          "b_V",
          "b_O",
          "W_in",
          "W_out",
          "b_in",
          "b_out",
          "W_gate",
          "W_E",
          "W_pos",
          "W_U",
          "b_U",
        ] as const
      ).map((name): [string, () => unknown] => [name, () => model[name]]),
    ];
    for (const [name, call] of calls) assert.throws(call, /this model was disposed/, name);
    await assert.rejects(model.save(path.join(REPO_ROOT, "never-written")), /this model was disposed/);
    tf.dispose([resid, tokens]);
  });

  it("every method of a disposed ActivationCache says it was disposed", async () => {
    const model = await loadModel(GPT2);
    try {
      const { logits, cache } = model.runWithCache([[1, 2]]);
      logits.dispose();
      const stack = tf.zeros([1, 1, 2, 32]);
      cache.dispose();
      cache.dispose();
      const calls: [string, () => unknown][] = [
        ["get", () => cache.get("hook_embed")],
        ["has", () => cache.has("hook_embed")],
        ["add", () => cache.add("x" as HookName, stack)],
        ["keys", () => cache.keys()],
        ["size", () => cache.size],
        ["accumulatedResid", () => cache.accumulatedResid()],
        ["decomposeResid", () => cache.decomposeResid()],
        ["computeHeadResults", () => cache.computeHeadResults()],
        ["stackHeadResults", () => cache.stackHeadResults()],
        ["stackNeuronResults", () => cache.stackNeuronResults()],
        ["getFullResidDecomposition", () => cache.getFullResidDecomposition()],
        ["stackActivation", () => cache.stackActivation("hook_resid_pre")],
        ["applyLnToStack", () => cache.applyLnToStack(stack)],
        ["logitAttrs", () => cache.logitAttrs(stack, 1)],
      ];
      for (const [name, call] of calls) assert.throws(call, /this ActivationCache was disposed/, name);
      stack.dispose();
    } finally {
      model.dispose();
    }
  });

  it("patching with a disposed clean cache says the cache was disposed, not that it lacks an activation", async () => {
    const model = await loadModel(GPT2);
    try {
      const { logits, cache } = model.runWithCache([[1, 2, 3]]);
      logits.dispose();
      cache.dispose();
      const { getActPatchResidPre } = await import("../../src");
      await assert.rejects(
        getActPatchResidPre(model, [[1, 2, 4]], cache as ActivationCache, (l) => l.mean(), { progress: false }),
        /this ActivationCache was disposed/,
      );
    } finally {
      model.dispose();
    }
  });
});
