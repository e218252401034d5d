/**
 * compositionView in a real browser (JupyterLab 4 + the tslens-widgets extension + Debian's chromium), on the
 * embedded model with the random baseline and a title holding markup: the grid is drawn on its canvas, the title stays
 * text (no element, no script), a kind set in the kernel shows in the switch; clicking "key (K)" redraws the grid and
 * the list and reaches the kernel; hovering a cell writes its exact Q, K and V scores, hovering a listed edge frames
 * its cell, a click selects the edge in the kernel; in the dark theme the canvas is drawn on the dark page and the
 * list's text contrasts with it. Screenshots go to tests/artifacts/composition-*.png.
 */
import assert from "node:assert/strict";
import { contrastRatio, paletteOf } from "../../src/common/draw/colors";
import type { Rgb } from "../../src/common/draw/colors";
import { compositionLayout } from "../../src/common/draw/composition";
import type { LabNotebook } from "./notebook";
import { LabSession } from "./session";
import { eventually } from "./wait";

const NOTEBOOK = "composition.ipynb";

const CELLS = [
  [
    'import * as lens from "tslens";',
    "const model = await lens.loadModel();",
    'const comp = lens.compositionView(model, { title: "<img src=x onerror=alert(1)> heads", baseline: "random" });',
    "comp",
  ].join("\n"),
  "JSON.stringify({ kind: comp.kind, selected: comp.selected })",
  'comp.kind = "Q";',
];

/** The grid's geometry for attn-only-2l (2 layers × 4 heads): the same layout the view draws with. */
const LAYOUT = compositionLayout(2, 4);

/** In the page: the colour at CSS pixel (x, y) of the composition canvas, and a hash of all its pixels. */
const CANVAS_AT = `((x, y) => {
  const c = document.querySelector(".tslens-composition canvas.tslens-comp-grid");
  const ctx = c.getContext("2d");
  const ratio = c.width / c.getBoundingClientRect().width;
  const data = ctx.getImageData(0, 0, c.width, c.height).data;
  let hash = 0;
  for (let i = 0; i < data.length; i += 4) hash = (hash * 31 + data[i] + 7 * data[i + 1] + 13 * data[i + 2]) >>> 0;
  const at = (Math.round(y * ratio) * c.width + Math.round(x * ratio)) * 4;
  return { pixel: Array.from(data.slice(at, at + 3)), hash, width: c.getBoundingClientRect().width };
})`;

interface CanvasRead {
  pixel: Rgb;
  hash: number;
  width: number;
}

