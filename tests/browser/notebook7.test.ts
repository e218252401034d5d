/**
 * Smoke test of the tslens widgets in Notebook 7 (served by the same `jupyter
 * lab` server at /notebooks/<path>) in a real browser.
 *
 * Opens a notebook with an IntSlider cell and a `s.value` cell, runs them all,
 * checks the slider renders with readout 4, moves it to 6 through its readout,
 * and re-runs the `s.value` cell to check the kernel sees 6. A third cell shows tslens's own views (the
 * extension works in Notebook 7 too).
 *
 * Screenshots go to tests/artifacts/ (gitignored), with the server log.
 */
import assert from "node:assert/strict";
import type { TestBrowser } from "./browser";
import type { LabServer } from "./lab-server";
import type { LabNotebook } from "./notebook";
import { LabSession } from "./session";

const PREFIX = "nb7";
const NOTEBOOK = "slider.ipynb";

/**
 * Notebook 7.6's own startup error, not tslens's: while plugins load, its
 * shortcuts plugin reads `plugins[...].schema` from the settings registry before
 * the entry exists (next to its "Settings failed to load ... has no transformers
 * yet" warnings, cf. jupyter/notebook#7062). A plain `jupyter notebook` server
 * shows it on /tree with no notebook open and no tslens kernel running.
 */
function isKnownNotebook7Error(problem: string): boolean {
  const [first, frame] = problem.split("\n");
  return (
    first === "[pageerror] TypeError: Cannot read properties of undefined (reading 'schema')" &&
    /\/static\/notebook\/notebook_core\.[0-9a-f]+\.js/.test(frame ?? "")
  );
}

const CELLS = [
  'import { IntSlider } from "tslens";\nconst s = new IntSlider({ value: 4, min: 0, max: 10, description: "k" });\ns',
  "s.value",
  [
    'import * as lens from "tslens";',
    "const model = await lens.loadModel();",
    'const text = "The cat sat on the mat. The cat sat on the mat.";',
    'const { cache } = model.runWithCache(text, { namesFilter: (n) => n.endsWith("hook_pattern"), returnType: "none" });',
    'lens.display(lens.headScores({ scores: lens.detectHead(model, text, "induction_head"), title: "induction score" }));',
    'lens.attentionPatterns({ tokens: model.toStrTokens(text), attention: cache.get("blocks.1.attn.hook_pattern"), layers: 1 })',
  ].join("\n"),
];

