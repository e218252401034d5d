/**
 * End-to-end test in a real browser: JupyterLab + the tslens kernel + the
 * standard @jupyter-widgets/controls views.
 *
 * Opens a notebook with an IntSlider cell, a Button cell whose click callback
 * prints the slider's kernel-side value, and a `s.value` cell; runs them all;
 * moves the slider to 8 through its readout; clicks the button; and checks the
 * callback's output lands inside the button's cell and that the kernel sees 8.
 * Then saves the notebook and reloads the page with the kernel alive: the
 * widgets must come back from the kernel through the ipywidgets control comm
 * (`jupyter.widget.control`: request_states → update_states; checked on the
 * page's kernel websocket), and the restored button must still print into its cell.
 *
 * Screenshots go to tests/artifacts/ (gitignored), with the server log.
 */
import assert from "node:assert/strict";
import * as fs from "fs";
import * as path from "path";
import type { TestBrowser } from "./browser";
import { describeWire, kernelWire, recordKernelWire, WireMessage } from "./kernel-wire";
import type { LabServer } from "./lab-server";
import type { LabNotebook } from "./notebook";
import { LabSession } from "./session";
import { eventually } from "./wait";

const NOTEBOOK = "widgets.ipynb";
const HELLO = "hello from the kernel, value =";
const CONTROL_TARGET = "jupyter.widget.control";
const WIDGET_VIEW_MIME = "application/vnd.jupyter.widget-view+json";

/** The parts of a saved .ipynb the test reads. */
interface SavedNotebook {
  metadata: Record<string, unknown>;
  cells: { outputs: { data?: Record<string, unknown> }[] }[];
}

const CELLS = [
  'import { IntSlider, Button } from "tslens";\nconst s = new IntSlider({ value: 3, min: 0, max: 10, description: "n" });\ns',
  'const b = new Button({ description: "Say hello" });\nb.onClick(() => console.log("hello from the kernel, value =", s.value));\nb',
  "s.value",
];

