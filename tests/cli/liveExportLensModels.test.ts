/**
 * `tslens export --live` and logit lenses (scripts/export/live.py, run with the system Python on a made-up widget
 * state and models folder): a logit lens with a prompt box (its DOM classes name its model) gets its model embedded
 * as an induction view does — shipped or within the limit — and, when it cannot be, stays as without --live with one
 * message naming the logitLens view and why; a logit lens without a box (made from a cache) is no live view.
 */
import { strict as assert } from "assert";
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { REPO_ROOT } from "../support/paths";

/** live.live_scripts on `state`, with `models` as models/: the scripts' first 40 characters each, and the notes. */
function liveScripts(state: object, models: string, bundle: string): { scripts: string[]; notes: string[] } {
  const code = [
    "import json, sys",
    `sys.path.insert(0, ${JSON.stringify(path.join(REPO_ROOT, "scripts", "export"))})`,
    "import live",
    "scripts, notes = live.live_scripts(json.loads(sys.argv[1]), sys.argv[2], sys.argv[3])",
    "print(json.dumps({'scripts': [s[:40] for s in scripts], 'notes': notes}))",
  ].join("\n");
  const run = spawnSync("python3", ["-c", code, JSON.stringify(state), bundle, models], { encoding: "utf8" });
  assert.equal(run.status, 0, run.stderr);
  return JSON.parse(run.stdout);
}

/** A logit lens's saved state: with a prompt box naming `model` (a string), or made from a cache (null). */
function lensState(model: string | null): object {
  const tag = { view: "logitLens", model, topK: 5 };
  const classes = model === null ? [] : ["tslens-logit-lens-prompt", `tslens-live:${encodeURIComponent(JSON.stringify(tag))}`];
  return { model_name: "LogitLensModel", state: { _dom_classes: classes } };
}

describe("tslens export --live: logit lenses with a prompt box", function () {
  this.timeout(30_000);
  let tmp: string;
  let models: string;
  let bundle: string;

  before(function () {
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), "tslens-live-lens-models-"));
    models = path.join(tmp, "models");
    bundle = path.join(tmp, "tslens-live.js");
    fs.writeFileSync(bundle, "var tslensLive = {}; /* the engine */");
    for (const [name, bytes] of [
      ["attn-only-1l", 9_000_000],
      ["large", 8_500_000],
    ] as const) {
      fs.mkdirSync(path.join(models, name), { recursive: true });
      fs.writeFileSync(path.join(models, name, "config.json"), JSON.stringify({ n_layers: 1 }));
      fs.writeFileSync(path.join(models, name, "model.safetensors"), Buffer.alloc(bytes));
    }
  });

  after(() => fs.rmSync(tmp, { recursive: true, force: true }));

  it("a lens naming a shipped model: the engine, that model and the wiring call; a lens over the limit: why not", function () {
    const state = { lens0: lensState("attn-only-1l"), lens1: lensState("large"), lens2: lensState(null) };
    const { scripts, notes } = liveScripts(state, models, bundle);
    assert.deepEqual(scripts, [
      "var tslensLive = {}; /* the engine */",
      'tslensLive.addModel({"name": "attn-only-',
      "(function () { var go = function () { wi",
    ]);
    assert.equal(notes.length, 1, notes.join("\n"));
    assert.match(
      notes[0],
      /^tslens export --live: the logitLens view \(widget lens1\) exports as without --live .*"large" has 8\.5 MB of weights, over the 8 MB limit/,
    );
  });

  it("only lenses without a box: nothing embedded, and the export says so", function () {
    const { scripts, notes } = liveScripts({ lens0: lensState(null) }, models, bundle);
    assert.deepEqual(scripts, []);
    assert.match(notes[0], /holds no inductionHeads view \(nor logitLens view with a prompt box\) that names its model/);
  });
});
