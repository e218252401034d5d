/**
 * tslens live, the engine in a browser page (live/): its bundle holds no Node module, and a static page with the
 * bundle and the embedded attn-only-2l — served as one file, every other request refused — computes the same
 * numbers as the Node engine (1e-4): the forward, a hooked forward, the logit lens, a head detector, and the
 * induction view's scores and patterns for a typed prompt. The same experiment function runs on both sides.
 */
import assert from "node:assert/strict";
import { builtinModules } from "module";
import * as fs from "fs";
import * as http from "http";
import type { AddressInfo } from "net";
import * as os from "os";
import * as path from "path";
import * as lens from "../../src";
import { memorySource } from "../../src/loading/byteSource";
import { SafetensorsFile } from "../../src/loading/safetensors";
import { EMBEDDED_MODELS } from "../../src/model/loadModel";
import { TestBrowser } from "./browser";
import { REPO_ROOT } from "./lab-server";
import { barePage, experiment, maxDiff, scoresOf, testPage } from "./live-pages";

const live = require(path.join(REPO_ROOT, "live", "build.js"));
const { SEAMS } = require(path.join(REPO_ROOT, "live", "seams.js"));

const PROMPT = "The cat sat on the mat. The dog ran to the park, and the cat sat down.";
const MODEL_DIR = path.join(REPO_ROOT, "models", "attn-only-2l");