describe("JupyterLab in a browser: tslens widgets", function () {
  this.timeout(300_000);
  this.slow(60_000);

  let session: LabSession | undefined;
  let server: LabServer;
  let browser: TestBrowser;
  let nb: LabNotebook;
  let tmpDir: string;
  let kernelBeforeReload: string | undefined;

  /** Saves a screenshot named after the step and prints its path. */
  const screenshot = async (step: string) => session?.screenshot(step);

  before(async function () {
    session = await LabSession.start("lab", NOTEBOOK, CELLS);
    ({ server, browser, nb, dir: tmpDir } = session);
  });

  beforeEach(() => session?.checkNoEarlierFailure());

  afterEach(async function () {
    await session?.noteFailure(this.currentTest);
  });

  after(async function () {
    this.timeout(60_000);
    await session?.close();
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
    await nb.setSliderThroughReadout(0, 8);
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
    await nb.runCellFromUi(2, 30_000);
    await nb.waitForOutput(2, (t) => /^(\[\d+\]:\s*)?8$/.test(t), 'is "8"', 15_000);
    await screenshot("reran-value");
  });

  it("saves the notebook: the widget views are in the file, the widget state is not", async function () {
    kernelBeforeReload = (await nb.state()).kernel?.id;
    assert.ok(kernelBeforeReload, "the notebook has a kernel");
    await nb.command("docmanager:save");
    await eventually(async () => (await nb.state()).dirty === false, {
      what: "the notebook to be saved (not dirty)",
      timeoutMs: 15_000,
      describe: () => nb.describe(),
    });
    const saved = JSON.parse(fs.readFileSync(path.join(tmpDir, NOTEBOOK), "utf8")) as SavedNotebook;
    for (const n of [0, 1]) {
      const mimeTypes = saved.cells[n].outputs.flatMap((o) => Object.keys(o.data ?? {}));
      assert.ok(mimeTypes.includes(WIDGET_VIEW_MIME), `saved cell ${n + 1} has no widget view output: ${mimeTypes.join(", ")}`);
    }
    // jupyterlab-manager's saveState is off: after a reload, the models can only come from the kernel.
    assert.equal(saved.metadata.widgets, undefined, "the notebook metadata has no saved widget state");
  });

  it("reloading the page with the kernel alive restores the widgets from the kernel over the control comm", async function () {
    await recordKernelWire(page());
    const started = Date.now();
    await page().reload({ waitUntil: "domcontentloaded", timeout: 60_000 });
    const readout = nb.sliderReadout(0);
    await eventually(async () => (await readout.isVisible()) && (await readout.innerText()).trim() === "8", {
      what: "the restored slider in cell 1, its readout showing 8",
      timeoutMs: 60_000,
      intervalMs: 50,
      describe: () => nb.describe(),
    });
    const restoreMs = Date.now() - started;

    const state = await nb.waitForIdleKernel(NOTEBOOK, "tslens", 30_000);
    assert.equal(state.kernel?.id, kernelBeforeReload, "the reloaded page is connected to the same (live) kernel");

    // The frontend asked the kernel for every widget state on the control comm, and the kernel answered.
    const wire = await kernelWire(page());
    const why = () => `slider restored ${restoreMs} ms after the reload; kernel messages of the page:\n${describeWire(wire)}`;
    const opened = wire.filter((m) => m.dir === "send" && m.msgType === "comm_open" && m.targetName === CONTROL_TARGET);
    assert.ok(opened.length > 0, `the page opened no ${CONTROL_TARGET} comm\n${why()}`);
    const controlComms = new Set(opened.map((m) => m.commId));
    const onControl = (m: WireMessage, dir: string, method: string) =>
      m.dir === dir && m.msgType === "comm_msg" && controlComms.has(m.commId) && m.method === method;
    const request = wire.find((m) => onControl(m, "send", "request_states"));
    assert.ok(request, `the page sent no request_states\n${why()}`);
    const reply = wire.find((m) => onControl(m, "recv", "update_states"));
    assert.ok(reply, `the kernel sent no update_states on the control comm\n${why()}`);
    const models = Object.values(reply.models ?? {});
    for (const model of ["IntSliderModel", "ButtonModel", "OutputModel"])
      assert.ok(models.includes(model), `update_states has no ${model}: ${JSON.stringify(reply.models)}`);
    // ... so the frontend did not take its fallback (taken after CONTROL_COMM_TIMEOUT = 4 s without an
    // answer): comm_info_request for jupyter.widget, then request_state on every widget comm.
    const fallback = wire.filter(
      (m) =>
        m.dir === "send" &&
        ((m.msgType === "comm_info_request" && m.targetName === "jupyter.widget") ||
          (m.msgType === "comm_msg" && m.method === "request_state")),
    );
    assert.deepEqual(fallback, [], `the widget manager fell back to per-widget request_state\n${why()}`);
    console.log(
      `      reload -> restored slider showing 8: ${restoreMs} ms ` +
        `(page: control comm opened at ${opened[0].t.toFixed(0)} ms, update_states with ${models.length} models ` +
        `${(reply.t - request.t).toFixed(0)} ms after request_states)`,
    );

    await nb.output(1).getByRole("button", { name: "Say hello" }).waitFor({ state: "visible", timeout: 10_000 });
    const all = await nb.text();
    assert.ok(
      !all.includes("Error displaying widget"),
      `a widget failed to display after the reload:\n${await nb.describeOutputs()}`,
    );
    await screenshot("reloaded");
  });

  it("clicking the restored button prints a new line inside its cell", async function () {
    // Consecutive prints share one stream output (one <pre>), so count the lines in the text.
    const helloLines = async () => (await nb.outputText(1)).split("\n").filter((l) => l.trim() === `${HELLO} 8`).length;
    const restored = await helloLines();
    // The Output widget's captured line is part of its model state, which the kernel restores too.
    assert.equal(
      restored,
      1,
      `the restored Output widget shows the line printed before the reload:\n${await nb.describeOutputs()}`,
    );
    await nb.output(1).getByRole("button", { name: "Say hello" }).click();
    await eventually(async () => (await helloLines()) === restored + 1, {
      what: `a new "${HELLO} 8" line in cell 2 (had ${restored})`,
      timeoutMs: 30_000,
      describe: () => nb.describeOutputs(),
    });
    for (const n of [0, 2])
      assert.ok(!(await nb.outputText(n)).includes(HELLO), `the click's output also appeared in cell ${n + 1}`);
    await screenshot("reloaded-clicked");
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
