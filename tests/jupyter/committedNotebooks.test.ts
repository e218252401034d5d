/**
 * The notebooks under notebooks/ are committed with their outputs (`npm run notebooks` writes them), so a copy
 * shared on GitHub or nbviewer shows what they compute: every code cell ran, in order, in one run; no cell failed;
 * every widget output has its saved state, and each tslens view its PNG and text line; each file stays small.
 * Each one exports with `tslens export` (no --execute: from the committed outputs). Nothing is executed here.
 */
import { strict as assert } from "assert";
import { spawn } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { REPO_ROOT } from "../support/paths";

const NOTEBOOKS = path.join(REPO_ROOT, "notebooks");
const WIDGET_VIEW = "application/vnd.jupyter.widget-view+json";
const WIDGET_STATE = "application/vnd.jupyter.widget-state+json";
/** Largest committed notebook, in bytes (the largest today, 04-views, is about 0.5 MB). */
const MAX_BYTES = 1_000_000;

interface Output {
  output_type: string;
  data?: Record<string, unknown>;
}
interface Cell {
  cell_type: string;
  source?: string | string[];
  execution_count?: number | null;
  outputs?: Output[];
}
interface Notebook {
  cells: Cell[];
  metadata: { widgets?: Record<string, { state?: Record<string, { model_module?: string }> }> };
}

/** A MIME value as text: nbformat stores multi-line strings as lists of lines. */
function text(value: unknown): string {
  if (typeof value === "string") return value;
  return Array.isArray(value) && value.every((v) => typeof v === "string") ? value.join("") : "";
}

/** The notebooks' file names. */
function notebookNames(): string[] {
  return fs
    .readdirSync(NOTEBOOKS)
    .filter((f) => f.endsWith(".ipynb"))
    .sort();
}

/** Runs `tslens export notebook -o out`; resolves with its exit status and stderr. */
function exportNotebook(notebook: string, out: string): Promise<{ status: number | null; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [path.join(REPO_ROOT, "bin", "tslens.js"), "export", notebook, "-o", out], {
      stdio: ["ignore", "ignore", "pipe"],
    });
    let stderr = "";
    child.stderr.on("data", (chunk) => (stderr += chunk));
    child.on("close", (status) => resolve({ status, stderr }));
  });
}

describe("notebooks committed with their outputs", function () {
  const names = notebookNames();

  it("finds the notebooks, 07-layernorm and 09-gpt2-head-4-11 among them", function () {
    assert.ok(names.length >= 5, names.join(", "));
    for (const name of ["07-layernorm.ipynb", "09-gpt2-head-4-11.ipynb"]) assert.ok(names.includes(name), names.join(", "));
  });

  for (const name of names) {
    describe(name, function () {
      const file = path.join(NOTEBOOKS, name);
      const notebook = JSON.parse(fs.readFileSync(file, "utf8")) as Notebook;
      const code = notebook.cells.filter((c) => c.cell_type === "code");
      const outputs = code.flatMap((c) => c.outputs ?? []);

      it("every code cell ran, in order, in one run, and none failed", function () {
        const counts = code.map((c) => c.execution_count);
        assert.deepEqual(
          counts,
          code.map((_, i) => i + 1),
          `execution counts ${JSON.stringify(counts)}: run npm run notebooks`,
        );
        assert.ok(outputs.length > 0, "no outputs: run npm run notebooks");
        assert.deepEqual(
          outputs.filter((o) => o.output_type === "error"),
          [],
          "an error output",
        );
      });

      it("saves the state of every widget it shows, and each tslens view carries a PNG and a text line", function () {
        const state = notebook.metadata.widgets?.[WIDGET_STATE]?.state ?? {};
        for (const o of outputs) {
          const view = o.data?.[WIDGET_VIEW] as { model_id: string } | undefined;
          if (!view) continue;
          const model = state[view.model_id];
          assert.ok(model, `widget ${view.model_id} has no saved state`);
          if (model.model_module !== "tslens-widgets") continue; // standard controls carry no snapshot
          // on disk, a text value may be a list of lines
          assert.ok(text(o.data?.["image/png"]).length > 0, `tslens view ${view.model_id} has no PNG`);
          assert.ok(text(o.data?.["text/plain"]).length > 0, `tslens view ${view.model_id} has no text line`);
        }
      });

      it(`is at most ${MAX_BYTES / 1e6} MB`, function () {
        const bytes = fs.statSync(file).size;
        assert.ok(bytes <= MAX_BYTES, `${name} is ${(bytes / 1e6).toFixed(2)} MB`);
      });
    });
  }

  it("each exports to HTML with `tslens export`: its title, the widget state and a view script per widget output", async function () {
    this.timeout(300_000);
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "tslens-committed-export-"));
    try {
      const results = await Promise.all(
        names.map((name) => exportNotebook(path.join(NOTEBOOKS, name), path.join(dir, name.replace(/\.ipynb$/, ".html")))),
      );
      names.forEach((name, i) => {
        assert.equal(results[i].status, 0, `${name}: ${results[i].stderr}`);
        const html = fs.readFileSync(path.join(dir, name.replace(/\.ipynb$/, ".html")), "utf8");
        const notebook = JSON.parse(fs.readFileSync(path.join(NOTEBOOKS, name), "utf8")) as Notebook;
        const outputs = notebook.cells.flatMap((c) => c.outputs ?? []);
        const views = outputs.filter((o) => o.data?.[WIDGET_VIEW]).length; // the page renders these from the saved state
        if (views > 0) assert.ok(html.includes(`<script type="${WIDGET_STATE}">`), `${name}: no widget state in the HTML`);
        assert.equal(
          html.split(`<script type="${WIDGET_VIEW}">`).length - 1,
          views,
          `${name}: one view script per widget output`,
        );
        const title = text(notebook.cells.find((c) => c.cell_type === "markdown")?.source)
          .split("\n")[0]
          .replace(/^# /, "");
        assert.ok(title && html.includes(title), `${name}: its title ${JSON.stringify(title)} is not in the HTML`);
      });
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
