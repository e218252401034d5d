/**
 * Every tslens view in JupyterLab's light and dark themes: one notebook makes each view on a real prompt with the
 * embedded model (attention patterns of a run, induction heads, signed values on tokens, the logit lens, a head-score
 * grid, a plotly heatmap with masked cells), then, in each theme (switched through JupyterLab's own
 * `apputils:change-theme`, without running the notebook again), screenshots each view as
 * tests/artifacts/theme-<light|dark>-<view>.png and checks what makes a view readable there:
 * - text on a coloured background (a token, a cell) contrasts with it at least 4.5:1 (WCAG AA), and so does the
 *   views' text on the page itself;
 * - canvases are not white blocks in the dark theme;
 * - plotly figures follow the theme: their paper is the page (transparent or the theme's side of light/dark) and
 *   their tick labels contrast with it;
 * - coloredTokens' scale of signed values is symmetric (its legend ends at ±max|v|, with a tick at 0), and the
 *   plot's heatmap shows its masked cells in the theme's masked grey with 0 on its colour bar.
 * The checks are generic (any element, canvas or figure of any view), so each failure names the view it is in.
 */
import assert from "node:assert/strict";
import * as path from "path";
import type { LabNotebook } from "./notebook";
import { ARTIFACTS, LabSession } from "./session";
import { eventually } from "./wait";

const NOTEBOOK = "themes.ipynb";

/** The notebook: one view per cell, named for its screenshots. */
const VIEWS: { name: string; source: string }[] = [
  {
    name: "attention",
    source: [
      'import * as lens from "tslens";',
      "const model = await lens.loadModel();",
      'const text = "Mr and Mrs Dursley were proud to say that they were perfectly normal. Mr and Mrs Dursley were proud";',
      'const { cache } = model.runWithCache(text, { namesFilter: (n) => n.endsWith("hook_pattern"), returnType: "none" });',
      "const strs = cache.strTokens[0];",
      "lens.attentionPatterns({ cache })",
    ].join("\n"),
  },
  { name: "induction", source: "lens.inductionHeads(model)" },
  {
    name: "colored-tokens",
    source: [
      "// An attribution-like signed value per token: mostly small, one strongly positive, a few slightly negative.",
      "const attribution = strs.map((_, i) => [0.3, -0.94, 1.2, 4.07, -0.2, 0.05, 2.1][i % 7]);",
      "lens.coloredTokens({ tokens: strs, values: { attribution } })",
    ].join("\n"),
  },
  { name: "logit-lens", source: "lens.logitLens(model, text)" },
  {
    name: "head-scores",
    source: 'lens.headScores({ scores: lens.detectHead(model, cache, "previous_token_head"), title: "previous-token score" })',
  },
  {
    name: "plot",
    source: [
      "// L1H0 − L1H1, signed, with the masked (upper) triangle left empty.",
      'const pattern = cache.get("blocks.1.attn.hook_pattern").arraySync()[0]; // [head, query, key]',
      "const z = pattern[0].map((row, q) => row.map((v, k) => (k > q ? null : v - pattern[1][q][k])));",
      'lens.plot({ data: [{ type: "heatmap", z }], layout: { title: { text: "L1H0 − L1H1" }, yaxis: { autorange: "reversed" } } })',
    ].join("\n"),
  },
];

/** The signed values of the coloredTokens cell, as the notebook makes them (for the expected legend). */
const ATTRIBUTION_REACH = 4.07;

type Rgba = [number, number, number, number];
type Rgb = [number, number, number];

/** WCAG relative luminance of an sRGB colour. */
function luminance([r, g, b]: Rgb): number {
  const linear = (c: number) => (c / 255 <= 0.03928 ? c / 255 / 12.92 : ((c / 255 + 0.055) / 1.055) ** 2.4);
  return 0.2126 * linear(r) + 0.7152 * linear(g) + 0.0722 * linear(b);
}

/** WCAG contrast ratio of two opaque colours: (L_lighter + 0.05) / (L_darker + 0.05). */
function contrast(a: Rgb, b: Rgb): number {
  const [hi, lo] = [luminance(a), luminance(b)].sort((x, y) => y - x);
  return (hi + 0.05) / (lo + 0.05);
}

/** `top` (possibly translucent) drawn over the opaque `under`. */
function over(top: Rgba, under: Rgb): Rgb {
  return [0, 1, 2].map((i) => Math.round(top[3] * top[i] + (1 - top[3]) * under[i])) as Rgb;
}

