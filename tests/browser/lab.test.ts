/**
 * End-to-end test in a real browser: JupyterLab + the tslens kernel + the
 * standard @jupyter-widgets/controls views.
 *
 * Opens a notebook with an IntSlider cell, a Button cell whose click callback
 * prints the slider's kernel-side value, and a `s.value` cell; runs them all;
 * moves the slider to 8 through its readout; clicks the button; and checks the
 * callback's output lands inside the button's cell and that the kernel sees 8.
 *
 * Screenshots go to tests/artifacts/ (gitignored), with the server log.
 */
import assert from "node:assert/strict";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { TestBrowser } from "./browser";
import { LabServer, REPO_ROOT } from "./lab-server";
import { LabNotebook, writeNotebook } from "./notebook";
import { eventually } from "./wait";

const ARTIFACTS = path.join(REPO_ROOT, "tests", "artifacts");
const NOTEBOOK = "widgets.ipynb";
const HELLO = "hello from the kernel, value =";

const CELLS = [
  'import { IntSlider, Button } from "tslens";\nconst s = new IntSlider({ value: 3, min: 0, max: 10, description: "n" });\ns',
  'const b = new Button({ description: "Say hello" });\nb.onClick(() => console.log("hello from the kernel, value =", s.value));\nb',
  "s.value",
];

