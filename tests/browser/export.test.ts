/**
 * The static export: `tslens export notebooks/04-views.ipynb --execute` writes one HTML file whose
 * views render in a browser with no kernel, no JupyterLab and no network (every request off
 * 127.0.0.1 is blocked and recorded), from the widget state saved in the notebook. Token text with
 * markup stays text there too.
 */
import assert from "node:assert/strict";
import { execFileSync } from "child_process";
import * as fs from "fs";
import * as http from "http";
import type { AddressInfo } from "net";
import * as os from "os";
import * as path from "path";
import { TestBrowser } from "./browser";
import { REPO_ROOT } from "./lab-server";
import { ARTIFACTS } from "./session";
import { eventually } from "./wait";

describe("static export of notebooks/04-views in a browser (no kernel, offline)", function () {
  this.timeout(300_000);
  let tmpDir: string;
  let html: string;
  let server: http.Server | undefined;
  let browser: TestBrowser | undefined;
  const dialogs: string[] = [];

  before(async function () {
    tmpDir = fs.mkdtempSync(path.join(os.tmpdir(), "tslens-export-"));
    const out = path.join(tmpDir, "04-views.html");
    const started = Date.now();
    execFileSync(
      process.execPath,
      [
        path.join(REPO_ROOT, "bin", "tslens.js"),
        "export",
        path.join(REPO_ROOT, "notebooks", "04-views.ipynb"),
        "-o",
        out,
        "--execute",
      ],
      { stdio: ["ignore", "pipe", "pipe"], timeout: 280_000 },
    );
    html = fs.readFileSync(out, "utf8");
    console.log(`      exported in ${Date.now() - started} ms: ${(html.length / 1e6).toFixed(1)} MB`);
    server = http.createServer((_req, res) => {
      res.writeHead(200, { "content-type": "text/html; charset=utf-8" });
      res.end(html);
    });
    await new Promise<void>((resolve) => server!.listen(0, "127.0.0.1", resolve));
    browser = await TestBrowser.launch();
    browser.page.on("dialog", (dialog) => {
      dialogs.push(dialog.message());
      void dialog.dismiss();
    });
  });

  after(async function () {
    await browser?.close();
    server?.close();
    if (tmpDir) fs.rmSync(tmpDir, { recursive: true, force: true });
  });

  it("is one file: no script, style or font comes from elsewhere", function () {
    assert.equal((html.match(/<script[^>]*\ssrc=/g) ?? []).length, 0, "an external <script src>");
    assert.equal((html.match(/<link[^>]*\shref="https?:/g) ?? []).length, 0, "an external <link href>");
    assert.ok(html.includes('<script type="application/vnd.jupyter.widget-state+json">'), "the saved widget state");
  });

  it("renders every view from the saved state: patterns, score grids with their numbers, coloured tokens, logit lens", async function () {
    const page = browser!.page;
    const { port } = server!.address() as AddressInfo;
    await page.goto(`http://127.0.0.1:${port}/`, { waitUntil: "domcontentloaded" });
    const counts = () =>
      page.evaluate(`(() => ({
        patterns: document.querySelectorAll(".tslens-attention canvas.tslens-main").length,
        inked: Array.from(document.querySelectorAll(".tslens-attention canvas")).filter((c) => {
          const d = c.getContext("2d").getImageData(0, 0, c.width, c.height).data;
          for (let i = 0; i < d.length; i += 4) if (d[i] < 250) return true;
          return false;
        }).length,
        grids: Array.from(document.querySelectorAll(".tslens-head-scores")).filter((g) =>
          Array.from(g.querySelectorAll(".tslens-score-cell")).some((c) => /[0-9]/.test(c.textContent || "")),
        ).length,
        colored: document.querySelectorAll(".tslens-colored-tokens .tslens-token").length,
        lens: document.querySelectorAll(".tslens-lens-cell").length,
      }))()`) as Promise<Record<string, number>>;
    const seen = await eventually(
      async () => {
        const c = await counts();
        return c.patterns === 2 && c.grids === 3 && c.colored > 0 && c.lens > 0 ? c : undefined;
      },
      {
        what: "all views rendered from the saved state",
        timeoutMs: 60_000,
        describe: async () => JSON.stringify(await counts()),
      },
    );
    assert.equal(seen.inked, 20, `non-blank pattern canvases: ${JSON.stringify(seen)}`);
    assert.equal(seen.lens, 3 * 68, "3 layers × 68 positions");
    const file = await browser!.screenshot(ARTIFACTS, "export-01-rendered");
    if (file) console.log(`      screenshot: ${path.relative(process.cwd(), file)}`);
  });

  it("with no kernel, the pattern's tooltip shows the quantised value, marked ≈", async function () {
    const main = browser!.page.locator(".tslens-attention canvas.tslens-main").first();
    await main.scrollIntoViewIfNeeded();
    const box = (await main.boundingBox())!;
    await browser!.page.mouse.move(box.x + box.width * 0.1, box.y + box.height * 0.9);
    const tooltip = browser!.page.locator(".tslens-attention .tslens-tooltip").first();
    assert.match(await tooltip.innerText(), /: ≈(\d\.\d{3}|0|<0\.001)$/);
  });

  it("token markup stays text: no element or script comes of it; nothing was fetched; no errors", async function () {
    const page = browser!.page;
    const tokens = await page.locator(".tslens-attention .tslens-token").allTextContents();
    assert.ok(tokens.join("").includes("<img·src=x·onerror=alert(1)>"), tokens.slice(0, 20).join("|"));
    assert.equal(await page.locator(".tslens-view img, .jp-OutputArea img[src='x']").count(), 0);
    assert.deepEqual(dialogs, []);
    assert.deepEqual(browser!.blockedRequests, [], "requests off 127.0.0.1");
    assert.deepEqual(
      browser!.problems.filter((p) => !p.startsWith("[warning]")),
      [],
      "console errors",
    );
  });
});
