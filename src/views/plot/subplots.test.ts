/**
 * The PNG fallback of a figure with subplots: heatmaps on axes with domains (or a layout.grid) are drawn side by side,
 * each on its own axes with its own titles, and heatmaps on one coloraxis share its scale and a single colour bar.
 */
import { strict as assert } from "assert";
import { attributionVsPatching, plot } from "../..";
import { MIME_BUNDLE_KEY } from "../../common/host";
import { installFakeHost, removeFakeHost } from "../../../tests/widgets/fake-host";
import { decodePng, DrawnText, pixelAt, Pixels, recordText, Rgb } from "../../../tests/widgets/png-pixels";

/** plotly.js's RdBu scale: its low end, midpoint and high end. */
const RDBU_LOW: Rgb = [5, 10, 172];
const RDBU_MID: Rgb = [190, 190, 190];
const RDBU_HIGH: Rgb = [178, 10, 28];

type Snapshot = { image: Pixels; texts: DrawnText[] };

/** The decoded PNG of a view's output and the texts drawn on it. */
async function snapshotOf(render: () => { [MIME_BUNDLE_KEY]: () => { data: Record<string, unknown> } }): Promise<Snapshot> {
  const { result: png, texts } = recordText(() => render()[MIME_BUNDLE_KEY]().data["image/png"] as string);
  return { image: await decodePng(png), texts };
}

/** The drawn texts equal to `text`, left to right. */
const all = (texts: DrawnText[], text: string): DrawnText[] => texts.filter((t) => t.text === text).sort((a, b) => a.x - b.x);

/** The one drawn text equal to `text`. */
function label(texts: DrawnText[], text: string): DrawnText {
  const found = all(texts, text);
  assert.equal(found.length, 1, `one "${text}" drawn; texts: ${JSON.stringify(texts.map((t) => t.text))}`);
  return found[0];
}

/** The pixels (x, y) whose colour passes `test`, scanning columns left of `beforeX`. */
function pixelsWhere(image: Pixels, test: (rgb: Rgb) => boolean, beforeX = image.width): { x: number; y: number }[] {
  const found: { x: number; y: number }[] = [];
  for (let y = 0; y < image.height; y++) for (let x = 0; x < beforeX; x++) if (test(pixelAt(image, x, y))) found.push({ x, y });
  return found;
}

const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;

