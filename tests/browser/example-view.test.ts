/**
 * The example view (tests/example-view/, a view in one folder) round-trips between a real kernel and
 * a real browser: its page bundle is built here from that folder (esbuild, as the export bundle is
 * built); the state the kernel opens the view with is rendered by the ipywidgets HTML manager with
 * the example's model and view (made from its spec); a click on a bar becomes the update message
 * the browser model sends, which goes to the kernel as a comm_msg and sets `selectedBar` there;
 * and the kernel's next update (new values) is applied by the browser model and redraws the bars.
 */
import assert from "node:assert/strict";
import { spawnSync } from "child_process";
import * as http from "http";
import type { AddressInfo } from "net";
import * as path from "path";
import { KernelClient, Received } from "../kernel/client";
import { updatesOn } from "../widgets/view-wire";
import { TestBrowser } from "./browser";
import { REPO_ROOT } from "./lab-server";
import { eventually } from "./wait";

type Page = TestBrowser["page"];

/** What a cell imports to get the example view (its build in dist/, beside the tests). */
const EXAMPLE_MODULE = path.join(REPO_ROOT, "dist", "tests", "example-view", "exampleBars");

/** The example's page bundle: tests/example-view/page.browser.ts with everything it imports (stylesheets left out). */
function bundle(): string {
  const esbuild = require(path.join(REPO_ROOT, "widgets", "node_modules", "esbuild"));
  const result = esbuild.buildSync({
    entryPoints: [path.join(REPO_ROOT, "tests", "example-view", "page.browser.ts")],
    tsconfig: path.join(REPO_ROOT, "widgets", "tsconfig.json"),
    bundle: true,
    format: "iife",
    target: "es2020",
    write: false,
    banner: { js: "var __webpack_public_path__='';" },
    loader: { ".css": "empty", ".woff": "empty", ".woff2": "empty", ".ttf": "empty", ".eot": "empty", ".svg": "empty" },
    logLevel: "warning",
  });
  return result.outputFiles[0].text;
}

/** A page holding the widget state of `opens` (buffers base64, as saved notebooks hold them) and a view of `modelId`. */
function pageHtml(opens: Received[], modelId: string, script: string): string {
  const state: Record<string, unknown> = {};
  for (const open of opens) {
    const data = open.content.data as { state: Record<string, unknown>; buffer_paths: (string | number)[][] };
    state[String(open.content.comm_id)] = {
      model_name: data.state._model_name,
      model_module: data.state._model_module,
      model_module_version: data.state._model_module_version,
      state: data.state,
      buffers: data.buffer_paths.map((p, i) => ({ path: p, encoding: "base64", data: open.buffers[i].toString("base64") })),
    };
  }
  const json = (value: unknown) => JSON.stringify(value).replace(/</g, "\\u003c");
  return `<!doctype html><html><head><meta charset="utf-8"><title>example view</title></head><body>
<script type="application/vnd.jupyter.widget-state+json">${json({ version_major: 2, version_minor: 0, state })}</script>
<script type="application/vnd.jupyter.widget-view+json">${json({ version_major: 2, version_minor: 0, model_id: modelId })}</script>
<script>${script.replace(/<\/script/gi, "<\\/script")}</script>
</body></html>`;
}

/** The bars on the page: height (px) and background of each. */
const bars = (page: Page) =>
  page.evaluate(
    `Array.from(document.querySelectorAll(".tslens-example-bar")).map((b) => [b.offsetHeight, b.style.background])`,
  ) as Promise<[number, string][]>;

