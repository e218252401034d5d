/**
 * headScores through a real kernel: the grid arrives as JSON in the comm_open, a click in the
 * frontend (an update of `selected`) becomes `view.selected` in the kernel, an out-of-range click is
 * refused and the frontend put back, and the PNG shipped with the view frames the selected head.
 */
import assert from "node:assert/strict";
import type { KernelClient } from "../../../tests/kernel/client";
import { decodePng, pixelAt } from "../../../tests/widgets/png-pixels";
import {
  frontendUpdate,
  showView,
  shownBundle,
  updatesOn,
  viewKernel,
  WireView,
  wireFields,
} from "../../../tests/widgets/view-wire";
import { scoresGrid } from "./snapshot";
import { headScoresSpec } from "./spec";

describe("headScores over the kernel wire", function () {
  this.timeout(120_000);
  let kernel: KernelClient;
  let view: WireView;

  before(async () => {
    kernel = await viewKernel();
    view = await showView(
      kernel,
      headScoresSpec,
      `const hsView = lens.headScores({ scores: [[0.1, 0.9], [-0.2, 0.4]], title: "scores", selected: { layer: 0, head: 1 } });
hsView`,
    );
  });

  it("the grid, its scale and the selected head arrive as the spec's fields", () => {
    const read = wireFields(headScoresSpec, view.state);
    assert.deepEqual(read("scores"), [
      [0.1, 0.9],
      [-0.2, 0.4],
    ]);
    // Scores of both signs: the autoscaled colour scale is symmetric about 0, and its title says so.
    assert.deepEqual([read("nLayers"), read("nHeads"), read("valueMin"), read("valueMax")], [2, 2, -0.9, 0.9]);
    assert.equal(read("scaleNote"), "autoscaled: -0.90 … 0.90");
    assert.deepEqual(read("selected"), { layer: 0, head: 1 });
    assert.equal(view.shown["text/plain"], 'HeadScores("scores", 2 layers × 2 heads, selected L0H1)');
  });

  it("a clicked cell (selected from the frontend) is view.selected in the kernel; a head outside the grid is refused", async () => {
    await frontendUpdate(kernel, view.commId, { selected: { layer: 1, head: 0 } });
    assert.deepEqual(await kernel.evaluate("hsView.selected"), { layer: 1, head: 0 });
    const published = await frontendUpdate(kernel, view.commId, { selected: { layer: 2, head: 0 } });
    assert.deepEqual(
      updatesOn(published, view.commId).map((s) => s.selected),
      [{ layer: 1, head: 0 }],
      "the frontend is put back to the kernel's head",
    );
    assert.deepEqual(await kernel.evaluate("hsView.selected"), { layer: 1, head: 0 });
  });

  it("the PNG shipped with the view frames the selected head", async () => {
    const image = await decodePng(shownBundle((await kernel.run("hsView")).outputs)!["image/png"] as string);
    const { left, top, cell } = scoresGrid(2, 2);
    assert.deepEqual(pixelAt(image, left + cell / 2, top + cell - 1), [0, 0, 0], "frame on top of L1H0");
    assert.notDeepEqual(pixelAt(image, left + 1.5 * cell, top + cell - 1), [0, 0, 0], "none on top of L1H1");
  });
});
