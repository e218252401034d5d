/**
 * logitLens through a real kernel: the top tokens arrive as JSON and their probabilities as float32
 * in a comm buffer; the last row's top tokens are the model's own argmax predictions (computed in the
 * kernel from its logits), and the PNG's cells carry their probabilities' colours.
 */
import assert from "node:assert/strict";
import type { KernelClient } from "../../../tests/kernel/client";
import { decodePng, pixelAt } from "../../../tests/widgets/png-pixels";
import { showView, viewKernel, WireView, wireFields } from "../../../tests/widgets/view-wire";
import { LENS_GRID } from "./snapshot";
import { logitLensSpec } from "./spec";

const TEXT = "The cat sat on the mat. The cat sat on the";

describe("logitLens over the kernel wire", function () {
  this.timeout(120_000);
  let kernel: KernelClient;
  let view: WireView;

  before(async () => {
    kernel = await viewKernel();
    view = await showView(
      kernel,
      logitLensSpec,
      `const llView = lens.logitLens(model, ${JSON.stringify(TEXT)}, { topK: 3 });\nllView`,
    );
  });

  it("rows 0_pre … final_post; the final row's top tokens are the model's argmax predictions", async () => {
    const read = wireFields(logitLensSpec, view.state);
    assert.deepEqual(read("layerLabels"), ["0_pre", "1_pre", "final_post"]);
    const predicted = (await kernel.evaluate(
      `model.toStrTokens((model.forward(${JSON.stringify(TEXT)}).argMax(-1).arraySync() as number[][])[0])`,
    )) as string[];
    assert.deepEqual(
      read("topTokens")[2].map((cells) => cells[0]),
      predicted,
    );
    const probs = read("topProbs")!;
    assert.equal(probs.length, 3 * predicted.length * 3);
    for (let i = 0; i < probs.length; i += 3)
      assert.ok(probs[i] <= 1 && probs[i] >= probs[i + 1] && probs[i + 1] >= probs[i + 2]);
  });

  it("the PNG's final-row cells are on their top probability's colour", async () => {
    const read = wireFields(logitLensSpec, view.state);
    const probs = read("topProbs")!;
    const positions = read("tokens").length;
    const image = await decodePng(view.shown["image/png"] as string);
    const { left, top, cellWidth, cellHeight } = LENS_GRID;
    for (const p of [0, 4, positions - 1]) {
      const best = probs[(2 * positions + p) * 3];
      const expected = [255 + (33 - 255) * best, 255 + (102 - 255) * best, 255 + (172 - 255) * best].map(Math.round);
      assert.deepEqual(pixelAt(image, left + p * cellWidth + 1, top + 2 * cellHeight + 1), expected, `position ${p}`);
    }
  });
});