describe("example view between a real kernel and a browser", function () {
  this.timeout(180_000);
  let kernel: KernelClient;
  let browser: TestBrowser;
  let server: http.Server;
  let modelId: string;

  before(async function () {
    const script = bundle();
    kernel = await KernelClient.start();
    const { outputs } = await kernel.run(
      `import { exampleBars } from ${JSON.stringify(EXAMPLE_MODULE)};\nconst exView = exampleBars({ labels: ["a", "b", "c"], values: [1, 4, 2] });\nexView`,
    );
    const opens = outputs.filter((m) => m.header.msg_type === "comm_open");
    modelId = String(
      opens.find((m) => (m.content.data as { state: { _model_name: string } }).state._model_name === "ExampleBarsModel")!.content
        .comm_id,
    );
    const html = pageHtml(opens, modelId, script);
    server = http.createServer((_req, res) => {
      res.writeHead(200, { "content-type": "text/html; charset=utf-8" });
      res.end(html);
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    browser = await TestBrowser.launch();
    await browser.page.goto(`http://127.0.0.1:${(server.address() as AddressInfo).port}/`, { waitUntil: "domcontentloaded" });
  });

  after(async function () {
    await browser?.close();
    server?.close();
    await kernel?.stop();
  });

  it("the example's browser files type-check against the browser package (tests/example-view/tsconfig.json)", () => {
    const tsc = spawnSync(
      process.execPath,
      [require.resolve("typescript/bin/tsc"), "-p", path.join(REPO_ROOT, "tests", "example-view")],
      {
        encoding: "utf8",
      },
    );
    assert.equal(tsc.status, 0, tsc.stdout + tsc.stderr);
  });

  it("the browser draws the kernel's state: three bars to scale, none selected", async () => {
    const drawn = await eventually(async () => ((await bars(browser.page)).length === 3 ? bars(browser.page) : undefined), {
      what: "three bars",
      describe: () => browser.problemsTail(),
    });
    assert.deepEqual(
      drawn.map(([height]) => height),
      [25, 100, 50],
    );
    assert.ok(drawn.every(([, colour]) => colour === "rgb(0, 0, 200)"));
  });

  it("a click on a bar: the browser model sends selected_bar; sent to the kernel, it is selectedBar there", async () => {
    const page = browser.page;
    await page.evaluate(`(async () => {
      const model = await window.tslensManager.get_model(${JSON.stringify(modelId)});
      window.sentByModel = [];
      model.comm = { comm_id: ${JSON.stringify(modelId)}, target_name: "jupyter.widget",
        send: (data) => { window.sentByModel.push(JSON.parse(JSON.stringify(data))); return "sent-" + window.sentByModel.length; },
        close() {}, on_msg() {}, on_close() {} };
      model.comm_live = true;
    })()`);
    await page.locator(".tslens-example-bar").nth(1).click();
    const sent = (await eventually(
      async () => {
        const list = (await page.evaluate("window.sentByModel")) as unknown[];
        return list.length > 0 ? list : undefined;
      },
      { what: "the model's update message" },
    )) as { method: string; state: Record<string, unknown>; buffer_paths: unknown[] }[];
    assert.deepEqual(sent, [{ method: "update", state: { selected_bar: 1 }, buffer_paths: [] }]);
    assert.equal((await bars(page))[1][1], "rgb(200, 0, 0)", "the clicked bar is drawn selected");
    await kernel.roundTrip("shell", "comm_msg", { comm_id: modelId, data: sent[0] });
    assert.equal(await kernel.evaluate("exView.selectedBar"), 1);
  });

  it("the kernel's update (new float32 values) is applied by the browser model and redraws the bars", async () => {
    const { outputs } = await kernel.run("exView.update([2, 2, 8]);");
    const message = outputs.find((m) => m.header.msg_type === "comm_msg" && m.content.comm_id === modelId)!;
    assert.equal(updatesOn([message], modelId).length, 1);
    const buffers = message.buffers.map((b) => Array.from(b));
    await browser.page.evaluate(`(async () => {
      const model = await window.tslensManager.get_model(${JSON.stringify(modelId)});
      const buffers = ${JSON.stringify(buffers)}.map((bytes) => new DataView(new Uint8Array(bytes).buffer));
      await model._handle_comm_msg({ content: { data: ${JSON.stringify(message.content.data)} }, buffers });
    })()`);
    const drawn = await eventually(
      async () => {
        const now = await bars(browser.page);
        return now[2][0] === 100 ? now : undefined;
      },
      { what: "bars redrawn with the new values" },
    );
    assert.deepEqual(
      drawn.map(([height]) => height),
      [25, 25, 100],
    );
    assert.deepEqual(
      browser.problems.filter((p) => !p.startsWith("[warning]")),
      [],
      "no errors in the page",
    );
    assert.deepEqual(browser.blockedRequests, []);
  });
});