describe("JupyterLab in a browser: tslens widgets", function () {
  this.timeout(300_000);
  this.slow(60_000);

  let tmpDir: string;
  let server: LabServer | undefined;
  let browser: TestBrowser | undefined;
  let nb: LabNotebook;
  let failed = false;
  let shot = 0;

  /** Saves a screenshot named after the step and prints its path. */
  async function screenshot(step: string): Promise<void> {
    if (!browser) return;
    const file = await browser.screenshot(ARTIFACTS, `lab-${String(++shot).padStart(2, "0")}-${step}`);
    if (file) console.log(`      screenshot: ${path.relative(process.cwd(), file)}`);
  }

  before(async function () {
    tmpDir = fs.mkdtempSync(path.join(os.tmpdir(), "tslens-lab-"));
    writeNotebook(path.join(tmpDir, NOTEBOOK), CELLS);
    fs.mkdirSync(ARTIFACTS, { recursive: true });
    for (const f of fs.readdirSync(ARTIFACTS)) if (/^lab-.*\.(png|log)$/.test(f)) fs.rmSync(path.join(ARTIFACTS, f));
    const started = Date.now();
    server = await LabServer.start({ rootDir: tmpDir, logFile: path.join(ARTIFACTS, "lab-server.log") });
    console.log(
      `      jupyter lab up on port ${server.port} in ${Date.now() - started} ms (log: tests/artifacts/lab-server.log)`,
    );
    browser = await TestBrowser.launch();
    nb = new LabNotebook(browser.page);
  });

  beforeEach(function () {
    // The steps build on each other: after a failure, the rest can only fail for the same reason.
    if (failed) this.skip();
  });

  afterEach(async function () {
    const test = this.currentTest;
    if (test?.state !== "failed") return;
    failed = true;
    await screenshot("FAILED");
    const details = [
      `--- notebook state ---\n${await nb?.describe().catch((e: Error) => `<${e.message}>`)}`,
      `--- browser console errors/warnings (tail) ---\n${browser?.problemsTail() ?? "(no browser)"}`,
      `--- requests blocked (off 127.0.0.1) ---\n${browser?.blockedRequests.join("\n") || "(none)"}`,
      `--- jupyter lab log (tail) ---\n${server?.logTail(60) ?? "(no server)"}`,
    ].join("\n");
    if (test.err) test.err.message += `\n${details}`;
    else console.log(details);
  });

  after(async function () {
    this.timeout(60_000);
    if (browser) {
      const file = path.join(ARTIFACTS, "lab-browser-console.log");
      fs.writeFileSync(
        file,
        [...browser.console, ...browser.blockedRequests.map((u) => `[blocked request] ${u}`)].join("\n") + "\n",
      );
      console.log(`      browser console: ${path.relative(process.cwd(), file)} (${browser.problems.length} errors/warnings)`);
    }
    await browser?.close();
    await server?.stop();
    if (tmpDir) fs.rmSync(tmpDir, { recursive: true, force: true });
  });

  it("opens the notebook in JupyterLab with an idle tslens kernel", async function () {
    await page().goto(server!.url(`/lab/tree/${NOTEBOOK}`), { waitUntil: "domcontentloaded", timeout: 60_000 });
    await page().locator(".jp-NotebookPanel .jp-Notebook-cell").first().waitFor({ state: "visible", timeout: 90_000 });
    const state = await nb.waitForIdleKernel(NOTEBOOK, "tslens", 90_000);
    assert.equal(state.executionCounts.length, 3, "the notebook has 3 cells");
    await screenshot("opened");
  });

  it("runs all cells: the slider and the button render, s.value is 3", async function () {
    const ok = await nb.command("notebook:run-all-cells");
    const state = await nb.waitForExecuted([null, null, null], 60_000);
    assert.equal(ok, true, `notebook:run-all-cells reported a failure; state: ${JSON.stringify(state)}`);

    const slider = nb.output(0).locator(".widget-slider, .widget-hslider").first();
    await slider.waitFor({ state: "visible", timeout: 30_000 });
    await nb.output(0).locator(".noUi-handle").first().waitFor({ state: "visible", timeout: 10_000 });
    assert.equal((await nb.output(0).locator(".widget-readout").first().innerText()).trim(), "3", "the slider's readout shows 3");
    assert.match(await nb.output(0).locator(".widget-label").first().innerText(), /^n$/, "the slider's description is n");

    const button = nb.output(1).getByRole("button", { name: "Say hello" });
    await button.waitFor({ state: "visible", timeout: 30_000 });

    await nb.waitForOutput(2, (t) => /^(\[\d+\]:\s*)?3$/.test(t), 'is "3"', 30_000);

    const all = await page().locator(".jp-NotebookPanel .jp-Notebook").innerText();
    assert.ok(!all.includes("Error displaying widget"), `a widget failed to display:\n${await nb.describeOutputs()}`);
    await screenshot("ran-all");
  });

  it("sets the slider to 8 through its editable readout", async function () {
    const readout = nb.output(0).locator(".widget-readout").first();
    await readout.click();
    await page().keyboard.press("ControlOrMeta+a");
    await page().keyboard.type("8");
    await page().keyboard.press("Enter");
    await eventually(async () => (await readout.innerText()).trim() === "8", {
      what: "the slider readout to show 8",
      timeoutMs: 10_000,
      describe: async () => `readout ${JSON.stringify(await readout.innerText())}`,
    });
    const handle = nb.output(0).locator(".noUi-handle").first();
    await eventually(async () => (await handle.getAttribute("aria-valuenow"))?.startsWith("8") === true, {
      what: "the slider handle to move to 8",
      timeoutMs: 10_000,
      describe: async () => `aria-valuenow ${await handle.getAttribute("aria-valuenow")}`,
    });
    await screenshot("slider-8");
  });

  it("clicking the button prints the kernel-side value 8 inside the button's cell", async function () {
    await nb.output(1).getByRole("button", { name: "Say hello" }).click();
    const text = await nb.waitForOutput(1, (t) => t.includes(`${HELLO} 8`), `contains "${HELLO} 8"`, 30_000);
    assert.ok(!text.includes(`${HELLO} 3`), `the callback saw the old value:\n${text}`);
    // The line is rendered inside the notebook cell (by the Output widget the kernel shows there) ...
    const line = nb.output(1).getByText(`${HELLO} 8`);
    await line.first().waitFor({ state: "visible", timeout: 5_000 });
    assert.equal(await line.count(), 1, "the click printed exactly one line");
    for (const n of [0, 2])
      assert.ok(!(await nb.outputText(n)).includes(HELLO), `the click's output also appeared in cell ${n + 1}`);
    await screenshot("clicked");

    // ... and not (only) in JupyterLab's log console, where outputs no cell claims go.
    await nb.command("logconsole:open", { insertMode: "split-bottom" });
    const logConsole = page().locator(".jp-LogConsole").first();
    await logConsole.waitFor({ state: "visible", timeout: 10_000 });
    const logText = await logConsole.innerText();
    assert.ok(!logText.includes(HELLO), `the click's output went to the log console (unhandled by any cell):\n${logText}`);
    await screenshot("log-console");
    await nb.command("logconsole:open"); // toggles it closed again
  });

  it("re-running the s.value cell shows 8", async function () {
    const before = (await nb.state()).executionCounts[2] ?? 0;
    // Select the third cell through the UI (its input prompt; command mode) and run it with Shift+Enter.
    await nb.cell(2).locator(".jp-InputPrompt").click();
    await eventually(async () => (await nb.state()).activeCellIndex === 2, {
      what: "cell 3 to be the active cell",
      timeoutMs: 5_000,
      describe: () => nb.describe(),
    });
    await page().keyboard.press("Shift+Enter");
    await nb.waitForExecuted([null, null, before + 1], 30_000);
    await nb.waitForOutput(2, (t) => /^(\[\d+\]:\s*)?8$/.test(t), 'is "8"', 15_000);
    await screenshot("reran-value");
  });

  it("the page, the server and the kernel logged no errors; nothing left 127.0.0.1", function () {
    const errors = browser!.problems.filter((p) => !p.startsWith("[warning]"));
    assert.deepEqual(errors, [], "browser console errors / uncaught exceptions");
    assert.deepEqual(browser!.blockedRequests, [], "requests to hosts other than 127.0.0.1");
    const bad = server!.log
      .split("\n")
      .filter((l) => /^\[tslens kernel\] (WARN|ERROR)\b|^\[E |Traceback \(most recent call last\)/.test(l));
    assert.deepEqual(bad, [], "kernel warnings/errors or server errors in the jupyter lab log");
  });

  function page() {
    return browser!.page;
  }
});