describe("plot PNG fallback: subplots", function () {
  beforeEach(() => installFakeHost());
  afterEach(() => removeFakeHost());

  it("two heatmaps on xaxis/xaxis2 domains are drawn side by side, each on its own axes, sharing their coloraxis", async () => {
    const { image, texts } = await snapshotOf(() =>
      plot({
        data: [
          { type: "heatmap", z: [[0, 1]], x: ["a", "b"], y: ["r"], coloraxis: "coloraxis" },
          { type: "heatmap", z: [[2, 4]], x: ["c", "d"], y: ["s"], xaxis: "x2", yaxis: "y2", coloraxis: "coloraxis" },
        ],
        layout: {
          xaxis: { domain: [0, 0.45], title: { text: "left columns" } },
          xaxis2: { domain: [0.55, 1], title: { text: "right columns" } },
          yaxis: { title: { text: "left rows" } },
          yaxis2: { anchor: "x2", title: { text: "right rows" } },
          coloraxis: { colorscale: "RdBu" },
        },
      }),
    );
    const cell = (x: string, y: string) => pixelAt(image, label(texts, x).x, label(texts, y).y + 6);
    // One colour axis over both traces' values [0, 4]: 0 is its low end, 2 its middle, 4 its high end.
    assert.deepEqual(cell("a", "r"), RDBU_LOW);
    assert.deepEqual(cell("c", "s"), RDBU_MID, "2 is the middle of the shared range [0, 4]");
    assert.deepEqual(cell("d", "s"), RDBU_HIGH);
    // Side by side: every label of the left panel is left of the right panel's, on one baseline.
    const [b, c] = [label(texts, "b"), label(texts, "c")];
    assert.ok(c.x > b.x + 0.1 * image.width, `the right panel starts right of the left one: b at ${b.x}, c at ${c.x}`);
    assert.equal(b.y, c.y, "both panels' x labels on one line");
    assert.ok(label(texts, "s").x > b.x, "the right panel's y labels sit right of the left panel");
    assert.ok(label(texts, "right columns").x > label(texts, "left columns").x);
    const [leftRows, rightRows] = [label(texts, "left rows"), label(texts, "right rows")];
    assert.ok(leftRows.x < label(texts, "a").x && rightRows.x > b.x && rightRows.x < c.x, "each y title beside its panel");
    // One colour bar, for the shared scale: its ticks appear once each.
    for (const tick of ["0", "1", "2", "3", "4"]) assert.ok(all(texts, tick).length <= 1, `colour bar tick ${tick} drawn once`);
    assert.ok(label(texts, "4").x > label(texts, "d").x, "the colour bar is right of both panels");
  });

  it("a layout.grid of two rows stacks its panels, the first pair of axes on top", async () => {
    const { image } = await snapshotOf(() =>
      plot({
        data: [
          { type: "heatmap", z: [[0, 0]], colorscale: "RdBu", zmin: 0, zmax: 1, showscale: false },
          { type: "heatmap", z: [[1, 1]], colorscale: "RdBu", zmin: 0, zmax: 1, xaxis: "x2", yaxis: "y2", showscale: false },
        ],
        layout: { grid: { rows: 2, columns: 1, pattern: "independent" } },
      }),
    );
    const [low, high] = [RDBU_LOW, RDBU_HIGH].map((colour) => pixelsWhere(image, (rgb) => rgb.join() === colour.join()));
    assert.ok(low.length > 1000 && high.length > 1000, `both panels drawn (${low.length}, ${high.length} pixels)`);
    assert.ok(Math.max(...low.map((p) => p.y)) < Math.min(...high.map((p) => p.y)), "the first trace's panel above the second's");
  });

  it("axes on one domain (a secondary y axis overlaying y, or axes without domains) share one panel", async () => {
    for (const layout of [{ yaxis2: { overlaying: "y", side: "right" } }, {}]) {
      const { image, texts } = await snapshotOf(() =>
        plot({
          data: [
            { y: [1, 2, 3], x: ["p", "q", "r"], name: "first" },
            { y: [30, 10, 20], x: ["p", "q", "r"], name: "second", yaxis: "y2" },
          ],
          layout,
        }),
      );
      for (const tick of ["p", "q", "r"]) label(texts, tick); // one x axis, drawn once
      const orange = pixelsWhere(image, ([r, g, b]) => r > 230 && g > 100 && g < 150 && b < 40); // plotly's second colour
      const blue = pixelsWhere(image, ([r, g, b]) => r < 60 && g > 100 && g < 140 && b > 160); // and its first
      assert.ok(orange.length > 50 && blue.length > 50, `both lines drawn (${blue.length}, ${orange.length} pixels)`);
    }
  });

  it("attributionVsPatching: the left panel's pixels come from the patching grid, the right's from the attribution", async () => {
    // Patching puts +1 in the top-left cell, attribution −1 in the bottom-right: with the view's reversed RdBu on
    // [−1, 1], +1 is blue and −1 red, everything else the grey of 0.
    const { image, texts } = await snapshotOf(() =>
      attributionVsPatching(
        [
          [1, 0, 0],
          [0, 0, 0],
        ],
        [
          [0, 0, 0],
          [0, 0, -1],
        ],
        { yLabel: "layer", xLabel: "position" },
      ),
    );
    const colourBar = label(texts, "−1").x - 22; // its tick labels are drawn 20 px right of the bar
    const blue = pixelsWhere(image, ([r, g, b]) => b > 150 && r < 60 && g < 60, colourBar);
    const red = pixelsWhere(image, ([r, g, b]) => r > 150 && g < 60 && b < 60, colourBar);
    assert.ok(blue.length > 200, `the patching grid's +1 cell is drawn (${blue.length} blue pixels)`);
    assert.ok(red.length > 200, `the attribution grid's −1 cell is drawn (${red.length} red pixels)`);
    const [blueRight, redLeft] = [Math.max(...blue.map((p) => p.x)), Math.min(...red.map((p) => p.x))];
    assert.ok(blueRight < redLeft, "the patching grid's cell is in the left panel, the attribution's in the right");
    assert.ok(mean(blue.map((p) => p.y)) < mean(red.map((p) => p.y)), "layer 0 on top in both panels (reversed y)");
    const grey = pixelsWhere(image, ([r, g, b]) => r === RDBU_MID[0] && g === r && b === r, colourBar);
    const greyLeft = grey.filter((p) => p.x < blueRight + 5);
    assert.ok(greyLeft.length > 500, "the left panel's other cells are the grey of 0, not covered by the right panel");
    for (const title of ["position", "layer"]) assert.equal(all(texts, title).length, 2, `each panel has its "${title}" title`);
    const [left, right] = [label(texts, "activation patching (change)"), label(texts, "attribution patching")];
    assert.ok(left.x < redLeft && right.x > blueRight, "panel titles over their panels");
  });
});
