/**
 * logitLens's prompt box through a real kernel: a prompt typed in the frontend (an update of the view's prompt
 * field) makes the kernel run the lens on it and push, parented to that comm_msg, the prompt's tokens, top tokens
 * and probabilities (float32 in a buffer), the numbers lens.logitLensTopK gives in the kernel; an empty prompt comes
 * back as the view's prompt error, the grid left as it was.
 */
import assert from "node:assert/strict";
import type { KernelClient } from "../../../tests/kernel/client";
import { frontendUpdate, showView, updatesOn, viewKernel, wireFields } from "../../../tests/widgets/view-wire";
import { logitLensSpec } from "./spec";

const TEXT = "The cat sat on the mat. The cat sat on the";
const PROMPT = "Mr and Mrs Dursley were proud to say that they were";

describe("logitLens's prompt box over the kernel wire", function () {
  this.timeout(120_000);
  let kernel: KernelClient;
  let commId: string;

  before(async () => {
    kernel = await viewKernel();
    ({ commId } = await showView(
      kernel,
      logitLensSpec,
      `const llBox = lens.logitLens(model, ${JSON.stringify(TEXT)}, { topK: 3 });\nllBox`,
    ));
  });

  it("a typed prompt: the kernel pushes that prompt's lens (tokens, top tokens, probabilities) within the comm_msg", async () => {
    const published = await frontendUpdate(kernel, commId, { prompt: PROMPT });
    const update = updatesOn(published, commId).find((s) => s.top_probs);
    assert.ok(update, "an update with the new probabilities");
    const read = wireFields(logitLensSpec, update);
    const expected = (await kernel.evaluate(`(() => {
      const { cache } = model.runWithCache(${JSON.stringify(PROMPT)}, { namesFilter: lens.logitLensHooks(2), returnType: "none" });
      const topK = lens.logitLensTopK(model, cache, { topK: 3 });
      cache.dispose();
      return { tokens: topK.tokens, top: topK.topTokens.map((l) => l.map((c) => c[0])), probs: topK.topProbs.flat(2) };
    })()`)) as { tokens: number[]; top: number[][]; probs: number[] };
    assert.deepEqual(
      read("tokens"),
      (await kernel.evaluate(`model.tokenizer.displayStrings(${JSON.stringify(expected.tokens)})`)) as string[],
    );
    const shownTop = read("topTokens").map((layer) => layer.map((cells) => cells[0]));
    const expectedTop = (await kernel.evaluate(
      `${JSON.stringify(expected.top)}.map((l) => model.tokenizer.displayStrings(l))`,
    )) as string[][];
    assert.deepEqual(shownTop, expectedTop);
    const probs = Array.from(read("topProbs")!);
    assert.equal(probs.length, expected.probs.length);
    assert.ok(Math.max(...probs.map((p, i) => Math.abs(p - expected.probs[i]))) < 1e-6, "probabilities");
    assert.equal(await kernel.evaluate("llBox.get('prompt')"), PROMPT);
  });

  it("an empty prompt: the kernel answers with the view's prompt error and leaves the grid", async () => {
    const published = await frontendUpdate(kernel, commId, { prompt: "" });
    const updates = updatesOn(published, commId);
    assert.deepEqual(
      updates.map((s) => s.prompt_error),
      ["the logit lens needs a prompt: type some text"],
    );
    assert.ok(
      updates.every((s) => s.top_probs === undefined),
      "no new grid",
    );
  });
});
