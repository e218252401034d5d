/**
 * `tslens export notebooks/04-views.ipynb --execute --live`: one HTML file in which the induction view answers a
 * typed prompt with no kernel and no network (every request off 127.0.0.1 is blocked and recorded). The page's
 * own computation (tslens live's engine, the embedded attn-only-2l) must set the view's widget models to the
 * kernel's numbers for the same prompt: scores within 1e-4, pattern bytes within one quantisation level, the same
 * tokens, thumbnails' shape and caption; and the view must redraw from them. The page's size and the time to its
 * first recomputation are printed.
 */
import assert from "node:assert/strict";
import * as http from "http";
import type { AddressInfo } from "net";
import * as path from "path";
import * as lens from "../../src";
import { gridCell } from "../../src/common/draw/grid";
import { formatValue } from "../../src/common/draw/tokens";
import { installFakeHost, removeFakeHost } from "../widgets/fake-host";
import { TestBrowser } from "./browser";
import { liveExportOf04Views } from "./liveExport04";
import { maxDiff } from "./live-pages";
import { ARTIFACTS } from "./session";
import { eventually } from "./wait";

const PROMPT = "The cat sat on the mat. The dog ran to the park, and the cat sat down.";

/** What the kernel's inductionHeads view holds after `prompt`: its children's fields, as plain data. */
async function kernelFields(prompt: string): Promise<any> {
  const model = await lens.loadModel("attn-only-2l");
  installFakeHost();
  try {
    const view = lens.inductionHeads(model, { prompt });
    const bytes = (v: unknown) =>
      Array.from(new Uint8Array((v as DataView).buffer, (v as DataView).byteOffset, (v as DataView).byteLength));
    return {
      previousToken: view.previousToken.get("scores"),
      induction: view.induction.get("scores"),
      scaleNotes: [view.previousToken.get("scale_note"), view.induction.get("scale_note")],
      scales: [view.previousToken, view.induction].map((grid) => [grid.get("value_min"), grid.get("value_max")]),
      tokens: view.patterns.get("tokens"),
      patterns: bytes(view.patterns.get("patterns")),
      thumbnails: bytes(view.patterns.get("thumbnails")).length,
      repeat: view.patterns.get("repeat"),
      caption: view.caption.get("value"),
      exact: lens.repeatedSequenceScores(model, { prompt }).patterns.map((p) => {
        const weights = p.arraySync(); // [1, heads, query, key]
        p.dispose();
        return weights;
      }),
    };
  } finally {
    removeFakeHost();
    model.dispose();
  }
}

/** The same fields as the page's widget models hold them (read through the page's widget manager). */
const PAGE_FIELDS = `(async () => {
  const [report] = window.tslensLiveViews;
  const manager = window.tslensWidgetManagers.find((m) => m.has_model(report.id));
  const column = await manager.get_model(report.id);
  const [, row, caption, patterns] = column.get("children");
  const [previousToken, induction] = row.get("children");
  return {
    report,
    previousToken: previousToken.get("scores"),
    induction: induction.get("scores"),
    scaleNotes: [previousToken.get("scale_note"), induction.get("scale_note")],
    tokens: patterns.get("tokens"),
    patterns: Array.from(patterns.get("patterns")),
    thumbnails: patterns.get("thumbnails").length,
    repeat: patterns.get("repeat"),
    caption: caption.get("value"),
  };
})()`;

