/**
 * `tslens install` writes a kernelspec Jupyter can use, and the views' prebuilt JupyterLab extension
 * beside it, in each location.
 */
import { strict as assert } from "assert";
import { execFileSync, spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { installLabExtension } from "../../kernel/install";
import { REPO_ROOT, venvBin } from "../support/paths";

const BIN = path.join(REPO_ROOT, "bin", "tslens.js");

function install(args: string[], env: Record<string, string> = {}): string {
  return execFileSync(process.execPath, [BIN, "install", ...args], { encoding: "utf8", env: { ...process.env, ...env } });
}

function readSpec(dir: string): { argv: string[]; display_name: string; language: string; interrupt_mode: string } {
  return JSON.parse(fs.readFileSync(path.join(dir, "kernels", "tslens", "kernel.json"), "utf8"));
}

describe("tslens install", function () {
  this.timeout(60_000);
  let tmp: string;
  beforeEach(() => (tmp = fs.mkdtempSync(path.join(os.tmpdir(), "tslens-install-"))));
  afterEach(() => fs.rmSync(tmp, { recursive: true, force: true }));

  it("--prefix DIR writes DIR/share/jupyter/kernels/tslens/kernel.json with absolute paths", function () {
    install(["--prefix", tmp]);
    const spec = readSpec(path.join(tmp, "share", "jupyter"));
    assert.equal(spec.display_name, "TypeScript (tslens)");
    assert.equal(spec.language, "typescript");
    assert.equal(spec.interrupt_mode, "signal");
    assert.deepEqual(spec.argv, [process.execPath, BIN, "kernel", "{connection_file}"]);
  });

  it("--user honours JUPYTER_DATA_DIR; --sys-prefix uses the active virtualenv", function () {
    install(["--user"], { JUPYTER_DATA_DIR: path.join(tmp, "data") });
    assert.equal(readSpec(path.join(tmp, "data")).display_name, "TypeScript (tslens)");
    install(["--sys-prefix"], { VIRTUAL_ENV: path.join(tmp, "venv") });
    assert.equal(readSpec(path.join(tmp, "venv", "share", "jupyter")).language, "typescript");
  });

  it("is listed by jupyter kernelspec in that prefix", function () {
    install(["--prefix", tmp]);
    const out = execFileSync(venvBin("jupyter"), ["kernelspec", "list", "--json"], {
      encoding: "utf8",
      env: { ...process.env, JUPYTER_PATH: path.join(tmp, "share", "jupyter") },
    });
    const specs = JSON.parse(out).kernelspecs;
    assert.equal(specs.tslens.spec.display_name, "TypeScript (tslens)");
  });

  it("puts the prebuilt extension in DIR/share/jupyter/labextensions/tslens-widgets; jupyter lists it enabled and OK", function () {
    install(["--prefix", tmp]);
    const data = path.join(tmp, "share", "jupyter");
    const extension = path.join(data, "labextensions", "tslens-widgets");
    const manifest = JSON.parse(fs.readFileSync(path.join(extension, "package.json"), "utf8"));
    assert.equal(manifest.name, "tslens-widgets");
    const entry = manifest.jupyterlab._build.load as string; // e.g. static/remoteEntry.<hash>.js
    assert.ok(fs.existsSync(path.join(extension, entry)), `the extension's entry point ${entry}`);
    const run = spawnSync(venvBin("jupyter"), ["labextension", "list"], {
      encoding: "utf8",
      env: { ...process.env, JUPYTER_PATH: data },
    });
    assert.equal(run.status, 0, run.stderr);
    const listing = (run.stdout + run.stderr).replace(new RegExp(`${String.fromCharCode(27)}\\[[0-9;]*m`, "g"), ""); // it writes the list to stderr, coloured
    // The listing groups extensions under the folder they come from.
    const section = listing.split(/\n(?=\S)/).find((s) => s.startsWith(path.join(data, "labextensions")));
    assert.match(section ?? "", /tslens-widgets v\S+ enabled OK \(npm, tslens\)/, listing);
    install(["--prefix", tmp]); // again: the copy is replaced whole
    assert.ok(fs.existsSync(path.join(extension, entry)));
  });

  it("a missing prebuilt extension is a clear error", function () {
    assert.throws(
      () => installLabExtension({ kind: "prefix", dir: tmp }, path.join(tmp, "no-such-build")),
      /the prebuilt JupyterLab extension is missing: .*no-such-build should hold tslens-widgets's package\.json and static\//,
    );
    assert.ok(!fs.existsSync(path.join(tmp, "share", "jupyter", "labextensions", "tslens-widgets")), "nothing installed");
  });

  it("rejects unknown options and a missing --prefix value with a clear message", function () {
    const unknown = spawnSync(process.execPath, [BIN, "install", "--bogus"], { encoding: "utf8" });
    assert.equal(unknown.status, 1);
    assert.match(unknown.stderr, /tslens install: unknown option --bogus/);
    const missing = spawnSync(process.execPath, [BIN, "install", "--prefix"], { encoding: "utf8" });
    assert.equal(missing.status, 1);
    assert.match(missing.stderr, /--prefix needs a value/);
  });
});
