/**
 * compositionView through a real kernel: the scores arrive as a float32 comm buffer holding compositionScores's
 * layer-0 → layer-1 values of the embedded model, the Q/K/V switch and a clicked edge from the frontend become
 * `view.kind` and `view.selected` in the kernel (values outside the grid refused and the frontend put back), and the
 * display bundle carries a PNG of the grid and a text fallback listing the strongest edges.
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
import { snapshotGeometry } from "./snapshot";
import { compositionViewSpec } from "./spec";

describe("compositionView over the kernel wire", function () {
  this.timeout(120_000);
  let kernel: KernelClient;
  let view: WireView;

  before(async () => {
    kernel = await viewKernel();
    view = await showView(
      kernel,
      compositionViewSpec,
      `const compView = lens.compositionView(model, { title: "heads" });\ncompView`,
    );
  });

  it("the scores arrive as float32 [Q, K, V][earlier head][later head], equal to compositionScores in the kernel", async () => {
    const read = wireFields(compositionViewSpec, view.state);
    const scores = read("scores");
    assert.ok(
      scores instanceof Float32Array && scores.length === 3 * 4 * 4,
      `scores: ${scores?.constructor.name} ${scores?.length}`,
    );
    const expected = (await kernel.evaluate(
      `(() => { const s = lens.compositionScores(model); const out = ["Q", "K", "V"].map((m) => s[m].arraySync()[0].map((into) => into[1])); s.dispose(); return out; })()`,
    )) as number[][][]; // [kind][layer-0 head][layer-1 head]
    assert.deepEqual(Array.from(scores), expected.flat(2).map(Math.fround));
    assert.deepEqual(
      [read("nLayers"), read("nHeads"), read("kind"), read("title"), read("selected")],
      [2, 4, "K", "heads", null],
    );
  });

  it("the Q/K/V switch and a clicked edge from the frontend reach the kernel; values outside the grid are refused", async () => {
    await frontendUpdate(kernel, view.commId, { kind: "V" });
    assert.equal(await kernel.evaluate("compView.kind"), "V");
    const refused = await frontendUpdate(kernel, view.commId, { kind: "O" });
    assert.deepEqual(
      updatesOn(refused, view.commId).map((s) => s.kind),
      ["V"],
      "the frontend is put back to the kernel's kind",
    );
    const edge = { from: { layer: 0, head: 1 }, to: { layer: 1, head: 1 } };
    await frontendUpdate(kernel, view.commId, { selected: edge });
    assert.deepEqual(await kernel.evaluate("compView.selected"), edge);
    await frontendUpdate(kernel, view.commId, { selected: { from: { layer: 1, head: 0 }, to: { layer: 1, head: 1 } } });
    assert.deepEqual(await kernel.evaluate("compView.selected"), edge, "an edge into the same layer is no edge");
  });

  it("the display bundle: a PNG of the grid with the selected edge framed, and the strongest edges as text", async () => {
    const bundle = shownBundle((await kernel.run("compView")).outputs)!;
    const image = await decodePng(bundle["image/png"] as string);
    const geometry = snapshotGeometry(2, 4);
    assert.equal(image.width, geometry.width);
    const { left, top, cell } = geometry.layout;
    assert.deepEqual(pixelAt(image, left + 1.5 * cell, geometry.offsetY + top + cell + 1), [34, 34, 34], "L0H1 → L1H1 framed");
    const text = bundle["text/plain"] as string;
    const lines = text.split("\n");
    assert.equal(lines[0], 'CompositionView("heads", V-composition of 4 earlier × 4 later heads, selected L0H1 → L1H1)');
    assert.equal(lines[1], "strongest V-composition:");
    assert.equal(lines.length, 2 + 8, "eight edges listed");
    const values = lines.slice(2).map((line) => {
      const match = /^ {2}L0H[0-3] → L1H[0-3] {2}V (0\.\d{3})$/.exec(line);
      assert.ok(match, `an edge line: ${JSON.stringify(line)}`);
      return Number(match[1]);
    });
    assert.deepEqual(
      values,
      [...values].sort((a, b) => b - a),
      "strongest first",
    );
  });
});
