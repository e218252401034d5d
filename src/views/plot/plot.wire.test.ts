/**
 * plot through a real kernel: the figure arrives as JSON beside the widget's own Layout reference,
 * update() sends the new traces as an update parented to its cell, and the PNG draws the bars.
 */
import assert from "node:assert/strict";
import type { KernelClient } from "../../../tests/kernel/client";
import { decodePng } from "../../../tests/widgets/png-pixels";
import { showView, updatesOn, viewKernel, WireView, wireFields } from "../../../tests/widgets/view-wire";
import { plotSpec } from "./spec";

describe("plot over the kernel wire", function () {
  this.timeout(120_000);
  let kernel: KernelClient;
  let view: WireView;

  before(async () => {
    kernel = await viewKernel();
    view = await showView(
      kernel,
      plotSpec,
      `const plView = lens.plot({ data: [{ type: "bar", x: ["a", "b"], y: [2, 1] }], layout: { title: { text: "t" } } });\nplView`,
    );
  });

  it("the figure arrives as the spec's fields; the DOM widget's layout is a Layout model reference", () => {
    const read = wireFields(plotSpec, view.state);
    assert.deepEqual(read("figureData"), [{ type: "bar", x: ["a", "b"], y: [2, 1] }]);
    assert.deepEqual(read("figureLayout"), { title: { text: "t" } });
    assert.match(String(view.state.layout), /^IPY_MODEL_/);
  });

  it("update() in a later cell sends only the new traces", async () => {
    const { outputs } = await kernel.run(`plView.update({ data: [{ type: "scatter", y: [1, 4, 9] }] });`);
    assert.deepEqual(updatesOn(outputs, view.commId), [{ figure_data: [{ type: "scatter", y: [1, 4, 9] }] }]);
  });

  it("the PNG shipped with the view draws its bars in plotly's first colour", async () => {
    const image = await decodePng(view.shown["image/png"] as string);
    let bar = 0;
    for (let i = 0; i < image.data.length; i += 4)
      if (image.data[i] === 0x1f && image.data[i + 1] === 0x77 && image.data[i + 2] === 0xb4) bar++;
    assert.ok(bar > 500, `pixels of the bars: ${bar}`);
  });
});
