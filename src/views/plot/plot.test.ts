/**
 * plot on the kernel side (fake host): the figure travels as JSON beside the widget's own Layout,
 * update() redraws, the PNG fallback draws lines, bars and heatmaps as plotly.js does (colour scale
 * with zmid/zmin/zmax, heatmap row 0 at the bottom, axes with tick labels), and bad figures get clear errors.
 */
import { strict as assert } from "assert";
import { plot } from "../..";
import { MIME_BUNDLE_KEY } from "../../common/host";
import { FakeHost, installFakeHost, removeFakeHost } from "../../../tests/widgets/fake-host";
import { decodePng, DrawnText, meanRow, Pixels, pixelAt, recordText, Rgb } from "../../../tests/widgets/png-pixels";

/** plotly.js's default heatmap scale (RdBu): its low end, midpoint and high end. */
const RDBU_LOW: Rgb = [5, 10, 172];
const RDBU_MID: Rgb = [190, 190, 190];
const RDBU_HIGH: Rgb = [178, 10, 28];
/** tslens's light ramp: its page colour (0), full positive, and the masked grey. */
const WHITE: Rgb = [255, 255, 255];
const BLUE: Rgb = [33, 102, 172];
const MASKED: Rgb = [236, 236, 236];

/** The snapshot of a figure, decoded, with the texts drawn on it. */
async function snapshot(figure: Parameters<typeof plot>[0]): Promise<{ image: Pixels; texts: DrawnText[] }> {
  const { result: png, texts } = recordText(() => plot(figure)[MIME_BUNDLE_KEY]().data["image/png"] as string);
  return { image: await decodePng(png), texts };
}

/** The drawn text `label` (exactly one). */
function label(texts: DrawnText[], text: string): DrawnText {
  const found = texts.filter((t) => t.text === text);
  assert.equal(found.length, 1, `one "${text}" drawn; texts: ${JSON.stringify(texts.map((t) => t.text))}`);
  return found[0];
}

/** The colour of the heatmap cell in the column labelled `x` and the row labelled `y` (text is 12 px high). */
const cellAt = (image: Pixels, texts: DrawnText[], x: string, y: string): Rgb =>
  pixelAt(image, label(texts, x).x, label(texts, y).y + 6);