/** A piece of text in a view, with its colour and what it is drawn on (read in the page). */
interface TextSample {
  view: string;
  element: string;
  text: string;
  color: Rgba;
  /** The element's own background when it has one (alpha > 0), else undefined. */
  own: Rgba | null;
  /** The opaque background it sits on: its own and its ancestors' backgrounds composited. */
  background: Rgb;
}

/**
 * In the page: every visible HTML element inside a tslens view that holds text itself (not only in children), up
 * to 60 per view and kind (own background or not), with its colour and its composited background.
 */
const TEXT_SAMPLES = `(() => {
  const parse = (css) => { const m = css.match(/[\\d.]+/g) || ["0", "0", "0", "0"]; return [+m[0], +m[1], +m[2], m.length > 3 ? +m[3] : 1]; };
  const backgroundOf = (el) => {
    const layers = [];
    for (let at = el; at; at = at.parentElement) {
      const bg = parse(getComputedStyle(at).backgroundColor);
      if (bg[3] > 0) layers.push(bg);
      if (bg[3] >= 1) break;
    }
    let rgb = [255, 255, 255];
    for (const [r, g, b, a] of layers.reverse()) rgb = [r, g, b].map((c, i) => Math.round(a * c + (1 - a) * rgb[i]));
    return rgb;
  };
  const out = [];
  const counts = {};
  for (const el of document.querySelectorAll(".tslens-view *")) {
    if (el.closest("svg") || el.getClientRects().length === 0) continue;
    const text = Array.from(el.childNodes).filter((n) => n.nodeType === 3).map((n) => n.textContent).join("").trim();
    if (!text) continue;
    const style = getComputedStyle(el);
    if (style.visibility === "hidden" || +style.opacity === 0) continue;
    const own = parse(style.backgroundColor);
    const views = Array.from(el.closest(".tslens-view").classList).filter((c) => c !== "tslens-view" && c.startsWith("tslens-"));
    const view = views.join(".") || "tslens-view";
    const key = view + (own[3] > 0 ? " own" : " page");
    counts[key] = (counts[key] || 0) + 1;
    if (counts[key] > 60) continue;
    out.push({ view, element: el.tagName.toLowerCase() + "." + Array.from(el.classList).join("."), text: text.slice(0, 30),
      color: parse(style.color), own: own[3] > 0 ? own : null, background: backgroundOf(el) });
  }
  return out;
})()`;

/** A canvas of a view: its view, size, share of near-white pixels and its most common colour (read in the page). */
interface CanvasSample {
  view: string;
  canvas: string;
  width: number;
  height: number;
  nearWhite: number;
  mode: Rgb;
}

const CANVAS_SAMPLES = `(() => Array.from(document.querySelectorAll(".tslens-view canvas")).filter((c) => !c.closest(".js-plotly-plot") && c.width * c.height >= 64).map((c) => {
  const copy = document.createElement("canvas"); // read a copy: the view's own canvas stays GPU-friendly
  [copy.width, copy.height] = [c.width, c.height];
  const ctx = copy.getContext("2d", { willReadFrequently: true });
  ctx.drawImage(c, 0, 0);
  const data = ctx.getImageData(0, 0, c.width, c.height).data;
  let white = 0;
  const seen = new Map();
  for (let i = 0; i < data.length; i += 4) {
    if (data[i] > 235 && data[i + 1] > 235 && data[i + 2] > 235) white++;
    const key = data[i] + "," + data[i + 1] + "," + data[i + 2];
    seen.set(key, (seen.get(key) || 0) + 1);
  }
  const mode = [...seen.entries()].sort((a, b) => b[1] - a[1])[0][0].split(",").map(Number);
  const view = Array.from(c.closest(".tslens-view").classList).filter((n) => n !== "tslens-view" && n.startsWith("tslens-")).join(".");
  return { view, canvas: Array.from(c.classList).join(".") || "canvas", width: c.width, height: c.height, nearWhite: white / (c.width * c.height), mode };
}))()`;

/** A plotly figure of a view: its paper, plot background, tick label colour, colour bar ticks and the page under it. */
interface FigureSample {
  view: string;
  paper: Rgba;
  plotBackground: Rgba | null;
  tickFill: Rgba | null;
  colorbarTicks: string[];
  page: Rgb;
}

