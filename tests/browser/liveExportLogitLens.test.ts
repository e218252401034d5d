/**
 * `tslens export notebooks/04-views.ipynb --execute --live`, opened in chromium with every request off 127.0.0.1
 * blocked: the logit lens (lens.logitLens(model, text)) has a prompt box, and a prompt typed there is answered in the
 * page (tslens live's engine, the embedded attn-only-2l) with the kernel's numbers for it — tokens and top tokens
 * equal, probabilities within 1e-4 — and the table redraws; an empty prompt shows its error under the box. The
 * induction view answers a hovered pattern cell exactly before any prompt is typed (the page computes the saved
 * prompt once the model is in, drawing nothing new). tf.memory().numTensors stays flat across the page's answers.
 * The page's size and the time to the lens's first recomputation are printed.
 */
import assert from "node:assert/strict";
import * as http from "http";
import type { AddressInfo } from "net";
import * as path from "path";
import * as lens from "../../src";
import { displayToken, formatValue } from "../../src/common/draw/tokens";
import { installFakeHost, removeFakeHost } from "../widgets/fake-host";
import { TestBrowser } from "./browser";
import { liveExportOf04Views } from "./liveExport04";
import { maxDiff } from "./live-pages";
import { ARTIFACTS } from "./session";
import { eventually } from "./wait";

const PROMPT = "When Mary and John went to the store, John gave a drink to Mary. The cat sat on the mat.";
const OTHER_PROMPT = "Mr and Mrs Dursley were proud to say that they were perfectly normal.";
const EMPTY_PROMPT_ERROR = "the logit lens needs a prompt: type some text";

/** What the kernel's logit lens (the notebook's: default top 5) shows for `prompt`, as plain data. */
async function kernelLens(model: lens.HookedTransformer, prompt: string): Promise<any> {
  installFakeHost();
  try {
    const view = lens.logitLens(model, prompt);
    return {
      tokens: view.get("tokens"),
      topTokens: view.get("top_tokens"),
      topProbs: Array.from(view.get("top_probs") as Float32Array),
      nextRank: view.get("next_rank"),
    };
  } finally {
    removeFakeHost();
  }
}

/** The induction view's exact weights of head `head` (as shown: layer-major) for the notebook's saved random tokens. */
function kernelInductionHead(model: lens.HookedTransformer, layer: number, head: number): number[][] {
  const scores = lens.repeatedSequenceScores(model, {});
  const weights = scores.patterns[layer].arraySync()[0][head]; // [query, key]
  lens.tf.dispose(scores.patterns);
  return weights;
}

/** A script run in the page: the widget model of the first live `view`'s report, as `m`, then `body`. */
const withModel = (view: string, body: string) => `(async () => {
  const report = window.tslensLiveViews.find((r) => r.view === ${JSON.stringify(view)});
  const manager = window.tslensWidgetManagers.find((mg) => mg.has_model(report.id));
  const m = await manager.get_model(report.id);
  ${body}
})()`;

/** The lens's fields as the page's widget model holds them. */
const LENS_FIELDS = withModel(
  "logitLens",
  `return { report, tokens: m.get("tokens"), topTokens: m.get("top_tokens"), topProbs: Array.from(m.get("top_probs")),
    nextRank: m.get("next_rank"), promptError: m.get("prompt_error"), tensors: window.tslensLive.tf.memory().numTensors };`,
);

