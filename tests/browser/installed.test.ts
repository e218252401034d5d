/**
 * `tslens install --prefix DIR` into a fresh prefix, then JupyterLab in a browser on that prefix's
 * data only (its kernelspec first on JUPYTER_PATH; tslens-widgets from DIR, .venv's copy left out):
 * a cell's coloredTokens view renders live (the extension's DOM), not as its PNG fallback.
 */
import assert from "node:assert/strict";
import { execFileSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { REPO_ROOT } from "./lab-server";
import { LabSession } from "./session";

const NOTEBOOK = "installed.ipynb";
const CELLS = ['import * as lens from "tslens";\nlens.coloredTokens({ tokens: [" one", " two", " three"], values: [-1, 0, 2] })'];

describe("JupyterLab on a prefix written by `tslens install --prefix`: the views render live", function () {
  this.timeout(240_000);
  let prefix: string;
  let session: LabSession | undefined;

  before(async function () {
    prefix = fs.mkdtempSync(path.join(os.tmpdir(), "tslens-prefix-"));
    execFileSync(process.execPath, [path.join(REPO_ROOT, "bin", "tslens.js"), "install", "--prefix", prefix], { stdio: "pipe" });
    session = await LabSession.start("installed", NOTEBOOK, CELLS, { dataPath: path.join(prefix, "share", "jupyter") });
  });

  afterEach(async function () {
    await session?.noteFailure(this.currentTest);
  });

  after(async function () {
    this.timeout(60_000);
    await session?.close();
    if (prefix) fs.rmSync(prefix, { recursive: true, force: true });
  });

  it("the page loads tslens-widgets from the prefix; a cell's view is the live view, not the PNG", async function () {
    const { server, nb, page } = session!;
    const lab = await server.get("/lab/tree/" + NOTEBOOK);
    assert.match(lab.body, /"name": ?"tslens-widgets"/, "the page config lists the extension (found only in the prefix)");
    await page.goto(server.url(`/lab/tree/${NOTEBOOK}`), { waitUntil: "domcontentloaded", timeout: 60_000 });
    await nb.waitForIdleKernel(NOTEBOOK, "tslens", 90_000);
    await nb.command("notebook:run-all-cells");
    await nb.waitForExecuted([null], 90_000);
    const view = nb.output(0).locator(".tslens-colored-tokens");
    await view.waitFor({ state: "visible", timeout: 30_000 });
    const shown = await view.innerText();
    assert.ok(
      ["one", "two", "three"].every((t) => shown.includes(t)),
      `the tokens as text: ${JSON.stringify(shown)}`,
    );
    assert.equal(await nb.output(0).locator("img").count(), 0, "no PNG fallback in the output");
    await session!.screenshot("live-view");
  });
});
