/**
 * tslens as an npm package: `npm pack` (its prepack builds dist/ and checks the prebuilt parts) makes a
 * tarball holding what a user needs and none of the checkout's test data or environments; `npm install`
 * of it into an empty folder succeeds where tfjs-node's install script cannot download libtensorflow
 * (forced here: its download URL points at 127.0.0.1 port 9), leaving tfjs-node out; tslens then runs the
 * embedded model on wasm, says which backend it skipped and why, builds the native backend offline with
 * `tslens build-native` from where it is installed, and installs its kernel and views.
 */
import { strict as assert } from "assert";
import { execFileSync, spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { REPO_ROOT } from "../support/paths";

/** Where tfjs-node's install script looks for libtensorflow (TFJS_NODE_CDN_STORAGE): a port nothing listens on. */
const UNREACHABLE_DOWNLOAD = "http://127.0.0.1:9/";

describe("tslens as an npm package (pack, install without the native download, run on wasm)", function () {
  this.timeout(300_000);
  let tmp: string;
  let tarball: string;
  let app: string;
  let installLog: string;

  before(function () {
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), "tslens-package-"));
    const started = Date.now();
    const packed = execFileSync("npm", ["pack", "--json", "--pack-destination", tmp], {
      cwd: REPO_ROOT,
      encoding: "utf8",
      stdio: ["ignore", "pipe", "pipe"],
    });
    tarball = path.join(tmp, (JSON.parse(packed) as { filename: string }[])[0].filename);
    const packSeconds = (Date.now() - started) / 1000;
    app = path.join(tmp, "app");
    fs.mkdirSync(app);
    fs.writeFileSync(path.join(app, "package.json"), JSON.stringify({ name: "app", version: "1.0.0", private: true }));
    const installStarted = Date.now();
    const install = spawnSync("npm", ["install", "--prefer-offline", "--no-audit", "--no-fund", "--loglevel=info", tarball], {
      cwd: app,
      encoding: "utf8",
      env: { ...process.env, TFJS_NODE_CDN_STORAGE: UNREACHABLE_DOWNLOAD },
    });
    installLog = install.stdout + install.stderr;
    console.log(`      npm pack ${packSeconds.toFixed(1)} s, npm install ${((Date.now() - installStarted) / 1000).toFixed(1)} s`);
    assert.equal(install.status, 0, `npm install of the tarball failed:\n${installLog.slice(-3000)}`);
  });

  after(() => fs.rmSync(tmp, { recursive: true, force: true }));

  it("the tarball holds dist, bin, models, the prebuilt extension, the export bundle and scripts; no tests or envs", function () {
    const files = execFileSync("tar", ["tzf", tarball], { encoding: "utf8" })
      .split("\n")
      .filter(Boolean)
      .map((f) => f.replace(/^package\//, ""));
    for (const needed of [
      "package.json",
      "README.md",
      "bin/tslens.js",
      "dist/src/index.js",
      "dist/src/index.d.ts",
      "dist/src/controls/defaults.json",
      "dist/kernel/cli.js",
      "models/attn-only-2l/model.safetensors",
      "models/attn-only-2l/tokenizer.json",
      "widgets/labextension/package.json",
      "widgets/embed/tslens-embed.js",
      "scripts/build-tfjs-native.sh",
      "scripts/export/export_html.py",
      "scripts/export/live.py",
      "dist/live/tslens-live.js",
    ])
      assert.ok(files.includes(needed), `${needed} is in the package`);
    const unwanted = files.filter(
      (f) => /^(tests|dist\/tests|\.venv|node_modules|\.cache|training|dist\/training)\//.test(f) || /\.test\.[^/]*$/.test(f),
    );
    assert.deepEqual(
      unwanted,
      [],
      "tests (also those beside the views in dist/src), test data, environments and caches stay out",
    );
    assert.ok(
      files.some((f) => /^widgets\/labextension\/static\/remoteEntry\.[0-9a-f]+\.js$/.test(f)),
      "the extension's entry point",
    );
    const bytes = fs.statSync(tarball).size;
    assert.ok(bytes < 12e6, `the tarball is ${(bytes / 1e6).toFixed(1)} MB`);
  });

  it("installs although tfjs-node's download fails: npm ran its install script, it failed, npm went on without it", function () {
    assert.match(
      installLog,
      /run @tensorflow\/tfjs-node@[\d.]+ install \{ code: [1-9]/,
      "tfjs-node's install script ran and failed",
    );
    assert.ok(!fs.existsSync(path.join(app, "node_modules", "@tensorflow", "tfjs-node")), "tfjs-node left out");
    assert.ok(fs.existsSync(path.join(app, "node_modules", "tslens", "dist", "src", "index.js")));
  });

  it("runs the embedded model on wasm and reports the native backend as not installed", function () {
    const program = `
      const lens = require("tslens");
      lens.initBackend().then(async (info) => {
        const model = await lens.loadModel();
        const logits = model.forward("The cat sat on the mat. The cat");
        const row = logits.slice([0, logits.shape[1] - 1, 0], [1, 1, -1]).dataSync();
        console.log(JSON.stringify({ info, shape: logits.shape, finite: row.every(Number.isFinite) }));
      });`;
    const run = spawnSync(process.execPath, ["-e", program], {
      cwd: app,
      encoding: "utf8",
      env: { ...process.env, TSLENS_BACKEND: "" },
    });
    assert.equal(run.status, 0, run.stderr);
    const result = JSON.parse(run.stdout.trim().split("\n").pop()!);
    assert.equal(result.info.name, "wasm");
    assert.deepEqual(
      result.info.reasonsSkipped.find((s: { package: string }) => s.package === "@tensorflow/tfjs-node"),
      { package: "@tensorflow/tfjs-node", reason: "not installed" },
    );
    assert.equal(result.shape.length, 3);
    assert.equal(result.shape[2], 1024, "the embedded model's vocabulary");
    assert.ok(result.finite, "finite logits");
    assert.match(
      run.stderr,
      /^tslens: running on the wasm backend, because native TensorFlow did not load \(@tensorflow\/tfjs-node: not installed\)\. `npx tslens build-native` builds it offline/m,
    );
  });

  it("the installed package's `tslens build-native` installs tfjs-node without its script and builds it offline", function () {
    // The wheel setup fetched for the checkout's own build, so the test downloads nothing.
    const cache = path.join(REPO_ROOT, ".cache", "tfjs-native");
    assert.ok(fs.existsSync(path.join(cache, "extracted")), `${cache} is missing: run "npm run setup" first`);
    const started = Date.now();
    const build = spawnSync(path.join(app, "node_modules", ".bin", "tslens"), ["build-native"], {
      cwd: app,
      encoding: "utf8",
      env: { ...process.env, TSLENS_CACHE_DIR: cache },
    });
    console.log(`      build-native ${((Date.now() - started) / 1000).toFixed(1)} s`);
    assert.equal(build.status, 0, build.stdout + build.stderr);
    assert.match(build.stderr, /installing @tensorflow\/tfjs-node@\S+ in .* without its install script/);
    assert.match(build.stderr, /tslens now runs on the native "tensorflow" backend/);
    const run = spawnSync(process.execPath, ["-e", 'require("tslens").initBackend().then((i) => console.log(i.name))'], {
      cwd: app,
      encoding: "utf8",
    });
    assert.equal(run.stdout.trim().split("\n").pop(), "tensorflow", run.stderr);
  });

  it("the installed package's `tslens install --prefix` installs the kernel and the views' extension", function () {
    const prefix = path.join(tmp, "jupyter-prefix");
    execFileSync(path.join(app, "node_modules", ".bin", "tslens"), ["install", "--prefix", prefix], { encoding: "utf8" });
    const data = path.join(prefix, "share", "jupyter");
    const spec = JSON.parse(fs.readFileSync(path.join(data, "kernels", "tslens", "kernel.json"), "utf8"));
    assert.equal(spec.argv[1], path.join(fs.realpathSync(app), "node_modules", "tslens", "bin", "tslens.js"));
    assert.ok(fs.existsSync(path.join(data, "labextensions", "tslens-widgets", "package.json")));
  });
});