describe("JupyterLab in a browser: compositionView", function () {
  this.timeout(300_000);
  this.slow(60_000);

  let session: LabSession | undefined;
  let nb: LabNotebook;
  const dialogs: string[] = [];

  before(async function () {
    session = await LabSession.start("composition", NOTEBOOK, CELLS);
    nb = session.nb;
    session.page.on("dialog", (dialog) => {
      dialogs.push(`${dialog.type()}: ${dialog.message()}`);
      void dialog.dismiss();
    });
  });
  beforeEach(() => session?.checkNoEarlierFailure());
  afterEach(async function () {
    await session?.noteFailure(this.currentTest);
  });
  after(async function () {
    this.timeout(60_000);
    await session?.close();
  });

  const page = () => session!.page;
  const view = () => nb.output(0).locator(".tslens-composition");
  const canvasAt = (x: number, y: number) => page().evaluate(`${CANVAS_AT}(${x}, ${y})`) as Promise<CanvasRead>;
  /** The centre of cell (row, column) in canvas CSS pixels. */
  const centre = (row: number, column: number) => ({
    x: LAYOUT.left + column * LAYOUT.cell + LAYOUT.cell / 2,
    y: LAYOUT.top + row * LAYOUT.cell + LAYOUT.cell / 2,
  });
  const listed = () => view().locator(".tslens-comp-edges li").allInnerTexts();
  const status = () => view().locator(".tslens-tooltip").innerText();

  it("runs the notebook: the grid is drawn, the title is text, the kind set in the kernel (Q) shows in the switch", async function () {
    await page().goto(session!.server.url(`/lab/tree/${NOTEBOOK}`), { waitUntil: "domcontentloaded", timeout: 60_000 });
    await nb.waitForIdleKernel(NOTEBOOK, "tslens", 90_000);
    await nb.command("notebook:run-all-cells");
    await nb.waitForExecuted([null, null, null], 120_000);
    await view().locator("canvas.tslens-comp-grid").waitFor({ state: "visible", timeout: 30_000 });
    assert.equal(await view().locator(".tslens-title").innerText(), "<img src=x onerror=alert(1)> heads");
    assert.equal(await nb.output(0).locator("img").count(), 0, "an <img> element was made from the title");
    await eventually(async () => (await view().locator('button[aria-pressed="true"]').innerText()) === "query (Q)", {
      what: "the switch to show the kernel's kind Q",
      timeoutMs: 10_000,
    });
    assert.equal(await view().locator(".tslens-comp-edges-title").innerText(), "strongest Q-composition");
    const edges = await listed();
    assert.equal(edges.length, 8, `eight edges listed: ${JSON.stringify(edges)}`);
    for (const edge of edges) assert.match(edge, /^L0H[0-3] → L1H[0-3] {2}Q 0\.\d{3}$/);
    const { width } = await canvasAt(0, 0);
    assert.equal(width, LAYOUT.width, "the canvas has the layout's width");
    // Every edge cell is drawn in a colour of the scale: not the page's white, except where a score sits at the baseline.
    const colours = await Promise.all([0, 1, 2, 3].map((c) => canvasAt(centre(0, c).x - LAYOUT.cell / 2 + 3, centre(0, c).y)));
    assert.ok(
      colours.some((c) => c.pixel.join() !== "255,255,255"),
      `row L0H0 has coloured cells: ${JSON.stringify(colours.map((c) => c.pixel))}`,
    );
    assert.match(await view().locator(".tslens-comp-note").nth(1).innerText(), /random weights' mean score 0\.0\d\d/);
    assert.deepEqual(dialogs, [], "a dialog opened (a script ran)");
    await session!.screenshot("ran");
  });

  it("clicking 'key (K)' redraws the grid and the list, and the kernel's kind follows", async function () {
    const before = await canvasAt(0, 0);
    await view().locator('button[data-kind="K"]').click();
    await eventually(async () => (await canvasAt(0, 0)).hash !== before.hash, { what: "the grid to redraw", timeoutMs: 5_000 });
    assert.equal(await view().locator(".tslens-comp-edges-title").innerText(), "strongest K-composition");
    // The embedded model's induction head L1H1 reads its previous-token head L0H1 through its key most of all.
    assert.match((await listed())[0], /^L0H1 → L1H1 {2}K 0\.\d{3}$/);
    await nb.runCellFromUi(1, 30_000);
    await nb.waitForOutput(1, (t) => t.includes('"kind":"K"'), 'has "kind":"K"', 15_000);
  });

  it("hovering a cell writes its exact Q, K and V scores; a click selects the edge in the kernel and in the list", async function () {
    const grid = view().locator("canvas.tslens-comp-grid");
    await grid.hover({ position: centre(1, 1) }); // L0H1 → L1H1
    const text = await eventually(async () => ((await status()).startsWith("L0H1 → L1H1:") ? status() : undefined), {
      what: "the hovered cell's scores",
      timeoutMs: 5_000,
    });
    const scores = /^L0H1 → L1H1: K (0\.\d{3}) · Q (0\.\d{3}) · V (0\.\d{3}) \(baseline (0\.\d{3})\)$/.exec(text);
    assert.ok(scores, `status: ${text}`);
    assert.equal((await listed())[0], `L0H1 → L1H1  K ${scores[1]}`, "the same K score as the list's");
    await grid.hover({ position: centre(1, 1) });
    await grid.click({ position: centre(1, 1) });
    await eventually(async () => (await view().locator(".tslens-comp-edges li.tslens-selected").count()) === 1, {
      what: "the selected edge marked in the list",
      timeoutMs: 5_000,
    });
    await nb.runCellFromUi(1, 30_000);
    await nb.waitForOutput(
      1,
      (t) => t.includes('"selected":{"from":{"layer":0,"head":1},"to":{"layer":1,"head":1}}'),
      "the selected edge L0H1 → L1H1",
      15_000,
    );
    await page().mouse.move(0, 0);
    await eventually(async () => /^hover a cell/.test(await status()), { what: "the hint back", timeoutMs: 5_000 });
  });

  it("hovering a listed edge frames its cell on the grid", async function () {
    const item = view().locator(".tslens-comp-edges li").nth(1);
    const [, from, to] = /^L0H(\d) → L1H(\d)/.exec(await item.innerText())!;
    const [row, column] = [Number(from), Number(to)];
    const edge = { x: LAYOUT.left + column * LAYOUT.cell + LAYOUT.cell / 2, y: LAYOUT.top + row * LAYOUT.cell + 1 };
    const text = paletteOf("light").text.join();
    const framed = async () => (await canvasAt(edge.x, edge.y)).pixel.join() === text;
    assert.ok(!(await framed()) || (row === 1 && column === 1), "no frame before the hover");
    await item.hover();
    await eventually(framed, { what: `a frame on L0H${row} → L1H${column}`, timeoutMs: 5_000 });
    assert.match(await status(), new RegExp(`^L0H${row} → L1H${column}: K 0\\.\\d{3}`));
    await session!.screenshot("list-hover");
    await page().mouse.move(0, 0);
  });

  it("dark theme: the canvas is drawn on the dark page, and the list's text contrasts with it", async function () {
    await nb.command("apputils:change-theme", { theme: "JupyterLab Dark" });
    const dark = paletteOf("dark");
    await eventually(async () => (await canvasAt(2, 2)).pixel.join() === dark.zero.join(), {
      what: "the canvas redrawn on the dark theme's background",
      timeoutMs: 20_000,
    });
    // The first listed edge's text colour, and the first opaque background under it.
    const colours = (await page().evaluate(`(() => {
      const item = document.querySelector(".tslens-composition .tslens-comp-edges li");
      let background = "rgba(0, 0, 0, 0)";
      for (let at = item; at && /rgba\\(.*, 0\\)|transparent/.test(background); at = at.parentElement)
        background = getComputedStyle(at).backgroundColor;
      return { color: getComputedStyle(item).color, background };
    })()`)) as { color: string; background: string };
    const rgb = (css: string) => (css.match(/[\d.]+/g) ?? []).slice(0, 3).map(Number) as Rgb;
    const ratio = contrastRatio(rgb(colours.color), rgb(colours.background));
    assert.ok(ratio >= 4.5, `list text ${colours.color} on ${colours.background}: ${ratio.toFixed(2)}:1`);
    await session!.screenshot("dark");
    await nb.command("apputils:change-theme", { theme: "JupyterLab Light" });
  });
});