describe("live export of notebooks/04-views: the logit lens's prompt box, exact hover from the start (offline)", function () {
  this.timeout(300_000);
  let html: string;
  let stderr: string;
  let server: http.Server | undefined;
  let browser: TestBrowser | undefined;
  let model: lens.HookedTransformer;
  let reports: any[];

  before(async function () {
    ({ html, stderr } = liveExportOf04Views());
    console.log(`      page with --live: ${(html.length / 1e6).toFixed(2)} MB`);
    server = http.createServer((_req, res) => {
      res.writeHead(200, { "content-type": "text/html; charset=utf-8" });
      res.end(html);
    });
    await new Promise<void>((resolve) => server!.listen(0, "127.0.0.1", resolve));
    browser = await TestBrowser.launch();
    model = await lens.loadModel("attn-only-2l");
    const { port } = server.address() as AddressInfo;
    await browser.page.goto(`http://127.0.0.1:${port}/`, { waitUntil: "domcontentloaded" });
    reports = (await browser.page.evaluate("window.tslensLiveReady")) as any[];
  });

  after(async function () {
    await browser?.close();
    server?.close();
    model?.dispose();
  });

  it("the page wires the logit lens and the induction view to the embedded model, embedded once", function () {
    assert.equal(html.split(`tslensLive.addModel({"name": "attn-only-2l"`).length, 2, `attn-only-2l once: ${stderr}`);
    assert.doesNotMatch(stderr, /--live/, "no view was left without --live");
    assert.deepEqual(
      reports.map((r) => [r.view, r.model, r.recomputations]),
      [
        ["inductionHeads", "attn-only-2l", 0],
        ["logitLens", "attn-only-2l", 0],
      ],
    );
  });

  it("before any prompt is typed, the induction view answers exact weights: the kernel's, within 1e-4", async function () {
    const page = browser!.page;
    await eventually(async () => (await page.evaluate(`window.tslensLiveViews[0].exactReady`)) as boolean | undefined, {
      what: "the page's exact weights of the saved prompt",
      timeoutMs: 60_000,
      describe: async () => JSON.stringify(await page.evaluate("window.tslensLiveViews[0]")),
    });
    // The head the large pattern shows, asked for as the view asks (its reply is what the tooltip reads).
    const asked = (await page.evaluate(
      withModel(
        "inductionHeads",
        `const patterns = m.get("children")[3];
        const head = patterns.get("selected_head");
        const reply = await new Promise((resolve) => {
          patterns.on("msg:custom", (content, buffers) => content.values_for === head &&
            resolve({ version: content.patterns_version, values: Array.from(new Float32Array(buffers[0].buffer.slice(0))) }));
          patterns.send({ request: "values", head });
          setTimeout(() => resolve(undefined), 10000);
        });
        return { reply, head, version: patterns.get("patterns_version"), keys: patterns.get("n_keys"),
          recomputations: report.recomputations };`,
      ),
    )) as any;
    assert.ok(asked.reply, "the page answered the view's request for exact weights before any prompt was typed");
    assert.equal(asked.recomputations, 0, "nothing was recomputed: the view still shows what the kernel saved");
    assert.equal(asked.reply.version, asked.version, "the reply is about the patterns shown");
    const nHeads = model.cfg.nHeads;
    const [layer, head] = [Math.floor(asked.head / nHeads), asked.head % nHeads];
    const expected = kernelInductionHead(model, layer, head);
    const shown: number[][] = [];
    for (let q = 0; q < expected.length; q++) shown.push(asked.reply.values.slice(q * asked.keys, (q + 1) * asked.keys));
    const diff = maxDiff(shown, expected, `L${layer}H${head}`);
    assert.ok(diff <= 1e-4, `exact weights differ from the kernel's by ${diff}`);
    // A hovered cell of the large pattern shows that exact value (no ≈).
    const main = page.locator(".tslens-induction-heads .tslens-attention canvas.tslens-main").first();
    await main.scrollIntoViewIfNeeded();
    const area = (await main.boundingBox())!;
    await page.mouse.move(area.x + area.width * 0.7, area.y + area.height * 0.9);
    const tooltip = page.locator(".tslens-induction-heads .tslens-attention .tslens-tooltip").first();
    const text = await eventually(
      async () => ((await tooltip.innerText()).match(/: (\d\.\d{3}|0|<0\.001)$/) ? tooltip.innerText() : undefined),
      { what: "an exact value in the pattern's tooltip", timeoutMs: 10_000, describe: () => tooltip.innerText() },
    );
    const [, l, h, q, k, value] = text.match(/^L(\d+)H(\d+) .*\((\d+)\) → source .*\((\d+)\): (.*)$/)!;
    assert.equal(value, formatValue(kernelInductionHead(model, Number(l), Number(h))[Number(q)][Number(k)]), text);
  });

  it("a prompt typed into the lens's box: the kernel's top tokens and probabilities (1e-4), redrawn; errors shown; no leak", async function () {
    const page = browser!.page;
    const box = page.locator(".tslens-logit-lens textarea.tslens-lens-prompt").first();
    await box.scrollIntoViewIfNeeded();
    assert.match(await box.inputValue(), /Mr and Mrs Dursley were proud/, "the box holds the notebook's text");
    const answered = async (count: number) =>
      eventually(async () => ((await page.evaluate(LENS_FIELDS)) as any).report.recomputations === count || undefined, {
        what: `the lens's answer ${count}`,
        timeoutMs: 60_000,
      });
    const type = async (text: string, count: number) => {
      await box.fill(text);
      await box.press("Tab"); // the box sends its text when it loses focus
      await answered(count);
      return (await page.evaluate(LENS_FIELDS)) as any;
    };
    const typed = Date.now();
    const first = await type(PROMPT, 1);
    console.log(
      `      lens's first recomputation: ${first.report.firstMs.toFixed(0)} ms in the page, ${Date.now() - typed} ms from typing`,
    );
    assert.equal(first.report.lastError, undefined);
    assert.equal(first.promptError, "");
    const expected = await kernelLens(model, PROMPT);
    assert.deepEqual(first.tokens, expected.tokens);
    assert.deepEqual(first.topTokens, expected.topTokens);
    assert.deepEqual(first.nextRank, expected.nextRank);
    const diff = maxDiff(first.topProbs, expected.topProbs, "top probabilities");
    assert.ok(diff <= 1e-4, `probabilities differ from the kernel's by ${diff}`);
    // The table drew the new prompt: its columns, and each final-row cell the kernel's top token.
    const table = page.locator(".tslens-logit-lens").first();
    assert.deepEqual(await table.locator(".tslens-lens-token").allTextContents(), expected.tokens.map(displayToken));
    const cells = await table.locator("tr:nth-child(4) .tslens-lens-cell").allTextContents();
    assert.deepEqual(
      cells.map((c) => c.replace(/^✓/, "")),
      expected.topTokens[2].map((cell: string[]) => displayToken(cell[0])),
    );
    // An empty prompt: the error under the box, the grid kept.
    const failed = await type("", 2);
    assert.equal(failed.report.lastError, EMPTY_PROMPT_ERROR);
    assert.equal(await table.locator(".tslens-lens-error").innerText(), `error: ${EMPTY_PROMPT_ERROR}`);
    assert.deepEqual(failed.topTokens, expected.topTokens, "the grid stays");
    // More answers, an error among them: the page's tensor count does not grow.
    const counts = [failed.tensors];
    for (const [text, n] of [
      [OTHER_PROMPT, 3],
      ["", 4],
      [PROMPT, 5],
    ] as const)
      counts.push((await type(text, n)).tensors);
    assert.equal(await table.locator(".tslens-lens-error").count(), 0, "the next answer clears the error");
    assert.ok(
      counts.every((c) => c === counts[0]),
      `tf.memory().numTensors after each answer: ${counts}`,
    );
    const file = await browser!.screenshot(ARTIFACTS, "live-export-lens-recomputed");
    if (file) console.log(`      screenshot: ${path.relative(process.cwd(), file)}`);
  });

  it("the induction view's answers leak nothing either; nothing was fetched; no errors but the empty prompt's", async function () {
    const page = browser!.page;
    const box = page.locator(".tslens-induction-heads textarea").first();
    const counts: number[] = [];
    for (const [text, n] of [
      [PROMPT, 1],
      [OTHER_PROMPT, 2],
      [PROMPT, 3],
    ] as const) {
      await box.fill(text);
      await box.press("Tab");
      const report = await eventually(
        async () => {
          const r = (await page.evaluate("window.tslensLiveViews[0]")) as any;
          return r.recomputations === n ? r : undefined;
        },
        { what: `the induction view's answer ${n}`, timeoutMs: 60_000 },
      );
      counts.push(report.tensorsAfter);
    }
    assert.ok(
      counts.every((c) => c === counts[0]),
      `tf.memory().numTensors after each answer: ${counts}`,
    );
    assert.deepEqual(browser!.blockedRequests, [], "requests off 127.0.0.1");
    assert.deepEqual(
      browser!.problems.filter((p) => !p.startsWith("[warning]") && !p.includes(`logitLens (live): ${EMPTY_PROMPT_ERROR}`)),
      [],
      "console errors",
    );
  });
});
