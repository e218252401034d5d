/**
 * logitLens's prompt box on the kernel side (fake host): a view made from a model and a text carries the text in its
 * prompt field and a DOM class tag naming its model and top k (what an export with --live reads); a new prompt set
 * there recomputes the grid (the numbers a fresh run of the lens gives), an empty prompt shows an error and keeps the
 * grid, and nothing leaks across repeated prompts, errors included. A lens result or a cache gets no box.
 */
import { strict as assert } from "assert";
import * as path from "path";
import { HookedTransformer, loadModel, logitLens, logitLensHooks, logitLensTopK, tf } from "../..";
import { REPO_ROOT } from "../../../tests/support/paths";
import { installFakeHost, removeFakeHost } from "../../../tests/widgets/fake-host";
import { LOGIT_LENS_VIEW_CLASS, readLensLiveTag } from "./fields";

const TEXT = "The cat sat on the mat. The cat sat on the";
const NEW_PROMPT = "Mr and Mrs Dursley were proud to say that they were";

describe("logitLens's prompt box (kernel side)", function () {
  this.timeout(60_000);
  let model: HookedTransformer;
  before(async () => (model = await loadModel(path.join(REPO_ROOT, "models", "attn-only-2l"))));
  after(() => model?.dispose());
  beforeEach(() => installFakeHost());
  afterEach(() => removeFakeHost());

  it("a view of a text has a prompt box and a live tag naming its model and top k; a cache's view has neither", () => {
    const view = logitLens(model, TEXT, { topK: 3 });
    assert.equal(view.get("prompt"), TEXT);
    const classes = view.get("_dom_classes") as string[];
    assert.ok(classes.includes(LOGIT_LENS_VIEW_CLASS), JSON.stringify(classes));
    assert.deepEqual(readLensLiveTag(classes), { view: "logitLens", model: "attn-only-2l", topK: 3 });
    const { cache } = model.runWithCache(TEXT, { namesFilter: logitLensHooks(2), returnType: "none" });
    try {
      const fromCache = logitLens(model, cache);
      assert.equal(fromCache.get("prompt"), null);
      assert.deepEqual(fromCache.get("_dom_classes"), []);
      assert.throws(() => fromCache.recompute(TEXT), /no prompt box: make it from a model and a text/);
    } finally {
      cache.dispose();
    }
  });

  it("a new prompt recomputes the grid: the lens of that prompt, as a fresh view of it shows", () => {
    const view = logitLens(model, TEXT, { topK: 3 });
    view.set({ prompt: NEW_PROMPT });
    assert.equal(view.lastError, undefined);
    const fresh = logitLens(model, NEW_PROMPT, { topK: 3 });
    for (const key of ["tokens", "top_tokens", "next_tokens", "next_rank", "layer_labels", "top_k"])
      assert.deepEqual(view.get(key), fresh.get(key), key);
    assert.deepEqual(view.get("tokens"), model.tokenizer!.displayStrings(model.toTokens(NEW_PROMPT).arraySync()[0] as number[]));
    const { cache } = model.runWithCache(NEW_PROMPT, { namesFilter: logitLensHooks(2), returnType: "none" });
    const expected = logitLensTopK(model, cache, { topK: 3 }).topProbs.flat(2);
    cache.dispose();
    const probs = Array.from(view.get("top_probs") as Float32Array);
    assert.equal(probs.length, expected.length);
    assert.ok(Math.max(...probs.map((p, i) => Math.abs(p - expected[i]))) < 1e-6, "probabilities");
  });

  it("an empty prompt: one clear error under the box, the grid kept; no tensors leak across prompts and errors", () => {
    const view = logitLens(model, TEXT, { topK: 3 });
    const grid = view.get("top_tokens");
    view.set({ prompt: "" });
    assert.equal(view.get("prompt_error"), "the logit lens needs a prompt: type some text");
    assert.equal(view.lastError, "the logit lens needs a prompt: type some text");
    assert.deepEqual(view.get("top_tokens"), grid, "the grid stays");
    view.set({ prompt: NEW_PROMPT });
    assert.equal(view.get("prompt_error"), "", "the next answer clears the error");
    const before = tf.memory().numTensors;
    const errors = [TEXT, "", NEW_PROMPT, "x".repeat(5000), TEXT].map((prompt) => {
      view.set({ prompt });
      return view.lastError;
    });
    assert.deepEqual(errors.map(Boolean), [false, true, false, true, false]);
    assert.match(errors[3]!, /longer than the model's context/);
    assert.equal(tf.memory().numTensors, before, "tensors after five prompts, two of them errors");
  });
});
