/**
 * The progress bar in a real browser (JupyterLab 4 + chromium): a finished sweep leaves one bar
 * with its "done in" line in its cell; a long sweep shows a moving bar with a Cancel button, and a
 * click on Cancel stops it: the cell ends with the sweep's "cancelled after … runs" error and the
 * bar turns red. Screenshots of the running, finished and cancelled bars, light and dark.
 */
import assert from "node:assert/strict";
import type { TestBrowser } from "./browser";
import type { LabServer } from "./lab-server";
import type { LabNotebook } from "./notebook";
import { LabSession } from "./session";
import { eventually } from "./wait";

const NOTEBOOK = "progress.ipynb";

const CELLS = [
  [
    'import * as lens from "tslens";',
    "const model = await lens.loadModel();",
    "const clean = [Array.from({ length: 24 }, (_, i) => ((i * 37) % 1000) + 1)];",
    "const corrupted = [clean[0].map((t, i) => (i === 3 ? 999 : t))];",
    'const { cache } = model.runWithCache(clean, { returnType: "none" });',
    "const metric: lens.PatchMetric = (logits) => logits.slice([0, 23, 5], [-1, 1, 1]).mean();",
    '(await lens.getActPatchAttnHeadOutByPos(model, corrupted, cache, metric, { mode: "loop" })).dispose();',
  ].join("\n"),
  '(await lens.getActPatchAttnHeadPatternDestSrcPos(model, corrupted, cache, metric, { mode: "loop" })).dispose();',
];

describe("JupyterLab in a browser: progress bar and cancel", function () {
  this.timeout(300_000);
  this.slow(60_000);

  let session: LabSession | undefined;
  let server: LabServer;
  let browser: TestBrowser;
  let nb: LabNotebook;
  let ranAll: Promise<unknown> | undefined;

  before(async function () {
    session = await LabSession.start("progress", NOTEBOOK, CELLS);
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

  const page = () => browser.page;
  /** The bar's fill width as a fraction of its track, in cell `n`. */
  const filled = (n: number) =>
    nb
      .output(n)
      .locator(".widget-hprogress .progress-bar")
      .evaluate((bar) => bar.getBoundingClientRect().width / bar.parentElement!.getBoundingClientRect().width);

  it("a long sweep shows a moving bar with a Cancel button; the finished one above reads 'done in'", async () => {
    await page().goto(server.url(`/lab/tree/${NOTEBOOK}`), { waitUntil: "domcontentloaded", timeout: 60_000 });
    await nb.waitForIdleKernel(NOTEBOOK, "tslens", 90_000);
    // The command resolves when every cell has run: not awaited here, so the test sees the long cell running.
    ranAll = nb.command("notebook:run-all-cells");
    await nb.waitForOutput(0, (t) => /^192 runs · done in \d/m.test(t), "the finished bar's line", 120_000);
    const cancel = nb.output(1).getByRole("button", { name: "Cancel" });
    await cancel.waitFor({ state: "visible", timeout: 60_000 });
    const moving = await eventually(async () => ((await filled(1)) > 0 ? await filled(1) : undefined), {
      what: "the bar of cell 2 to move",
      timeoutMs: 30_000,
      describe: () => nb.describeOutputs(),
    });
    assert.ok(moving < 1, `the long sweep is still running: ${moving}`);
    assert.match(await nb.outputText(1), /^patching attn\.hook_pattern[\s\S]*\d+\/4608 runs · /);
    assert.equal(await filled(0), 1, "the finished bar is full");
    await session?.screenshot("running-light");
  });

  it("a click on Cancel stops the sweep: the cell's error says how far it got and the bar turns red", async () => {
    await nb.output(1).getByRole("button", { name: "Cancel" }).click();
    const text = await nb.waitForOutput(1, (t) => /SweepCancelledError/.test(t), "the sweep's error", 60_000);
    assert.match(text, /patching attn\.hook_pattern sweep cancelled after \d+ of 4608 runs/);
    assert.match(text, /cancelled after \d+ of 4608 runs · /, "the bar's last line");
    await ranAll;
    assert.equal(await nb.output(1).getByRole("button", { name: "Cancel" }).count(), 0, "the button is gone");
    const red = await nb.output(1).locator(".widget-hprogress .progress-bar-danger").count();
    assert.equal(red, 1);
    await session?.screenshot("cancelled-light");
    await nb.command("apputils:change-theme", { theme: "JupyterLab Dark" });
    await eventually(() => page().evaluate<boolean>('document.body.dataset.jpThemeLight === "false"'), {
      what: "the dark theme applied",
      timeoutMs: 20_000,
    });
    await page().waitForTimeout(500); // the theme's stylesheet settles
    await session?.screenshot("cancelled-dark");
    await nb.command("apputils:change-theme", { theme: "JupyterLab Light" });
  });
});