describe("live export of notebooks/04-views: the induction view recomputes in the page (no kernel, offline)", function () {
  this.timeout(300_000);
  let html: string;
  let stderr: string;
  let server: http.Server | undefined;
  let browser: TestBrowser | undefined;

  before(async function () {
    ({ html, stderr } = liveExportOf04Views());
    console.log(`      page with --live: ${(html.length / 1e6).toFixed(2)} MB`);
    server = http.createServer((_req, res) => {
      res.writeHead(200, { "content-type": "text/html; charset=utf-8" });
      res.end(html);
    });
    await new Promise<void>((resolve) => server!.listen(0, "127.0.0.1", resolve));
    browser = await TestBrowser.launch();
  });

  after(async function () {
    await browser?.close();
    server?.close();
  });

  it("embeds the engine and the view's model, and nothing else is fetched from anywhere", function () {
    assert.equal((html.match(/<script[^>]*\ssrc=/g) ?? []).length, 0, "an external <script src>");
    assert.ok(html.includes(`tslensLive.addModel({"name": "attn-only-2l"`), `attn-only-2l not embedded: ${stderr}`);
    assert.ok(!html.includes('"name": "attn-only-1l"'), "a model no live view uses is not embedded");
    assert.ok(html.includes("tslensLive.wireExportedPage()"), "the wiring call");
    assert.doesNotMatch(stderr, /--live/, "no view was left without --live");
  });

  it("a prompt typed into the induction view's box sets the kernel's scores and patterns for it, and the view redraws", async function () {
    const page = browser!.page;
    const { port } = server!.address() as AddressInfo;
    const opened = Date.now();
    await page.goto(`http://127.0.0.1:${port}/`, { waitUntil: "domcontentloaded" });
    const reports = (await page.evaluate("window.tslensLiveReady")) as any[];
    const readyMs = Date.now() - opened;
    assert.equal(reports.filter((r) => r.view === "inductionHeads").length, 1, "one live induction view");
    assert.equal(reports[0].model, "attn-only-2l");
    const box = page.locator(".tslens-induction-heads textarea").first();
    await box.scrollIntoViewIfNeeded();
    const captionBefore = await page.locator(".tslens-induction-heads").first().innerText();
    await box.fill(PROMPT);
    const typed = Date.now();
    await box.press("Tab"); // the box sends its value when it loses focus
    await eventually(async () => ((await page.evaluate("window.tslensLiveViews[0].recomputations")) === 1 ? true : undefined), {
      what: "the page's first recomputation",
      timeoutMs: 60_000,
    });
    const answeredMs = Date.now() - typed;
    const fromPage = (await page.evaluate(PAGE_FIELDS)) as any;
    console.log(
      `      page ready (backend, model loaded, views wired) ${readyMs} ms after opening; first recomputation ` +
        `${fromPage.report.firstMs.toFixed(0)} ms in the page, ${answeredMs} ms from the prompt's blur`,
    );
    assert.equal(fromPage.report.lastError, undefined);
    const fromKernel = await kernelFields(PROMPT);
    assert.deepEqual(fromPage.tokens, fromKernel.tokens);
    assert.deepEqual(fromPage.repeat, fromKernel.repeat);
    assert.equal(fromPage.caption, fromKernel.caption);
    assert.deepEqual(fromPage.scaleNotes, fromKernel.scaleNotes);
    assert.equal(fromPage.thumbnails, fromKernel.thumbnails);
    for (const grid of ["previousToken", "induction"]) {
      const diff = maxDiff(fromPage[grid], fromKernel[grid], grid);
      assert.ok(diff <= 1e-4, `${grid} scores differ by ${diff}`);
    }
    assert.ok(maxDiff(fromPage.patterns, fromKernel.patterns, "pattern bytes") <= 1, "pattern bytes more than a level apart");
    // The view drew the new state: the caption under the grids is the new prompt's, and the pattern's tokens are.
    await eventually(
      async () => {
        const text = await page.locator(".tslens-induction-heads").first().innerText();
        return text !== captionBefore && text.includes(`starts at position ${fromKernel.repeat.start}`) ? true : undefined;
      },
      { what: "the redrawn caption", timeoutMs: 10_000 },
    );
    // …and the grids' cells print the new scores (as the view labels them), the kernel's for the prompt.
    const cells = (await page.evaluate(`Array.from(document.querySelectorAll(".tslens-induction-heads .tslens-head-scores"))
      .map((g) => Array.from(g.querySelectorAll(".tslens-score-cell")).map((c) => c.textContent))`)) as string[][];
    const labels = (grid: number[][], [min, max]: number[]) => grid.flat().map((v) => gridCell(v, min, max).label);
    assert.deepEqual(cells, [
      labels(fromKernel.previousToken, fromKernel.scales[0]),
      labels(fromKernel.induction, fromKernel.scales[1]),
    ]);
    // A hovered cell of the large pattern shows the page's exact weight (no ≈): the kernel's, to the 3 decimals shown.
    const main = page.locator(".tslens-induction-heads .tslens-attention canvas.tslens-main").first();
    await main.scrollIntoViewIfNeeded();
    const area = (await main.boundingBox())!;
    await page.mouse.move(area.x + area.width * 0.3, area.y + area.height * 0.8);
    const tooltip = page.locator(".tslens-induction-heads .tslens-attention .tslens-tooltip").first();
    const shown = await eventually(
      async () => ((await tooltip.innerText()).match(/: (\d\.\d{3}|0|<0\.001)$/) ? tooltip.innerText() : undefined),
      {
        what: "an exact value in the pattern's tooltip",
        timeoutMs: 10_000,
        describe: () => tooltip.innerText(),
      },
    );
    const [, layer, head, query, key, value] = shown.match(/^L(\d+)H(\d+) .*\((\d+)\) → source .*\((\d+)\): (.*)$/)!;
    const weight = fromKernel.exact[Number(layer)][0][Number(head)][Number(query)][Number(key)];
    assert.equal(value, formatValue(weight), shown);
    const file = await browser!.screenshot(ARTIFACTS, "live-export-01-recomputed");
    if (file) console.log(`      screenshot: ${path.relative(process.cwd(), file)}`);
  });

  it("nothing was fetched; no errors in the page", function () {
    assert.deepEqual(browser!.blockedRequests, [], "requests off 127.0.0.1");
    assert.deepEqual(
      browser!.problems.filter((p) => !p.startsWith("[warning]")),
      [],
      "console errors",
    );
  });
});