const FIGURE_SAMPLES = `(() => {
  const parse = (css) => { const m = (css || "").match(/[\\d.]+/g) || ["0", "0", "0", "0"]; return [+m[0], +m[1], +m[2], m.length > 3 ? +m[3] : 1]; };
  const pageUnder = (el) => {
    for (let at = el; at; at = at.parentElement) { const bg = parse(getComputedStyle(at).backgroundColor); if (bg[3] >= 1) return bg.slice(0, 3); }
    return [255, 255, 255];
  };
  return Array.from(document.querySelectorAll(".tslens-view .js-plotly-plot")).map((plot) => {
    const svg = plot.querySelector(".main-svg");
    const bg = plot.querySelector(".bglayer .bg");
    const tick = plot.querySelector(".xtick text, .ytick text");
    const view = Array.from(plot.closest(".tslens-view").classList).filter((n) => n !== "tslens-view" && n.startsWith("tslens-")).join(".");
    return { view, paper: parse(getComputedStyle(svg).backgroundColor), plotBackground: bg ? parse(getComputedStyle(bg).fill) : null,
      tickFill: tick ? parse(getComputedStyle(tick).fill) : null,
      colorbarTicks: Array.from(plot.querySelectorAll(".colorbar text")).map((t) => t.textContent),
      page: pageUnder(plot.parentElement) };
  });
})()`;

/** Failures as lines "view: what", for one assertion message. */
const listed = (failures: string[]) => `${failures.length} failing:\n  ${failures.slice(0, 25).join("\n  ")}`;

/** The samples whose text contrasts with its background less than 4.5:1, one line each. */
function lowContrast(samples: TextSample[]): string[] {
  return samples
    .map((s) => ({ s, ratio: contrast(over(s.color, s.background), s.background) }))
    .filter(({ ratio }) => ratio < 4.5)
    .map(({ s, ratio }) => `${s.view}: ${s.element} "${s.text}" ${ratio.toFixed(2)}:1 (rgba ${s.color} on ${s.background})`);
}

