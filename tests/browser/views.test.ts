/**
 * tslens's own views in a real browser (JupyterLab 4 + the tslens-widgets extension + Debian's
 * chromium): an attentionPatterns view of the embedded model on a prompt that contains markup.
 * The canvases are drawn (non-blank pixels), hovering a token changes the large pattern and the
 * token colours, clicking a head thumbnail sets the kernel's `selectedHead`, and the markup in the
 * prompt stays text: no element is created from it and no script runs. Then inductionHeads: its
 * two plotly grids render, clicking a grid cell selects that head in the kernel and in the linked
 * pattern, and entering a prompt makes the kernel recompute and push the new patterns. Then
 * coloredTokens (colours, switching value sets), logitLens (a cell per layer and position, top-k on
 * hover), a 12-head × 1024-token view (payload and first paint) and a plotly figure updated from the kernel.
 *
 * Screenshots go to tests/artifacts/ (gitignored), with the server log.
 */
import assert from "node:assert/strict";
import { contrastRatio } from "../../src/common/draw/colors";
import type { Rgb } from "../../src/common/draw/colors";
import type { TestBrowser } from "./browser";
import { kernelWire, recordKernelWire } from "./kernel-wire";
import type { LabServer } from "./lab-server";
import type { LabNotebook } from "./notebook";
import { LabSession } from "./session";
import { eventually } from "./wait";

const NOTEBOOK = "attention.ipynb";
const HOSTILE = "<img src=x onerror=alert(1)>";

const CELLS = [
  [
    'import * as lens from "tslens";',
    "const model = await lens.loadModel();",
    `const text = ${JSON.stringify(`${HOSTILE} The cat sat on the mat. The cat sat on the mat.`)};`,
    'const { cache } = model.runWithCache(text, { namesFilter: (n) => n.endsWith("hook_pattern"), returnType: "none" });',
    "const view = lens.attentionPatterns({",
    "  tokens: model.toStrTokens(text),",
    '  attention: [cache.get("blocks.0.attn.hook_pattern"), cache.get("blocks.1.attn.hook_pattern")],',
    "});",
    "view",
  ].join("\n"),
  "view.selectedHead",
  "const dash = lens.inductionHeads(model);\ndash",
  "dash.induction.selected",
  [
    "const strs = model.toStrTokens(text);",
    "lens.coloredTokens({ tokens: strs, values: { position: strs.map((_, i) => i), reversed: strs.map((_, i) => -i) } })",
  ].join("\n"),
  "lens.logitLens(model, text)",
  [
    "// 12 heads × 1024 tokens of causal attention (random scores), for the payload and first-paint measurement.",
    "const n = 1024;",
    "const causal = lens.tf.linalg.bandPart(lens.tf.ones([n, n]), -1, 0);",
    "const scores = lens.tf.add(lens.tf.randomNormal([12, n, n], 0, 2, 'float32', 1), lens.tf.mul(lens.tf.sub(1, causal), -1e9));",
    "const big = lens.tf.softmax(scores);",
    "const bigView = lens.attentionPatterns({ tokens: Array.from({ length: n }, (_, i) => `t${i}`), attention: big });",
    "lens.tf.dispose([causal, scores, big]);",
    "bigView",
  ].join("\n"),
  [
    "const p = lens.plot({",
    "  data: [{ type: 'bar', x: [0, 1, 2], y: [3, 1, 2], name: '<img src=x onerror=alert(2)>' }],",
    "  layout: { title: { text: '<b>loss</b> <img src=x onerror=alert(3)>' }, showlegend: true },",
    "});",
    "p",
  ].join("\n"),
  "p.update({ data: [{ type: 'scatter', y: [1, 4, 9, 16], name: 'squares' }] });",
];

/** Per canvas of the view: its size and how many pixels are not white (read in the page). */
const CANVAS_INK = `((cell) => Array.from(document.querySelectorAll(".jp-Notebook-cell")[cell].querySelectorAll(".tslens-attention canvas")).map((c) => {
  const data = c.getContext("2d").getImageData(0, 0, c.width, c.height).data;
  let ink = 0, hash = 0;
  for (let i = 0; i < data.length; i += 4) {
    if (data[i] < 250 || data[i + 1] < 250 || data[i + 2] < 250) ink++;
    hash = (hash * 31 + data[i] + 7 * data[i + 1] + 13 * data[i + 2]) >>> 0;
  }
  return { width: c.width, height: c.height, ink, hash, main: c.classList.contains("tslens-main") };
}))`;

/** An element's box on the page. */
interface Box {
  x: number;
  y: number;
  width: number;
  height: number;
}

/** The page boxes of every element `locator` matches. */
const boxes = (locator: import("playwright-core").Locator): Promise<Box[]> =>
  locator.evaluateAll((els) => els.map((el) => el.getBoundingClientRect().toJSON() as Box));

/** The page's getComputedStyle, used inside browser callbacks (this file's TypeScript has no DOM library). */
declare const getComputedStyle: (element: unknown) => { color: string; backgroundColor: string; boxShadow: string };