describe("tslens live: the engine in a browser page", function () {
  this.timeout(300_000);
  let outDir: string;
  let built: { bundle: string; models: Record<string, string>; metafile: any; sizes: any };

  before(async function () {
    outDir = fs.mkdtempSync(path.join(os.tmpdir(), "tslens-live-"));
    built = await live.buildLive({ outDir, models: ["attn-only-2l", "attn-only-1l"] });
    const mb = (n: number) => `${(n / 1e6).toFixed(2)} MB`;
    for (const [name, size] of [["bundle", built.sizes.bundle], ...Object.entries(built.sizes.models)] as [string, any][])
      console.log(`      ${name}: ${mb(size.bytes)} (${mb(size.gzipped)} gzipped)`);
  });

  after(function () {
    if (outDir) fs.rmSync(outDir, { recursive: true, force: true });
  });

  describe("the bundle's module graph", function () {
    const ours = (file: string) => file.startsWith("src/") || file.startsWith("live/");

    it("holds no Node built-in: only packages' own browser maps disable Node modules, and none of ours imports one", function () {
      const builtins = new Set(builtinModules.flatMap((m) => [m, `node:${m}`]));
      const inputs = built.metafile.inputs as Record<string, { imports: { path: string; external?: boolean }[] }>;
      const named = Object.keys(inputs).filter((file) => builtins.has(file) || builtins.has(file.replace(/^\(disabled\):/, "")));
      assert.ok(
        named.every((file) => file.startsWith("(disabled):")),
        `Node modules in the bundle: ${named.join(", ")}`,
      );
      for (const [file, { imports }] of Object.entries(inputs)) {
        for (const imported of imports) {
          const bare = imported.path.replace(/^\(disabled\):/, "");
          if (ours(file))
            assert.ok(!builtins.has(bare) && !imported.path.startsWith("(disabled)"), `${file} imports ${imported.path}`);
          // A package's own "browser" map (tfjs, seedrandom) swaps a Node module it never calls in a page for nothing.
          else if (imported.path.startsWith("(disabled):"))
            assert.match(file, /^node_modules\//, `${file} imports ${imported.path}`);
        }
      }
      assert.ok(!Object.keys(inputs).some((file) => file.includes("tfjs-node")), "tfjs-node is in the bundle");
    });

    it("our modules in it use no Node global (process, require, __dirname, Buffer, setImmediate)", function () {
      const nodeGlobal = /\b(process\s*\.|require\s*[(.]|__dirname|__filename|Buffer\s*\.|setImmediate\s*\()/g;
      const found: string[] = [];
      for (const file of Object.keys(built.metafile.inputs).filter(ours)) {
        const code = fs
          .readFileSync(path.join(REPO_ROOT, file), "utf8")
          .replace(/\/\*[\s\S]*?\*\//g, "")
          .replace(/\/\/.*$/gm, "");
        for (const hit of code.match(nodeGlobal) ?? []) found.push(`${file}: ${hit}`);
      }
      assert.deepEqual(found, []);
    });

    it("takes the browser twin of every Node-only module of the engine, and the modules themselves are out", function () {
      const inputs = Object.keys(built.metafile.inputs);
      for (const [node, twin] of Object.entries(SEAMS as Record<string, string>)) {
        assert.ok(!inputs.includes(node), `${node} is in the bundle`);
        assert.ok(inputs.includes(twin), `${twin} is not in the bundle`);
      }
      for (const core of ["src/model/hookedTransformer.ts", "src/loading/safetensors.ts", "src/analysis/detectHead.ts"])
        assert.ok(inputs.includes(core), `${core} is not in the bundle`);
    });
  });

  describe("safetensors from bytes (the loader the page uses)", function () {
    it("reads the same tensors from bytes as from the file, and names the source in errors", async function () {
      const file = path.join(MODEL_DIR, "model.safetensors");
      const bytes = new Uint8Array(fs.readFileSync(file));
      const [fromFile, fromBytes] = [await SafetensorsFile.open(file), await SafetensorsFile.fromBytes("embedded", bytes)];
      assert.deepEqual(fromBytes.names(), fromFile.names());
      for (const name of fromFile.names())
        assert.deepEqual((await fromBytes.readFloat32(name)).values, (await fromFile.readFloat32(name)).values, name);
      await fromFile.close();
      await assert.rejects(SafetensorsFile.fromBytes("embedded", bytes.subarray(0, bytes.length - 4)), (err: Error) => {
        assert.match(err.message, /^embedded: tensor ".*" has data_offsets \[\d+, \d+\] past the end of the data/);
        return true;
      });
    });

    it("the build embeds the models tslens ships by default", function () {
      assert.deepEqual([...live.DEFAULT_MODELS].sort(), [...EMBEDDED_MODELS].sort());
    });

    it("a memory source copies what there is and reports how much", async function () {
      const source = memorySource(new Uint8Array([1, 2, 3, 4, 5]));
      const into = new Uint8Array(4);
      assert.equal(await source.read(into, 3), 2);
      assert.deepEqual([...into], [4, 5, 0, 0]);
      assert.equal(await source.read(into, 9), 0);
      assert.equal(await source.size(), 5);
    });
  });

  describe("a static page with the bundle and attn-only-2l, offline", function () {
    let server: http.Server | undefined;
    let browser: TestBrowser | undefined;
    const served: string[] = [];
    let page: any;
    let bare: http.Server | undefined;
    let example: http.Server | undefined;

    before(async function () {
      const html = testPage(fs.readFileSync(built.bundle, "utf8"), fs.readFileSync(built.models["attn-only-2l"], "utf8"), PROMPT);
      server = http.createServer((req, res) => {
        served.push(req.url ?? "");
        if (req.url !== "/") {
          res.writeHead(404).end();
          return;
        }
        res.writeHead(200, { "content-type": "text/html; charset=utf-8" });
        res.end(html);
      });
      await new Promise<void>((resolve) => server!.listen(0, "127.0.0.1", resolve));
      browser = await TestBrowser.launch();
      const { port } = server.address() as AddressInfo;
      await browser.page.goto(`http://127.0.0.1:${port}/`, { waitUntil: "load" });
      page = await browser.page.evaluate("window.liveRun");
      assert.ok(!page.error, `the page failed: ${page.error}\n${browser.problemsTail()}`);
      const { marks } = page;
      console.log(
        `      in the page (${page.backend.name}): scripts parsed ${marks.scripts.toFixed(0)} ms after navigation, ` +
          `backend ready +${(marks.backend - marks.scripts).toFixed(0)} ms, model loaded +${(marks.loaded - marks.backend).toFixed(0)} ms, ` +
          `first induction scores +${(marks.firstComputation - marks.loaded).toFixed(0)} ms`,
      );
    });

    after(async function () {
      await browser?.close();
      server?.close();
      bare?.close();
      example?.close();
    });

    it("computes on the embedded wasm backend, fetching nothing but the page itself", function () {
      assert.equal(page.backend.name, "wasm");
      assert.deepEqual(page.models, ["attn-only-2l"]);
      assert.deepEqual(served, ["/"], "requests the page made to its server");
      assert.deepEqual(browser!.blockedRequests, [], "requests off 127.0.0.1");
      assert.deepEqual(
        browser!.problems.filter((p) => !p.startsWith("[warning]")),
        [],
        "console errors",
      );
    });

    it("gives the Node engine's numbers (1e-4): forward, hooked forward, patterns, logit lens, detector, induction scores, gradients", async function () {
      const model = await lens.loadModel("attn-only-2l");
      try {
        const node = experiment(lens, model, PROMPT);
        const got = page.result;
        assert.deepEqual(got.tokens, node.tokens);
        assert.deepEqual(got.strTokens, node.strTokens);
        assert.deepEqual(got.repeatedTokens, node.repeatedTokens);
        assert.ok(node.logits.length === node.tokens.length * model.cfg.dVocab);
        let largest = 0;
        for (const key of [
          "logits",
          "hookedLogits",
          "pattern1",
          "lensTopProbs",
          "duplicateToken",
          "previousToken",
          "induction",
          "repeatedPatterns",
          "randomInduction",
          "gradValue",
          "attnOutGrad",
        ]) {
          const diff = maxDiff(got[key], node[key], key);
          assert.ok(diff <= 1e-4, `${key}: the page differs from Node by ${diff}`);
          largest = Math.max(largest, diff);
        }
        console.log(`      largest difference from Node (${lens.backend()}): ${largest.toExponential(1)}`);
        // The top tokens match wherever the top probabilities are not tied within the tolerance.
        let differing = 0;
        node.lensTopTokens.forEach((layer: number[][], l: number) =>
          layer.forEach((cell, p) => cell.forEach((id, k) => (differing += got.lensTopTokens[l][p][k] === id ? 0 : 1))),
        );
        assert.equal(differing, 0, "logit lens top tokens that differ");
        // Numbers worth comparing: attn-only-2l's previous-token heads (0.0, 0.1) and its induction head (1.1) show.
        assert.ok(Math.max(...node.previousToken.flat()) > 0.9, `previous-token scores ${JSON.stringify(node.previousToken)}`);
        assert.ok(Math.max(...node.induction.flat()) > 0.2, `induction scores ${JSON.stringify(node.induction)}`);
      } finally {
        model.dispose();
      }
    });

    it("leaks no tensor across repeated runs", function () {
      assert.equal(page.after, page.before);
    });

    it("errors say what is wrong: an unknown model, saving, a folder, a cut-short file, another backend; nothing is left allocated", async function () {
      const errors = (await browser!.page.evaluate(`(async () => {
        const L = window.tslensLive;
        const model = await L.loadModel("attn-only-2l");
        const failed = async (f) => { try { await f(); return "no error"; } catch (err) { return err.message; } };
        const before = L.tf.memory().numTensors;
        const embedded = L.embeddedModels();
        const out = {
          unknown: await failed(() => L.loadModel("gpt2")),
          save: await failed(() => model.save("/tmp/x")),
          folder: await failed(() => L.Tokenizer.fromFolder("/models/x")),
          switching: await failed(() => L.initBackend("webgl")),
          badConfig: await failed(() => L.loadModel({ name: "bad", config: "{", weights: new Uint8Array(8) })),
          noWeights: await failed(() => L.loadModel({ name: "bare", config: "{}" })),
        };
        const config = ${JSON.stringify(fs.readFileSync(path.join(MODEL_DIR, "config.json"), "utf8"))};
        const cut = Uint8Array.from(atob("${fs.readFileSync(path.join(MODEL_DIR, "model.safetensors")).subarray(0, 100).toString("base64")}"), (c) => c.charCodeAt(0));
        out.truncated = await failed(() => L.loadModel({ name: "short", config, weights: cut }));
        out.leaked = L.tf.memory().numTensors - before;
        model.dispose();
        out.embedded = embedded;
        return out;
      })()`)) as Record<string, any>;
      assert.equal(errors.unknown, 'no model "gpt2" in this page (it has "attn-only-2l")');
      assert.match(errors.save, /^cannot save a model to \/tmp\/x in a browser page/);
      assert.match(errors.folder, /^Tokenizer folder \/models\/x: a browser page cannot read folders/);
      assert.equal(errors.switching, 'this page already computes on "wasm"; it cannot switch to "webgl"');
      assert.match(errors.badConfig, /^bad\/config\.json is not valid JSON/);
      assert.match(errors.noWeights, /bare's weights \(model\.safetensors\) must be an ArrayBuffer or a Uint8Array$/);
      assert.match(errors.truncated, /^short\/model\.safetensors: header length \d+ runs past the end of the file \(100 bytes\)/);
      assert.equal(errors.leaked, 0);
    });

    it('on request the JS backend and WebGL give the same numbers; "auto" passes over software WebGL for wasm', async function () {
      const html = barePage(fs.readFileSync(built.bundle, "utf8"), fs.readFileSync(built.models["attn-only-2l"], "utf8"));
      bare = http.createServer((_req, res) => res.writeHead(200, { "content-type": "text/html; charset=utf-8" }).end(html));
      await new Promise<void>((resolve) => bare!.listen(0, "127.0.0.1", resolve));
      const { port } = bare.address() as AddressInfo;
      const prompt = "The cat sat on the mat.";
      const model = await lens.loadModel("attn-only-2l");
      const node = scoresOf(lens, model, prompt);
      model.dispose();
      // The test browser runs with --disable-gpu: its WebGL is a software renderer (SwiftShader).
      for (const [request, expected] of [
        ["cpu", "cpu"],
        ["webgl", "webgl"],
        ["auto", "wasm"],
      ]) {
        const tab = await browser!.context.newPage();
        try {
          await tab.goto(`http://127.0.0.1:${port}/`, { waitUntil: "load" });
          const got = (await tab.evaluate(`(async () => {
            const L = window.tslensLive;
            const model = await L.loadModel("attn-only-2l", { backend: ${JSON.stringify(request)} });
            return { backend: L.chosenBackend().name, scores: (${scoresOf.toString()})(L, model, ${JSON.stringify(prompt)}) };
          })()`)) as any;
          assert.equal(got.backend, expected, `backend for "${request}"`);
          for (const key of ["patterns", "previousToken", "induction"]) {
            const diff = maxDiff(got.scores[key], node[key], key);
            assert.ok(diff <= 1e-4, `${request} ${key}: the page differs from Node by ${diff}`);
          }
        } finally {
          await tab.close();
        }
      }
      assert.deepEqual(browser!.blockedRequests, [], "requests off 127.0.0.1");
    });

    it("the example page (live/example): a typed prompt's scores, as Node computes them to the 3 decimals shown", async function () {
      const files: Record<string, string> = {
        "/live/example/index.html": path.join(REPO_ROOT, "live", "example", "index.html"),
        "/dist/live/tslens-live.js": built.bundle,
        "/dist/live/models/attn-only-2l.js": built.models["attn-only-2l"],
      };
      const asked: string[] = [];
      example = http.createServer((req, res) => {
        asked.push(req.url ?? "");
        const file = files[req.url ?? ""];
        if (!file) return void res.writeHead(404).end();
        res.writeHead(200, { "content-type": file.endsWith(".html") ? "text/html; charset=utf-8" : "text/javascript" });
        res.end(fs.readFileSync(file));
      });
      await new Promise<void>((resolve) => example!.listen(0, "127.0.0.1", resolve));
      const { port } = example.address() as AddressInfo;
      const prompt = "Alice and Bob went to the market, and Alice bought apples.";
      const tab = await browser!.context.newPage();
      try {
        await tab.goto(`http://127.0.0.1:${port}/live/example/index.html`, { waitUntil: "load" });
        const status = tab.locator("#status");
        await tab.locator("#run:not([disabled])").waitFor({ timeout: 60_000 });
        await tab.locator("#prompt").fill(prompt);
        const model = await lens.loadModel("attn-only-2l");
        const node = lens.repeatedSequenceScores(model, { prompt });
        lens.tf.dispose(node.patterns);
        model.dispose();
        await tab.evaluate(`document.querySelector("#status").textContent = ""`);
        await tab.locator("#run").click();
        await tab.waitForFunction(
          `document.querySelector("#status").textContent.startsWith("${node.tokens.length} tokens scored")`,
        );
        const [previousToken, induction] = (await tab.evaluate(`Array.from(document.querySelectorAll("#scores table")).map((t) =>
            Array.from(t.querySelectorAll("tbody tr")).map((tr) => Array.from(tr.querySelectorAll("td")).map((td) => Number(td.textContent))))`)) as number[][][];
        assert.ok(maxDiff(previousToken, node.previousToken, "previous-token") <= 5e-4 + 1e-6, JSON.stringify(previousToken));
        assert.ok(maxDiff(induction, node.induction, "induction") <= 5e-4 + 1e-6, JSON.stringify(induction));
        assert.match(await status.innerText(), /^\d+ tokens scored on wasm in \d+ ms$/);
      } finally {
        await tab.close();
      }
      const pages = asked.filter((url) => url !== "/favicon.ico");
      assert.deepEqual(pages.sort(), Object.keys(files).sort(), "what the example page asked its server for");
      assert.deepEqual(browser!.blockedRequests, [], "requests off 127.0.0.1");
    });
  });
});
