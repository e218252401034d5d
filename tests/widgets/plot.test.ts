/**
 * plot on the kernel side (fake host): the figure travels as JSON beside the widget's own Layout,
 * update() redraws, the PNG fallback draws lines, bars and heatmaps, and bad figures get clear errors.
 */
import { strict as assert } from "assert";
import { createCanvas, loadImage } from "@napi-rs/canvas";
import { plot } from "../../src";
import { MIME_BUNDLE_KEY } from "../../kernel/host-api";
import { FakeHost, installFakeHost, removeFakeHost } from "./fake-host";

/** Pixels of a PNG that are neither white nor grey (the chart's colours). */
async function colouredPixels(base64: string): Promise<number> {
  const image = await loadImage(Buffer.from(base64, "base64"));
  const canvas = createCanvas(image.width, image.height);
  const ctx = canvas.getContext("2d");
  ctx.drawImage(image, 0, 0);
  const data = ctx.getImageData(0, 0, image.width, image.height).data;
  let n = 0;
  for (let i = 0; i < data.length; i += 4)
    if (Math.max(data[i], data[i + 1], data[i + 2]) - Math.min(data[i], data[i + 1], data[i + 2]) > 40) n++;
  return n;
}

describe("plot (kernel side)", function () {
  let host: FakeHost;
  beforeEach(() => (host = installFakeHost()));
  afterEach(() => removeFakeHost());

  it("sends the figure as JSON next to its Layout model; update() sends the new traces", () => {
    const p = plot({ data: [{ type: "bar", x: [0, 1, 2], y: [3, 1, 2] }], layout: { title: { text: "loss" } } });
    const state = host.sent.find((m) => m.kind === "open" && m.commId === p.modelId)!.data.state as Record<string, unknown>;
    assert.deepEqual(state.figure_data, [{ type: "bar", x: [0, 1, 2], y: [3, 1, 2] }]);
    assert.deepEqual(state.figure_layout, { title: { text: "loss" } });
    assert.match(String(state.layout), /^IPY_MODEL_/, "the DOM widget keeps its Layout model");
    p.update({ data: [{ type: "scatter", y: [1, 4, 9] }] });
    const last = host.messages(p.modelId).pop()!;
    assert.deepEqual(last.data, {
      method: "update",
      state: { figure_data: [{ type: "scatter", y: [1, 4, 9] }] },
      buffer_paths: [],
    });
    assert.equal(p[MIME_BUNDLE_KEY]().data["text/plain"], "Plot(1 trace: scatter)");
  });

  it("the PNG fallback draws lines, bars and heatmaps", async () => {
    for (const data of [
      [{ y: [1, 4, 9, 16] }],
      [{ type: "bar", y: [3, 1, 2] }],
      [
        {
          type: "heatmap",
          z: [
            [0, 1],
            [2, 3],
          ],
        },
      ],
    ]) {
      const png = plot({ data })[MIME_BUNDLE_KEY]().data["image/png"] as string;
      assert.ok((await colouredPixels(png)) > 50, `${JSON.stringify(data)}: the chart is drawn`);
    }
  });

  it("bad figures get errors naming the problem", () => {
    assert.throws(() => plot({} as never), /plot needs \{ data: \[trace, …\], layout\? \}/);
    const loop: Record<string, unknown> = {};
    loop.self = loop;
    assert.throws(() => plot({ data: [loop] }), /the figure must be JSON/);
    assert.throws(() => plot({ data: [], layout: 3 as never }), /layout must be an object/);
  });
});