/** The RGB of a CSS colour as getComputedStyle gives it ("rgb(1, 2, 3)" or "rgba(…)"). */
function rgbOf(css: string): Rgb {
  const [r, g, b] = (css.match(/[\d.]+/g) ?? []).map(Number);
  return [r, g, b];
}

interface CanvasInk {
  width: number;
  height: number;
  ink: number;
  hash: number;
  main: boolean;
}

describe("JupyterLab in a browser: tslens views", function () {
  this.timeout(300_000);
  this.slow(60_000);

  let session: LabSession | undefined;
  let server: LabServer;
  let browser: TestBrowser;
  let nb: LabNotebook;
  const dialogs: string[] = [];

  /** Saves a screenshot named after the step and prints its path. */
  const screenshot = async (step: string) => session?.screenshot(step);

  before(async function () {
    session = await LabSession.start("views", NOTEBOOK, CELLS);
    ({ server, browser, nb } = session);
    await recordKernelWire(browser.page);
    browser.page.on("dialog", (dialog) => {
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

  const page = () => browser!.page;
  /** The attention canvases of cell `cell` (0-based). */
  const canvases = async (cell = 0) => (await page().evaluate(`${CANVAS_INK}(${cell})`)) as CanvasInk[];
  /** The title over the first view's large pattern. */
  const title = () => nb.output(0).locator(".tslens-attn-title").innerText();
  /** The colour at the centre of cell (query, key) of the first view's large pattern (38 × 38 positions). */
  const mainPixel = async (q: number, k: number) =>
    (await page().evaluate(`((q, k) => {
      const canvas = document.querySelectorAll(".jp-Notebook-cell")[0].querySelector("canvas.tslens-main");
      const [x, y] = [Math.floor(((k + 0.5) * canvas.width) / 38), Math.floor(((q + 0.5) * canvas.height) / 38)];
      return Array.from(canvas.getContext("2d").getImageData(x, y, 1, 1).data.slice(0, 3));
    })(${q}, ${k})`)) as number[];

  it("runs the notebook: every head's thumbnail and the large pattern are drawn (non-blank pixels)", async function () {
    await page().goto(server!.url(`/lab/tree/${NOTEBOOK}`), { waitUntil: "domcontentloaded", timeout: 60_000 });
    await nb.waitForIdleKernel(NOTEBOOK, "tslens", 90_000);
    const started = Date.now();
    await nb.command("notebook:run-all-cells");
    await nb.waitForExecuted([null, null, null, null, null, null, null, null, null], 180_000);
    await nb.output(0).locator(".tslens-attention canvas.tslens-main").waitFor({ state: "visible", timeout: 30_000 });
    console.log(`      run all → view drawn: ${Date.now() - started} ms`);
    const drawn = await canvases();
    const thumbs = drawn.filter((c) => !c.main && c.width > 1);
    assert.equal(thumbs.length, 8, `8 head thumbnails (2 layers × 4 heads): ${JSON.stringify(drawn)}`);
    for (const c of drawn) assert.ok(c.ink > 0, `a blank canvas: ${JSON.stringify(c)}`);
    const main = drawn.find((c) => c.main)!;
    assert.ok(main.ink > main.width * main.height * 0.4, `the large pattern is mostly drawn: ${JSON.stringify(main)}`);
    const view = nb.output(0).locator(".tslens-attention");
    assert.deepEqual(await view.locator(".tslens-attn-row-label").allInnerTexts(), ["L0", "L1"], "a row per layer");
    assert.deepEqual(await view.locator(".tslens-attn-col-label").allInnerTexts(), ["H0", "H1", "H2", "H3"]);
    const heads = await view.locator(".tslens-thumb").evaluateAll((els) => els.map((el) => el.getAttribute("data-head")));
    const thumbBoxes = await boxes(view.locator(".tslens-thumb"));
    const rowLabels = await boxes(view.locator(".tslens-attn-row-label"));
    thumbBoxes.forEach((box, i) => {
      const head = heads[i];
      assert.equal(head, `L${Math.floor(i / 4)}H${i % 4}`);
      const label = rowLabels[Math.floor(i / 4)];
      assert.ok(Math.abs(box.y - label.y) < box.height && box.x > label.x, `${head} is on its layer's row, right of "L…"`);
    });
    assert.equal(await title(), "selected L0H0");
    assert.match(await view.locator(".tslens-attn-hint").innerText(), /hover .*preview.*click to lock/i);
    assert.ok(!(await view.locator(".tslens-attn-chip").isVisible()), "no lock chip before a token is locked");
    // The pattern sits beside the grid, and grid, pattern and token strip fit one screen together.
    const [grid] = await boxes(view.locator(".tslens-attn-grid-panel"));
    const [plot] = await boxes(view.locator("canvas.tslens-main"));
    assert.ok(plot.x > grid.x + grid.width, `pattern beside the grid: ${JSON.stringify({ grid, plot })}`);
    assert.ok(plot.width >= 300, `the pattern is large: ${plot.width} px`);
    const [whole] = await boxes(view);
    assert.ok(whole.height < 860, `the whole view fits a screen: ${whole.height} px tall`);
    // Token labels on both axes: one per position where they fit, none overlapping its neighbours.
    for (const axis of ["query", "key"]) {
      const labels = await boxes(view.locator(`.tslens-attn-${axis}-axis .tslens-attn-label`));
      assert.ok(labels.length >= 12, `${labels.length} ${axis} labels`);
      for (let i = 1; i < labels.length; i++) {
        const [a, b] = [labels[i - 1], labels[i]];
        const apart = axis === "query" ? b.y >= a.y + a.height - 0.5 : b.x >= a.x + a.width - 0.5;
        assert.ok(apart, `${axis} labels ${i - 1} and ${i} overlap: ${JSON.stringify([a, b])}`);
      }
    }
    assert.match(await view.locator(".tslens-attn-query-title").innerText(), /destination \(query\)/);
    assert.match(await view.locator(".tslens-attn-key-title").innerText(), /source \(key\)/);
    assert.match(await nb.outputText(1), /^(\[\d+\]:\s*)?0$/, "selectedHead starts at 0");
    await screenshot("ran-all");
  });

  it("hovering a thumbnail previews that head under a title saying so; leaving returns to the selected head", async function () {
    await nb.output(0).locator(".tslens-thumb").nth(5).hover();
    await eventually(async () => (await title()) === "L1H1 — preview", { what: "the preview title", timeoutMs: 5_000 });
    await screenshot("preview-L1H1");
    await page().mouse.move(0, 0);
    await eventually(async () => (await title()) === "selected L0H0", { what: "the selected head's title", timeoutMs: 5_000 });
  });

  it("the prompt's markup is text: the token spans hold it, no element or script comes of it", async function () {
    const tokens = await nb.output(0).locator(".tslens-token").allTextContents();
    assert.ok(tokens.join("").includes("<img·src=x·onerror=alert(1)>"), `token text: ${JSON.stringify(tokens)}`);
    assert.equal(await nb.output(0).locator("img").count(), 0, "an <img> element was created");
    assert.deepEqual(dialogs, [], "a dialog opened (a script ran)");
  });

  it("hovering a token fades the large pattern outside its row and colours the tokens it attends to", async function () {
    const before = (await canvases()).find((c) => c.main)!;
    const maskedBefore = await mainPixel(20, 30);
    assert.deepEqual(maskedBefore, [236, 236, 236], "a masked cell before the hover");
    const token = nb.output(0).locator(".tslens-token").nth(20);
    await token.hover();
    await eventually(async () => (await canvases()).find((c) => c.main)!.hash !== before.hash, {
      what: "the large pattern to change on hover",
      timeoutMs: 5_000,
    });
    const hoveredMasked = (await mainPixel(20, 30))[0];
    const coloured = await nb
      .output(0)
      .locator(".tslens-token")
      .evaluateAll(
        (spans) => spans.filter((s) => (s as unknown as { style: { background: string } }).style.background !== "").length,
      );
    assert.ok(coloured >= 20, `tokens coloured by the hovered token's attention: ${coloured}`);
    const view = nb.output(0).locator(".tslens-attention");
    assert.equal(await token.getAttribute("class"), "tslens-token tslens-hovered", "the hovered token is marked");
    const marked = await view.locator(".tslens-attn-label-focus").allInnerTexts();
    assert.deepEqual(
      marked.map((t) => t.split(" ").pop()),
      ["20", "20"],
      `token 20 marked on both axes: ${marked}`,
    );
    assert.match(await view.locator(".tslens-attn-strip-legend").innerText(), /row's maximum/);
    const top = await eventually(
      async () => {
        const text = await view.locator(".tslens-attn-top").innerText();
        return /≈/.test(text) ? undefined : text; // the kernel's exact weights, not the bytes
      },
      { what: "the top three sources", timeoutMs: 10_000 },
    );
    const ranked = /^“.+” \(20\) attends most to: (“.*” \((\d+)\) (<?[\d.]+)(, )?){3}$/.exec(top);
    assert.ok(ranked, `top 3 sources: ${top}`);
    const values = [...top.matchAll(/\) (<?[\d.]+)/g)].slice(1).map((m) => Number(m[1].replace("<", "")));
    assert.deepEqual(
      [...values].sort((a, b) => b - a),
      values,
      `strongest first: ${top}`,
    );
    // The masked part of the hovered row fades with the rest instead of standing out as the darkest grey.
    assert.ok(hoveredMasked > maskedBefore[0], `a masked cell of row 20: ${maskedBefore} before, ${hoveredMasked} on hover`);
    await screenshot("hover-token");
    await page().mouse.move(0, 0);
    await eventually(async () => (await canvases()).find((c) => c.main)!.hash === before.hash, {
      what: "the large pattern to return after the hover",
      timeoutMs: 5_000,
    });
  });

  it("hovering a cell of the large pattern shows its tokens and, once the kernel sent them, its exact value", async function () {
    const main = nb.output(0).locator(".tslens-attention canvas.tslens-main");
    const box = (await main.boundingBox())!;
    // Query 30, key 2 of 38 positions.
    await page().mouse.move(box.x + box.width * (2.5 / 38), box.y + box.height * (30.5 / 38));
    const tooltip = nb.output(0).locator(".tslens-tooltip");
    const text = await eventually(
      async () => {
        const t = await tooltip.innerText();
        return /: (<0\.001|\d\.\d{3})$/.test(t) ? t : undefined; // a number without "≈": the kernel's exact value
      },
      { what: "an exact value in the tooltip", timeoutMs: 10_000 },
    );
    assert.match(text, /^L0H0 destination \(query\) .+ \(30\) → source \(key\) .+ \(2\): (<0\.001|\d\.\d{3})$/);
    await page().mouse.move(0, 0);
  });

  it("clicking a token locks it: a chip names it, and clicking the chip unlocks", async function () {
    const view = nb.output(0).locator(".tslens-attention");
    const token = view.locator(".tslens-token").nth(25);
    await token.click();
    await page().mouse.move(0, 0);
    const chip = view.locator(".tslens-attn-chip");
    await chip.waitFor({ state: "visible", timeout: 5_000 });
    assert.equal(await chip.innerText(), `locked: ${await token.innerText()} (25) ×`);
    assert.match((await token.getAttribute("class")) ?? "", /tslens-locked/);
    assert.match(await view.locator(".tslens-attn-top").innerText(), /\(25\) attends most to/, "the locked token stays focused");
    await screenshot("locked-token");
    await chip.click();
    await chip.waitFor({ state: "hidden", timeout: 5_000 });
    assert.doesNotMatch((await token.getAttribute("class")) ?? "", /tslens-locked/);
  });

  it("clicking a head thumbnail selects it in the kernel (selectedHead) and shows it large", async function () {
    const before = (await canvases()).find((c) => c.main)!;
    await nb.output(0).locator(".tslens-thumb").nth(5).click();
    await page().mouse.move(0, 0);
    await eventually(async () => (await canvases()).find((c) => c.main)!.hash !== before.hash, {
      what: "the large pattern to show head L1H1",
      timeoutMs: 5_000,
    });
    await nb.runCellFromUi(1, 30_000);
    await nb.waitForOutput(1, (t) => /^(\[\d+\]:\s*)?5$/.test(t), 'is "5"', 15_000);
    assert.equal(await title(), "selected L1H1");
    await screenshot("selected-L1H1");
  });

  it("a long prompt (1024 tokens): hovering a token shows the 64 positions around it, labelled", async function () {
    const view = nb.output(6).locator(".tslens-attention");
    const keyLabels = () => view.locator(".tslens-attn-key-axis .tslens-attn-label").allInnerTexts();
    const positions = (labels: string[]) => labels.map((t) => Number(t.split(" ").pop()));
    const whole = positions(await keyLabels());
    assert.ok(whole[0] === 0 && whole[whole.length - 1] > 900, `the whole prompt at first: ${whole[0]} … ${whole.at(-1)}`);
    await view.locator(".tslens-token").nth(500).hover();
    const near = await eventually(
      async () => {
        const shown = positions(await keyLabels());
        return shown.includes(500) && shown.every((p) => p >= 468 && p < 532) ? shown : undefined;
      },
      { what: "key labels of positions 468–531 only", timeoutMs: 10_000 },
    );
    assert.ok(near.length >= 10, `readable labels in the window: ${near}`);
    assert.match(await view.locator(".tslens-attn-window").innerText(), /positions 468–531 of 1024/);
    assert.match(await view.locator(".tslens-attn-top").innerText(), /^“t500” \(500\) attends most to: /);
    await screenshot("long-prompt-window");
    await page().mouse.move(0, 0);
    await eventually(async () => positions(await keyLabels())[0] === 0, { what: "the whole prompt again", timeoutMs: 5_000 });
  });

  it("inductionHeads: the grids print their scores in contrasting text; hovering a cell names it, a click selects it", async function () {
    const grids = nb.output(2).locator(".tslens-head-scores");
    await eventually(async () => (await grids.locator(".tslens-score-grid").count()) === 2, {
      what: "two score grids in cell 3",
      timeoutMs: 30_000,
      describe: () => nb.describeOutputs(),
    });
    const titles = await grids.locator(".tslens-title").allTextContents();
    assert.deepEqual(titles, ["previous-token score", "induction score"]);
    await grids.nth(1).scrollIntoViewIfNeeded();
    // 2 layers × 4 heads: every cell prints its score, in black or white by its colour (≥ 4.5:1).
    for (const grid of [grids.nth(0), grids.nth(1)]) {
      const cells = await grid.locator(".tslens-score-cell").evaluateAll((all) =>
        all.map((c) => {
          const style = getComputedStyle(c);
          return { text: c.textContent ?? "", background: style.backgroundColor, color: style.color };
        }),
      );
      assert.equal(cells.length, 8);
      for (const cell of cells) {
        assert.match(cell.text, /^(0|<0\.01|\d\.\d\d)$/, `a score in the cell: ${JSON.stringify(cell)}`);
        const ratio = contrastRatio(rgbOf(cell.color), rgbOf(cell.background));
        assert.ok(ratio >= 4.5, `contrast ${ratio.toFixed(2)}: ${JSON.stringify(cell)}`);
      }
    }
    assert.equal(await grids.nth(1).locator(".tslens-grid-scale-note").innerText(), "fixed 0 … 1");
    const caption = await nb.output(2).locator(".widget-html").first().innerText();
    assert.match(caption, /second copy starts at position 21.*from query t to key t − 19/s);
    const patternTitle = () => nb.output(2).locator(".tslens-attn-title").innerText();
    const cell = (layer: number, head: number) =>
      grids.nth(1).locator(`.tslens-score-cell[data-layer="${layer}"][data-head="${head}"]`);
    await cell(0, 1).hover();
    assert.match(await grids.nth(1).locator(".tslens-tooltip").innerText(), /^L0H1: \S+ — click to select$/);
    await eventually(async () => (await patternTitle()) === "L0H1 — preview", {
      what: "the linked pattern to preview the hovered grid cell's head",
      timeoutMs: 5_000,
    });
    await screenshot("induction-hover-L0H1");
    await page().mouse.move(0, 0);
    assert.match(await grids.nth(1).locator(".tslens-tooltip").innerText(), /hover a cell to preview its head/);
    await eventually(async () => /^selected /.test(await patternTitle()), { what: "the preview to end", timeoutMs: 5_000 });
    // The repeat is marked on the large pattern: the induction diagonal is dashed in the scale's red, which no
    // attention weight is drawn in (weights are blue), so red pixels come from the mark alone.
    const redPixels = await nb
      .output(2)
      .locator(".tslens-attention canvas.tslens-main")
      .evaluate((c) => {
        const canvas = c as unknown as {
          width: number;
          height: number;
          getContext(k: "2d"): { getImageData(x: number, y: number, w: number, h: number): { data: Uint8ClampedArray } };
        };
        const data = canvas.getContext("2d").getImageData(0, 0, canvas.width, canvas.height).data;
        let red = 0;
        for (let i = 0; i < data.length; i += 4) if (data[i] > data[i + 2] + 60 && data[i] > data[i + 1] + 60) red++;
        return red;
      });
    assert.ok(redPixels > 50, `the induction diagonal is drawn on the pattern (${redPixels} red pixels)`);
    await cell(0, 2).click();
    await eventually(async () => (await patternTitle()) === "selected L0H2", {
      what: "the linked pattern to show the clicked head",
      timeoutMs: 10_000,
    });
    await nb.runCellFromUi(3, 30_000);
    await nb.waitForOutput(3, (t) => /layer:\s*0,\s*head:\s*2/.test(t), "is { layer: 0, head: 2 }", 15_000);
    await screenshot("induction-clicked-L0H2");
  });

  it("inductionHeads: a typed prompt (in a box that shows all of it) is recomputed; split characters show as <0xNN>", async function () {
    const box = nb.output(2).locator(".widget-textarea textarea").first();
    await box.scrollIntoViewIfNeeded();
    const prompt =
      "Mr Dursley was the director of a firm called Grunnings, which made drills. He was a big, beefy man with hardly any neck ☃";
    await box.fill(prompt);
    await box.press("Tab"); // the box sends its value when it loses focus
    await eventually(async () => (await nb.output(2).locator(".tslens-token").allTextContents()).join("").includes("Dursley"), {
      what: "the prompt's tokens in the pattern view",
      timeoutMs: 30_000,
      describe: () => nb.describeOutputs(),
    });
    const tokens = await nb.output(2).locator(".tslens-token").allTextContents();
    assert.equal(tokens.join("").split("Grunnings").length - 1, 2, `the prompt is shown twice: ${tokens.join("")}`);
    assert.ok(tokens.join("|").includes("<0xE2>|<0x98>|<0x83>"), `☃ as its bytes: ${tokens.join("|")}`);
    assert.ok(!tokens.some((t) => t.includes("\uFFFD")), "no �");
    const fits = await box.evaluate((t) => ({
      value: (t as unknown as { value: string }).value,
      scroll: t.scrollHeight,
      client: t.clientHeight,
    }));
    assert.equal(fits.value, prompt);
    assert.ok(fits.scroll <= fits.client + 1, `the whole prompt is visible: ${JSON.stringify(fits)}`);
    await screenshot("induction-prompt");
  });

  it("coloredTokens: every token on its colour, the value on hover, and switching the value set recolours", async function () {
    const out = nb.output(4);
    const spans = out.locator(".tslens-colored-tokens .tslens-token");
    await spans.first().scrollIntoViewIfNeeded();
    const colours = () =>
      spans.evaluateAll((all) => all.map((s) => (s as unknown as { style: { background: string } }).style.background));
    const first = await colours();
    assert.ok(first.length > 20 && first.every((c) => c.startsWith("rgb")), `token colours: ${first.slice(0, 5)}`);
    assert.notEqual(first[0], first[first.length - 1], "the ends of a 0…n ramp differ");
    await spans.nth(3).hover();
    assert.match(await out.locator(".tslens-tooltip").innerText(), /\(3\): 3\.000/);
    await out.locator("select.tslens-set").selectOption("reversed");
    await eventually(async () => (await colours())[first.length - 1] !== first[first.length - 1], {
      what: "the tokens to take the reversed set's colours",
      timeoutMs: 10_000,
    });
    await screenshot("colored-tokens");
  });

  it("logitLens: a row per layer and a next-token row; ✓ marks correct predictions; header, layer column and next-token row stay when scrolled", async function () {
    const out = nb.output(5);
    const table = out.locator(".tslens-lens-table");
    await table.scrollIntoViewIfNeeded();
    const cells = table.locator(".tslens-lens-cell");
    const n = await out.locator(".tslens-lens-token").count();
    assert.ok(n > 20, `${n} positions`);
    assert.equal(await cells.count(), 3 * n, "3 rows (0_pre, 1_pre, final_post) × positions");
    await cells.nth(2 * n + 14).hover();
    const tip = await out.locator(".tslens-tooltip").innerText();
    assert.match(tip, /^final_post at .+ \(14\): /);
    assert.equal(tip.split(": ")[1].split(" — ")[0].split(", ").length, 5, `top 5: ${tip}`);
    assert.match(tip, / — next token .+ (is #\d|not in the top 5)$/);
    // The next-token row: the token after each position, "—" after the last.
    const header = await out.locator(".tslens-lens-token").allTextContents();
    const next = await out.locator(".tslens-lens-next-token").allTextContents();
    assert.deepEqual(next, [...header.slice(1), "—"]);
    // Marks: cells whose top prediction is the next token (the final row has some on the repeated half).
    const marks = await table.locator(".tslens-lens-hit").evaluateAll((all) =>
      all.map((c) => {
        const row = c.parentElement as unknown as { rowIndex: number };
        return {
          text: c.textContent ?? "",
          row: row.rowIndex,
          col: (c as unknown as { cellIndex: number }).cellIndex,
          shadow: getComputedStyle(c).boxShadow,
        };
      }),
    );
    assert.ok(marks.length >= 2 && marks.some((m) => m.row === 3), `marks (final_post is row 3): ${JSON.stringify(marks)}`);
    for (const m of marks) {
      assert.ok(m.text.startsWith("✓") && m.text.slice(1) === next[m.col - 1], `mark = next token: ${JSON.stringify(m)}`);
      assert.match(m.shadow, /inset/);
    }
    // Text on every cell contrasts with it (≥ 4.5:1).
    const colours = await cells.evaluateAll((all) =>
      all.map((c) => [getComputedStyle(c).color, getComputedStyle(c).backgroundColor]),
    );
    for (const [fg, bg] of colours) assert.ok(contrastRatio(rgbOf(fg), rgbOf(bg)) >= 4.5, `${fg} on ${bg}`);
    await screenshot("logit-lens");
    // Scroll the table right: the layer column stays at the scroller's left edge, the header at its top.
    const scroller = out.locator(".tslens-scroll");
    await scroller.evaluate((el) => (el.scrollLeft = el.scrollWidth));
    const geometry = await out.evaluate((root) => {
      const box = (sel: string) => root.querySelector(sel)!.getBoundingClientRect();
      const scroll = box(".tslens-scroll");
      return {
        scrolled: root.querySelector(".tslens-scroll")!.scrollLeft,
        scrollLeft: scroll.left,
        labelLeft: box("tr:nth-child(2) .tslens-lens-label").left,
        nextLabelLeft: box(".tslens-lens-next .tslens-lens-label").left,
      };
    });
    assert.ok(geometry.scrolled > 100, `the table scrolled: ${JSON.stringify(geometry)}`);
    assert.ok(Math.abs(geometry.labelLeft - geometry.scrollLeft) < 2, `layer labels stay: ${JSON.stringify(geometry)}`);
    assert.ok(Math.abs(geometry.nextLabelLeft - geometry.scrollLeft) < 2, `"next token" stays: ${JSON.stringify(geometry)}`);
    assert.equal(await out.locator("tr:nth-child(2) .tslens-lens-label").innerText(), "0_pre");
    await screenshot("logit-lens-scrolled");
    // Down: with room for two rows, the header stays at the scroller's top and the next-token row at its bottom.
    const vertical = await out.evaluate((root) => {
      const scroller = root.querySelector(".tslens-scroll") as unknown as {
        style: { maxHeight: string };
        scrollTop: number;
        scrollHeight: number;
      };
      scroller.style.maxHeight = "4.5em";
      scroller.scrollTop = scroller.scrollHeight;
      const box = (sel: string) => root.querySelector(sel)!.getBoundingClientRect();
      const frame = box(".tslens-scroll");
      return {
        scrolled: scroller.scrollTop,
        top: frame.top,
        headerTop: box(".tslens-lens-head .tslens-lens-token").top,
        bottom: frame.bottom,
        nextBottom: box(".tslens-lens-next .tslens-lens-next-token").bottom,
      };
    });
    assert.ok(vertical.scrolled > 10, `the table scrolled down: ${JSON.stringify(vertical)}`);
    assert.ok(Math.abs(vertical.headerTop - vertical.top) < 2, `the header stays at the top: ${JSON.stringify(vertical)}`);
    assert.ok(vertical.nextBottom <= vertical.bottom + 1, `the next-token row stays in view: ${JSON.stringify(vertical)}`);
    await screenshot("logit-lens-scrolled-down");
    await out.evaluate((root) => {
      const scroller = root.querySelector(".tslens-scroll") as unknown as {
        style: { maxHeight: string };
        scrollTop: number;
        scrollLeft: number;
      };
      scroller.style.maxHeight = "";
      scroller.scrollTop = 0;
      scroller.scrollLeft = 0;
    });
  });

  it("12 heads × 1024 tokens: ≤ 2 MB on the wire before the grid and the selected head are painted (time reported); a hovered head is fetched and painted", async function () {
    const out = nb.output(6);
    /**
     * Page-side watcher of cell 7's new view (views there before the run are marked old): the page time at which
     * its 12 thumbnails have ink and its large pattern shows the full head. A full 1024-token head drawn on a
     * canvas narrower than 1024 px has isolated cells (a pixel unlike both neighbours: a single token's weight); a
     * 64 × 64 thumbnail stretched to that canvas has none (blocks of equal pixels).
     */
    const WATCH = `((cell) => {
      const root = () => document.querySelectorAll(".jp-Notebook-cell")[cell];
      root().querySelectorAll("canvas").forEach((c) => (c.dataset.tslensOld = "1"));
      const isolated = (c) => {
        if (!c || c.width < 64 || c.height < 64) return 0;
        const y = Math.floor(c.height * 0.9), w = Math.floor(c.width * 0.8);
        const d = c.getContext("2d").getImageData(0, y, w, 1).data;
        const same = (i, j) => d[i * 4] === d[j * 4] && d[i * 4 + 1] === d[j * 4 + 1] && d[i * 4 + 2] === d[j * 4 + 2];
        let n = 0;
        for (let x = 1; x < w - 1; x++) if (!same(x, x - 1) && !same(x, x + 1)) n++;
        return n;
      };
      const inked = (c) => {
        const d = c.getContext("2d").getImageData(0, 0, c.width, c.height).data;
        for (let i = 0; i < d.length; i += 4) if (d[i] < 250 || d[i + 1] < 250 || d[i + 2] < 250) return true;
        return false;
      };
      const seen = (window.__tslensFirstPaint = { thumbs: null, main: null, isolated: 0 });
      const check = () => {
        const fresh = (selector) => Array.from(root().querySelectorAll(selector)).filter((c) => !c.dataset.tslensOld);
        const thumbs = fresh(".tslens-thumb canvas");
        if (seen.thumbs === null && thumbs.length === 12 && thumbs.every(inked)) seen.thumbs = performance.now();
        const main = fresh("canvas.tslens-main")[0];
        const detail = isolated(main);
        if (seen.main === null && detail >= 8) [seen.main, seen.isolated] = [performance.now(), detail];
        if (seen.thumbs === null || seen.main === null) requestAnimationFrame(check);
      };
      requestAnimationFrame(check);
    })`;
    await page().evaluate(`${WATCH}(6)`);
    const from = (await kernelWire(page())).length;
    await nb.runCellFromUi(6, 180_000);
    const painted = await eventually(
      async () => {
        const seen = (await page().evaluate("window.__tslensFirstPaint")) as {
          thumbs: number | null;
          main: number | null;
          isolated: number;
        };
        return seen.thumbs !== null && seen.main !== null ? seen : undefined;
      },
      { what: "the 1024-token view's thumbnails and full selected head", timeoutMs: 120_000, intervalMs: 100 },
    );
    const paintedAt = Math.max(painted.thumbs!, painted.main!);
    const wire = (await kernelWire(page())).slice(from);
    const execute = wire.find((m) => m.dir === "send" && m.msgType === "execute_request")!;
    const reply = wire.find((m) => m.dir === "recv" && m.msgType === "execute_reply" && m.parentMsgId === execute.msgId)!;
    const open = wire
      .filter((m) => m.dir === "recv" && m.msgType === "comm_open" && m.parentMsgId === execute.msgId)
      .reduce((a, b) => ((b.bytes ?? 0) > (a.bytes ?? 0) ? b : a)); // the view's (its layout's is small)
    const shown = wire.find((m) => m.dir === "recv" && m.msgType === "display_data" && m.parentMsgId === execute.msgId)!;
    const before = wire.filter((m) => m.dir === "recv" && m.t >= execute.t && m.t <= paintedAt);
    const bytesBefore = before.reduce((sum, m) => sum + (m.bytes ?? 0), 0);
    const mb = (bytes: number | undefined) => ((bytes ?? 0) / 1e6).toFixed(2);
    console.log(
      `      12 × 1024 × 1024 patterns: ${mb(bytesBefore)} MB received before first paint ` +
        `(comm_open ${mb(open.bytes)} MB, display_data with the PNG ${mb(shown.bytes)} MB); ` +
        `execute_request → comm_open ${(open.t - execute.t).toFixed(0)} ms, → display_data ${(shown.t - execute.t).toFixed(0)} ms, ` +
        `→ execute_reply ${(reply.t - execute.t).toFixed(0)} ms, → grid and selected head painted ${(paintedAt - execute.t).toFixed(0)} ms ` +
        `(execute_reply → painted ${(paintedAt - reply.t).toFixed(0)} ms; thumbnails ${(painted.thumbs! - execute.t).toFixed(0)} ms, ` +
        `selected head ${(painted.main! - execute.t).toFixed(0)} ms)`,
    );
    assert.ok(bytesBefore <= 2e6, `${bytesBefore} bytes reached the page before the first paint (at most 2 MB)`);
    assert.equal(await out.locator(".tslens-thumb").count(), 12);
    await out.locator(".tslens-main").scrollIntoViewIfNeeded();
    await screenshot("1024-tokens");

    // Hovering head 5's thumbnail: the view asks the kernel for that head and paints it in full.
    const asked = (await kernelWire(page())).length;
    const isolatedNow = `(() => {
      const c = document.querySelectorAll(".jp-Notebook-cell")[6].querySelector("canvas.tslens-main");
      const y = Math.floor(c.height * 0.9), w = Math.floor(c.width * 0.8);
      const d = c.getContext("2d").getImageData(0, y, w, 1).data;
      const same = (i, j) => d[i * 4] === d[j * 4] && d[i * 4 + 1] === d[j * 4 + 1] && d[i * 4 + 2] === d[j * 4 + 2];
      let n = 0;
      for (let x = 1; x < w - 1; x++) if (!same(x, x - 1) && !same(x, x + 1)) n++;
      return { n, hash: Array.from(d).reduce((h, v) => (h * 31 + v) >>> 0, 0) };
    })()`;
    const selectedLook = (await page().evaluate(isolatedNow)) as { n: number; hash: number };
    await out.locator(".tslens-thumb").nth(5).hover();
    await eventually(async () => /H5 — preview/.test(await out.locator(".tslens-attn-title").innerText()), {
      what: "the large pattern's title to name the hovered head",
      timeoutMs: 10_000,
    });
    const fetched = await eventually(
      async () => {
        const look = (await page().evaluate(isolatedNow)) as { n: number; hash: number };
        return look.n >= 8 && look.hash !== selectedLook.hash ? look : undefined;
      },
      { what: "head 5 painted in full", timeoutMs: 30_000, intervalMs: 100 },
    );
    const traffic = (await kernelWire(page())).slice(asked);
    const request = traffic.find((m) => m.dir === "send" && m.msgType === "comm_msg" && m.method === "custom");
    const answer = traffic.find(
      (m) => m.dir === "recv" && m.msgType === "comm_msg" && m.method === "custom" && (m.bytes ?? 0) >= 1024 * 1024,
    );
    assert.ok(
      request && answer,
      `a request for head 5 and a reply with its 1 MB of bytes: ${JSON.stringify(traffic.map((m) => [m.dir, m.msgType, m.method, m.bytes]))}`,
    );
    console.log(
      `      hovered head 5: request → reply ${(answer!.t - request!.t).toFixed(0)} ms, painted in full (${fetched.n} isolated cells on a row)`,
    );
    await screenshot("1024-tokens-hovered");
    await page().mouse.move(0, 0);
  });

  it("plot: a plotly figure from the kernel, redrawn by update(); its strings are text", async function () {
    const out = nb.output(7);
    await out.locator(".tslens-plot").scrollIntoViewIfNeeded();
    // The last cell replaced the bars by a line through 4 points.
    await eventually(async () => (await out.locator(".scatterlayer .trace path.js-line").count()) === 1, {
      what: "the updated figure's line",
      timeoutMs: 15_000,
      describe: () => nb.describeOutputs(),
    });
    assert.equal(await out.locator(".barlayer .trace").count(), 0, "the bars were replaced");
    const title = await out.locator(".gtitle").textContent();
    assert.equal(title, "<b>loss</b> <img src=x onerror=alert(3)>", "the title is shown as typed");
    assert.equal(await out.locator("img").count(), 0);
    assert.deepEqual(dialogs, [], "a dialog opened (a script ran)");
    await screenshot("plot");
  });

  it("the page and the kernel logged no errors; nothing left 127.0.0.1", function () {
    const errors = browser!.problems.filter((p) => !p.startsWith("[warning]"));
    assert.deepEqual(errors, [], "browser console errors / uncaught exceptions");
    assert.deepEqual(browser!.blockedRequests, [], "requests to hosts other than 127.0.0.1");
    const bad = server!.log
      .split("\n")
      .filter((l) => /^\[tslens kernel\] (WARN|ERROR)\b|^\[E |Traceback \(most recent call last\)/.test(l));
    assert.deepEqual(bad, [], "kernel warnings/errors or server errors in the jupyter lab log");
  });
});
