/**
 * `tslens export --execute` on a notebook whose middle cell throws: by default the export goes on
 * (as nbconvert's --allow-errors): the HTML holds what ran, the error output included, later cells
 * ran too, stderr names the failed cell, and the exit status is 0. With --fail-on-error the run stops
 * there: exit status 1, no HTML, and stderr says so.
 */
import { strict as assert } from "assert";
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { REPO_ROOT } from "../support/paths";

const BIN = path.join(REPO_ROOT, "bin", "tslens.js");

const CELLS = ['const answer = 40;\n"before " + answer', 'throw new Error("boom <b>bold</b>");', '"after " + (answer + 2)'];

/** Writes a notebook of code `cells` for the tslens kernel. */
function writeNotebook(file: string, cells: string[]): void {
  const notebook = {
    cells: cells.map((source, i) => ({
      id: `c${i}`,
      cell_type: "code",
      metadata: {},
      source,
      outputs: [],
      execution_count: null,
    })),
    metadata: { kernelspec: { name: "tslens", display_name: "TypeScript (tslens)", language: "typescript" } },
    nbformat: 4,
    nbformat_minor: 5,
  };
  fs.writeFileSync(file, JSON.stringify(notebook));
}

function exportNotebook(args: string[]): { status: number | null; stderr: string } {
  const run = spawnSync(process.execPath, [BIN, "export", ...args], { encoding: "utf8", timeout: 170_000 });
  return { status: run.status, stderr: run.stderr };
}

describe("tslens export --execute with a failing cell", function () {
  this.timeout(180_000);
  let dir: string;
  let notebook: string;
  before(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "tslens-export-errors-"));
    notebook = path.join(dir, "failing.ipynb");
    writeNotebook(notebook, CELLS);
  });
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  it("exports what ran, with the error shown, names the cell on stderr and exits 0", function () {
    const out = path.join(dir, "allowed.html");
    const { status, stderr } = exportNotebook([notebook, "-o", out, "--execute"]);
    assert.equal(status, 0, stderr);
    assert.match(
      stderr,
      /tslens export: cell 2 of 3 \("throw new Error\(.*;"\) failed \(Error: boom <b>bold<\/b>\); its error is shown/,
    );
    const html = fs.readFileSync(out, "utf8");
    assert.ok(html.includes("before 40"), "the first cell's output");
    assert.ok(html.includes("boom &lt;b&gt;bold&lt;/b&gt;"), "the error output, as text");
    assert.ok(!html.includes("<b>bold</b>"), "the error's markup stays text");
    assert.ok(html.includes("after 42"), "the cell after the error ran too");
  });

  it("--fail-on-error: exits 1 at the failing cell and writes no HTML", function () {
    const out = path.join(dir, "strict.html");
    const { status, stderr } = exportNotebook([notebook, "-o", out, "--execute", "--fail-on-error"]);
    assert.equal(status, 1, stderr);
    assert.match(
      stderr,
      /tslens export: cell 2 of 3 .* failed \(Error: boom <b>bold<\/b>\); no HTML written \(--fail-on-error\)/,
    );
    assert.ok(!fs.existsSync(out), "no HTML file");
    const misuse = exportNotebook([notebook, "--fail-on-error"]);
    assert.equal(misuse.status, 1);
    assert.match(misuse.stderr, /--fail-on-error applies to --execute/);
  });
});