/** Pixels of a PNG that are neither white nor grey (the chart's colours). */
async function colouredPixels(base64: string): Promise<number> {
  const { data } = await decodePng(base64);
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

  it("PNG heatmap: zmid centres the colour scale, so the 0 cell is the scale's midpoint colour", async () => {
    const { image, texts } = await snapshot({
      data: [{ type: "heatmap", z: [[-1, 0, 3]], x: ["neg", "zero", "pos"], y: ["row"], zmid: 0, colorscale: "RdBu" }],
    });
    assert.deepEqual(cellAt(image, texts, "zero", "row"), RDBU_MID);
    assert.deepEqual(cellAt(image, texts, "pos", "row"), RDBU_HIGH, "3 is the top of [−3, 3]");
    const negative = cellAt(image, texts, "neg", "row");
    assert.ok(negative[2] > 200 && negative[0] < 150, `−1 is on the blue side: ${negative}`);
  });

  it("PNG heatmap without a colorscale: tslens's diverging ramp, symmetric about 0, with 0 on the colour bar", async () => {
    const { image, texts } = await snapshot({
      data: [{ type: "heatmap", z: [[-1, 0, 3]], x: ["neg", "zero", "pos"], y: ["row"] }],
    });
    assert.deepEqual(cellAt(image, texts, "zero", "row"), WHITE, "0 is the page colour");
    assert.deepEqual(cellAt(image, texts, "pos", "row"), BLUE, "3 is the top of [−3, 3]");
    const [r, g, b] = cellAt(image, texts, "neg", "row");
    assert.ok(r > 200 && g > 150 && b > 150 && r > b, `−1 is a third of the way to red, pale: ${[r, g, b]}`);
    const bar = texts.filter((t) => t.x > label(texts, "pos").x + 20);
    const tick = (text: string) => bar.find((t) => t.text === text)?.y ?? NaN;
    assert.deepEqual(
      bar.map((t) => t.text),
      ["−2", "0", "2"],
      "the colour bar reaches as far below 0 as above it, with a tick at 0",
    );
    assert.ok(Math.abs(tick("0") - (tick("−2") + tick("2")) / 2) < 0.01, "0 midway between −2 and 2");
  });

  it("PNG heatmap without a colorscale, values ≥ 0: sequential from the page colour to blue", async () => {
    const { image, texts } = await snapshot({ data: [{ type: "heatmap", z: [[0, 0.5, 1]], x: ["a", "b", "c"], y: ["r"] }] });
    assert.deepEqual(cellAt(image, texts, "a", "r"), WHITE);
    assert.deepEqual(cellAt(image, texts, "c", "r"), BLUE);
  });

  it("PNG heatmap: cells without a value (null, NaN) are masked grey, not the colour of 0", async () => {
    const { image, texts } = await snapshot({
      data: [
        {
          type: "heatmap",
          z: [
            [0.5, null],
            [1, 0],
          ],
          x: ["a", "b"],
          y: ["first", "second"],
        },
      ],
    });
    assert.deepEqual(cellAt(image, texts, "b", "first"), MASKED);
    assert.deepEqual(cellAt(image, texts, "b", "second"), WHITE);
  });

  it("PNG heatmap: zmin and zmax set the ends of the scale", async () => {
    const { image, texts } = await snapshot({
      data: [{ type: "heatmap", z: [[0, 10]], x: ["a", "b"], y: ["r"], zmin: 0, zmax: 20, colorscale: "RdBu" }],
    });
    assert.deepEqual(cellAt(image, texts, "a", "r"), RDBU_LOW);
    assert.deepEqual(cellAt(image, texts, "b", "r"), RDBU_MID, "10 is the middle of [0, 20]");
  });

  it("PNG heatmap: row 0 at the bottom as plotly draws it, at the top when the y axis is reversed", async () => {
    const z = [
      [5, 5],
      [-5, -5],
    ]; // row 0 high (red), row 1 low (blue)
    const red = ([r, g, b]: Rgb) => r > 150 && g < 60 && b < 60;
    const blue = ([r, , b]: Rgb) => b > 150 && r < 60;
    const plain = await snapshot({ data: [{ type: "heatmap", z, colorscale: "RdBu" }] });
    assert.ok(meanRow(plain.image, red) > meanRow(plain.image, blue), "row 0 (red) below row 1 (blue)");
    const yTick = (text: string) => plain.texts.filter((t) => t.text === text).sort((p, q) => p.x - q.x)[0]; // leftmost
    assert.ok(yTick("0").y > yTick("1").y, "tick 0 below tick 1 on the y axis");
    const reversed = await snapshot({
      data: [{ type: "heatmap", z, colorscale: "RdBu" }],
      layout: { yaxis: { autorange: "reversed" } },
    });
    assert.ok(meanRow(reversed.image, red) < meanRow(reversed.image, blue), "reversed: row 0 (red) on top");
  });

  it("PNG axes: numeric ticks on lines, category names on bars, tickvals/ticktext, titles", async () => {
    const lines = await snapshot({
      data: [{ y: [1, 4, 9, 16] }],
      layout: { title: { text: "squares" }, xaxis: { title: { text: "step" } }, yaxis: { title: "value" } },
    });
    const xs = ["0", "1", "2", "3"].map((t) => label(lines.texts, t));
    assert.ok(
      xs.every((t, i) => i === 0 || (t.x > xs[i - 1].x && t.y === xs[0].y)),
      "x ticks 0…3 left to right on one line",
    );
    const ys = ["5", "10", "15"].map((t) => label(lines.texts, t));
    assert.ok(
      ys.every((t, i) => i === 0 || (t.y < ys[i - 1].y && t.x === ys[0].x)),
      "y ticks 5, 10, 15 upwards in one column",
    );
    assert.ok(ys[0].x < xs[0].x && xs[0].y > ys[0].y, "y labels left of the plot, x labels below it");
    for (const title of ["squares", "step", "value"]) label(lines.texts, title);

    const bars = await snapshot({ data: [{ type: "bar", x: ["alpha", "beta", "gamma"], y: [3, 1, 2] }] });
    const names = ["alpha", "beta", "gamma"].map((t) => label(bars.texts, t));
    assert.ok(names[0].x < names[1].x && names[1].x < names[2].x, "categories in order");
    const barTop = (name: DrawnText, value: number) => {
      const zero = label(bars.texts, "0").y + 6;
      const unit = zero - (label(bars.texts, "1").y + 6);
      return pixelAt(bars.image, name.x, zero - unit * value + 3); // just inside the bar's top
    };
    assert.deepEqual(barTop(names[0], 3), [0x1f, 0x77, 0xb4], "the bar over alpha reaches 3 (plotly's first colour)");
    assert.deepEqual(
      pixelAt(bars.image, names[1].x + 10, label(bars.texts, "2").y + 2),
      [255, 255, 255],
      "beta's bar stops at 1",
    );

    const ticks = await snapshot({
      data: [{ type: "heatmap", z: [[1, 2]] }],
      layout: { xaxis: { tickvals: [0, 1], ticktext: ["left", "right"] } },
    });
    assert.ok(label(ticks.texts, "left").x < label(ticks.texts, "right").x);
  });

  it("bad figures get errors naming the problem", () => {
    assert.throws(() => plot({} as never), /plot needs \{ data: \[trace, …\], layout\? \}/);
    const loop: Record<string, unknown> = {};
    loop.self = loop;
    assert.throws(() => plot({ data: [loop] }), /the figure must be JSON/);
    assert.throws(() => plot({ data: [], layout: 3 as never }), /layout must be an object/);
  });
});
