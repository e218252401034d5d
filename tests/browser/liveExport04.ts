/**
 * `tslens export notebooks/04-views.ipynb --execute --live`, run once per test process: the live-export tests all
 * read the same page (the export executes the notebook, which is most of their time).
 */
import { strict as assert } from "assert";
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { REPO_ROOT } from "./lab-server";

/** The exported page and what the export printed on stderr. */
export interface LiveExport {
  html: string;
  stderr: string;
}

let exported: LiveExport | undefined;

/** The live export of 04-views (made on the first call, then the same page). */
export function liveExportOf04Views(): LiveExport {
  if (exported) return exported;
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "tslens-live-export-"));
  try {
    const out = path.join(dir, "04-views.html");
    const args = [path.join(REPO_ROOT, "bin", "tslens.js"), "export", path.join(REPO_ROOT, "notebooks", "04-views.ipynb")];
    const result = spawnSync(process.execPath, [...args, "-o", out, "--execute", "--live"], {
      encoding: "utf8",
      timeout: 280_000,
    });
    assert.equal(result.status, 0, `export failed: ${result.stderr}`);
    exported = { html: fs.readFileSync(out, "utf8"), stderr: result.stderr };
    return exported;
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}