describe("Notebook 7 in a browser: tslens widgets (smoke test)", function () {
  this.timeout(300_000);
  this.slow(60_000);

  let session: LabSession | undefined;
  let server: LabServer;
  let browser: TestBrowser;
  let nb: LabNotebook;

  /** Saves a screenshot named after the step and prints its path. */
  const screenshot = async (step: string) => session?.screenshot(step);

  before(async function () {
    session = await LabSession.start(PREFIX, NOTEBOOK, CELLS);
    ({ server, browser, nb } = session);
  });

  beforeEach(() => session?.checkNoEarlierFailure());

  afterEach(async function () {
    await session?.noteFailure(this.currentTest);
  });

  after(async function () {
    this.timeout(60_000);
    await session?.close();
  });

  it("opens /notebooks/<path> in Notebook 7 with an idle tslens kernel", async function () {
    await page().goto(server!.url(`/notebooks/${NOTEBOOK}`), { waitUntil: "domcontentloaded", timeout: 60_000 });
    await page().locator(".jp-NotebookPanel .jp-Notebook-cell").first().waitFor({ state: "visible", timeout: 90_000 });
    const state = await nb.waitForIdleKernel(NOTEBOOK, "tslens", 90_000);
    assert.equal(state.appName, "Jupyter Notebook", "the page is Notebook 7's UI (not JupyterLab's)");
    assert.equal(state.executionCounts.length, 3, "the notebook has 3 cells");
    await screenshot("opened");
  });

  it("runs all cells: the slider renders with readout 4, s.value is 4", async function () {
    const ok = await nb.command("notebook:run-all-cells");
    const state = await nb.waitForExecuted([null, null, null], 90_000);
    assert.equal(ok, true, `notebook:run-all-cells reported a failure; state: ${JSON.stringify(state)}`);

    await nb.output(0).locator(".widget-slider, .widget-hslider").first().waitFor({ state: "visible", timeout: 30_000 });
    await nb.output(0).locator(".noUi-handle").first().waitFor({ state: "visible", timeout: 10_000 });
    assert.equal((await nb.sliderReadout(0).innerText()).trim(), "4", "the slider's readout shows 4");
    assert.match(await nb.output(0).locator(".widget-label").first().innerText(), /^k$/, "the slider's description is k");
    await nb.waitForOutput(1, (t) => /^(\[\d+\]:\s*)?4$/.test(t), 'is "4"', 30_000);

    const all = await nb.text();
    assert.ok(!all.includes("Error displaying widget"), `a widget failed to display:\n${await nb.describeOutputs()}`);
    await screenshot("ran-all");
  });

  it("sets the slider to 6 through its readout; re-running s.value shows 6", async function () {
    await nb.setSliderThroughReadout(0, 6);
    await nb.runCellFromUi(1, 30_000);
    await nb.waitForOutput(1, (t) => /^(\[\d+\]:\s*)?6$/.test(t), 'is "6"', 15_000);
    await screenshot("slider-6");
  });

  it("tslens's own views render too: the score grid (a table with its numbers) and the pattern canvases", async function () {
    const out = nb.output(2);
    await out.locator(".tslens-head-scores .tslens-score-cell").first().waitFor({ state: "visible", timeout: 30_000 });
    const scores = await out.locator(".tslens-head-scores .tslens-score-cell").allTextContents();
    assert.ok(
      scores.length === 8 && scores.every((t) => /^(0|<0\.01|\d\.\d\d)$/.test(t)),
      `8 cells with their scores: ${scores}`,
    );
    await out.locator(".tslens-attention canvas.tslens-main").first().waitFor({ state: "visible", timeout: 30_000 });
    const inked = await out.locator(".tslens-attention canvas").evaluateAll(
      (canvases) =>
        canvases.filter((c) => {
          const el = c as unknown as {
            width: number;
            height: number;
            getContext(k: "2d"): { getImageData(...a: number[]): { data: Uint8ClampedArray } };
          };
          const d = el.getContext("2d").getImageData(0, 0, el.width, el.height).data;
          for (let i = 0; i < d.length; i += 4) if (d[i] < 250) return true;
          return false;
        }).length,
    );
    assert.equal(inked, 6, "4 thumbnails, the large pattern and the legend are drawn");
    await out.locator(".tslens-attention").scrollIntoViewIfNeeded();
    await screenshot("views");
  });

  it("the page, the server and the kernel logged no errors; nothing left 127.0.0.1", function () {
    const notWarnings = browser!.problems.filter((p) => !p.startsWith("[warning]"));
    const known = notWarnings.filter(isKnownNotebook7Error);
    if (known.length > 0)
      console.log(`      ignored ${known.length} known Notebook 7 startup error(s) (see isKnownNotebook7Error)`);
    const errors = notWarnings.filter((p) => !isKnownNotebook7Error(p));
    assert.deepEqual(errors, [], "browser console errors / uncaught exceptions");
    assert.deepEqual(browser!.blockedRequests, [], "requests to hosts other than 127.0.0.1");
    const bad = server!.log
      .split("\n")
      .filter((l) => /^\[tslens kernel\] (WARN|ERROR)\b|^\[E |Traceback \(most recent call last\)/.test(l));
    assert.deepEqual(bad, [], "kernel warnings/errors or server errors in the jupyter server log");
  });

  function page() {
    return browser!.page;
  }
});