describe("JupyterLab in a browser: every view in the light and the dark theme", function () {
  this.timeout(180_000);
  this.slow(60_000);

  let session: LabSession | undefined;
  let nb: LabNotebook;
  let ran = false;

  before(async function () {
    session = await LabSession.start(
      "theme",
      NOTEBOOK,
      VIEWS.map((v) => v.source),
    );
    nb = session.nb;
  });

  afterEach(async function () {
    await session?.noteFailure(this.currentTest);
  });

  after(async function () {
    this.timeout(60_000);
    await session?.close();
  });

  const evaluate = <T>(script: string) => session!.page.evaluate(script) as Promise<T>;

  it("runs the notebook: every view is drawn", async function () {
    await session!.page.goto(session!.server.url(`/lab/tree/${NOTEBOOK}`), { waitUntil: "domcontentloaded", timeout: 60_000 });
    await nb.waitForIdleKernel(NOTEBOOK, "tslens", 90_000);
    await nb.command("notebook:run-all-cells");
    await nb.waitForExecuted(
      VIEWS.map(() => null),
      120_000,
    );
    for (const [i, view] of VIEWS.entries())
      await nb
        .output(i)
        .locator(".tslens-view")
        .first()
        .waitFor({ state: "visible", timeout: 30_000 })
        .catch(async () => {
          throw new Error(`cell ${i + 1} (${view.name}) shows no tslens view: ${await nb.outputText(i)}`);
        });
    const plotCell = VIEWS.findIndex((v) => v.name === "plot");
    await nb.output(plotCell).locator(".js-plotly-plot .main-svg").first().waitFor({ state: "visible", timeout: 30_000 });
    ran = true;
  });

  for (const theme of ["light", "dark"] as const) {
    describe(`${theme} theme`, function () {
      before(async function () {
        if (!ran) return;
        await nb.command("apputils:change-theme", { theme: theme === "light" ? "JupyterLab Light" : "JupyterLab Dark" });
        await eventually(
          () =>
            evaluate<boolean>(`(() => {
              const body = document.body;
              const page = getComputedStyle(body).getPropertyValue("--jp-layout-color0").trim();
              const dark = body.dataset.jpThemeLight === "false";
              const probe = document.createElement("div");
              probe.style.color = page; body.appendChild(probe);
              const [r, g, b] = (getComputedStyle(probe).color.match(/[\\d.]+/g) || []).map(Number);
              probe.remove();
              return body.dataset.jpThemeLight === ${JSON.stringify(String(theme === "light"))} && (r + g + b < 200) === dark;
            })()`),
          { what: `JupyterLab's ${theme} theme applied`, timeoutMs: 20_000 },
        );
        // Views redraw on the theme's change: wait until their canvases and figures stay the same for a moment.
        let last = "";
        await eventually(
          async () => {
            const now = JSON.stringify([await evaluate(CANVAS_SAMPLES), await evaluate(FIGURE_SAMPLES)]);
            const settled = now === last;
            last = now;
            return settled;
          },
          { what: "the views to settle after the theme change", timeoutMs: 15_000, intervalMs: 400 },
        );
        for (const [i, view] of VIEWS.entries()) {
          const file = path.join(ARTIFACTS, `theme-${theme}-${view.name}.png`);
          await nb.output(i).screenshot({ path: file, timeout: 15_000 });
          console.log(`      screenshot: ${path.relative(process.cwd(), file)}`);
        }
      });

      beforeEach(function () {
        if (!ran) throw new Error("the notebook did not run; nothing to check");
      });

      it("text on a coloured background (tokens, cells) contrasts with it at least 4.5:1", async function () {
        const samples = (await evaluate<TextSample[]>(TEXT_SAMPLES)).filter((s) => s.own !== null);
        assert.ok(samples.length > 40, `text on coloured backgrounds found: ${samples.length}`);
        const failures = lowContrast(samples);
        assert.deepEqual(failures, [], listed(failures));
      });

      it("the views' text on the page contrasts with the page at least 4.5:1", async function () {
        const samples = (await evaluate<TextSample[]>(TEXT_SAMPLES)).filter((s) => s.own === null);
        assert.ok(samples.length > 10, `text on the page found: ${samples.length}`);
        const failures = lowContrast(samples);
        assert.deepEqual(failures, [], listed(failures));
      });

      it("canvases are drawn on the theme's side: no white blocks in the dark theme, no dark ones in the light", async function () {
        const canvases = await evaluate<CanvasSample[]>(CANVAS_SAMPLES);
        assert.ok(canvases.length >= 8, `view canvases found: ${canvases.length}`);
        const failures = canvases
          .filter((c) =>
            theme === "dark" ? c.nearWhite > 0.25 || luminance(c.mode) > 0.5 : luminance(c.mode) < 0.1 && c.nearWhite < 0.05,
          )
          .map(
            (c) =>
              `${c.view}: canvas.${c.canvas} ${c.width}×${c.height}, ${(100 * c.nearWhite).toFixed(0)}% near-white, mostly rgb(${c.mode})`,
          );
        assert.deepEqual(failures, [], listed(failures));
      });

      it("plotly figures follow the theme: the paper is the page's, tick labels contrast with it", async function () {
        const figures = await evaluate<FigureSample[]>(FIGURE_SAMPLES);
        assert.ok(figures.length >= 1, `plotly figures found: ${figures.length}`);
        const failures: string[] = [];
        for (const f of figures) {
          const paper = over(f.paper, f.page);
          const pageDark = luminance(f.page) < 0.2;
          if (luminance(paper) < 0.2 !== pageDark)
            failures.push(`${f.view}: paper rgba(${f.paper}) on a ${pageDark ? "dark" : "light"} page rgb(${f.page})`);
          if (f.tickFill && contrast(over(f.tickFill, paper), paper) < 4.5)
            failures.push(
              `${f.view}: tick labels rgba(${f.tickFill}) on rgb(${paper}): ${contrast(over(f.tickFill, paper), paper).toFixed(2)}:1`,
            );
        }
        assert.deepEqual(failures, [], listed(failures));
      });

      it("coloredTokens: the signed values' legend ends at ±max|v| with a tick at 0", async function () {
        const ticks = await nb.output(2).locator(".tslens-colored-tokens .tslens-scale-tick").allTextContents();
        const reach = ATTRIBUTION_REACH.toFixed(3);
        assert.deepEqual(ticks, [`-${reach}`, "0", reach]);
      });

      it("plot: the heatmap's masked cells are the theme's masked grey (not the colour of 0); its colour bar has 0", async function () {
        const figure = (await evaluate<FigureSample[]>(FIGURE_SAMPLES)).find((f) => f.view.includes("tslens-plot"));
        assert.ok(figure?.plotBackground, "the plot's heatmap has a plot background");
        const masked = over(figure.plotBackground, figure.page);
        // The masked grey sits a step off the page colour (0 on tslens's ramps): visible, but not a value's colour.
        const step = contrast(masked, over(figure.paper, figure.page));
        assert.ok(step > 1.05 && step < 1.6, `masked rgb(${masked}) vs the page: ${step.toFixed(2)}:1`);
        assert.ok(figure.colorbarTicks.includes("0"), `colour bar ticks: ${JSON.stringify(figure.colorbarTicks)}`);
      });
    });
  }
});
