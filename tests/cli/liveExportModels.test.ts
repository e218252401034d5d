/**
 * Which models `tslens export --live` embeds (scripts/export/live.py, run here with the system Python on a made-up
 * widget state and models folder): the model an induction view names when tslens ships it or its weights are within
 * the limit; otherwise the view stays as without --live and one message says which view and why (too large, not a
 * folder under models/, built in code); a notebook with no induction view gets nothing and is told so.
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

/** A widget state with one induction view's column per entry of `tags` (undefined: a column with no live tag). */
function stateWith(tags: (object | undefined)[]): object {
  const entries = tags.map((tag, i) => [
    `view${i}`,
    {
      model_name: "VBoxModel",
      state: {
        _dom_classes: ["tslens-induction-heads", ...(tag ? [`tslens-live:${encodeURIComponent(JSON.stringify(tag))}`] : [])],
      },
    },
  ]);
  return Object.fromEntries([...entries, ["other", { model_name: "HTMLModel", state: { _dom_classes: [] } }]]);
}

describe("tslens export --live: which models a page embeds", function () {
  this.timeout(30_000);
  let tmp: string;
  let models: string;
  let bundle: string;

  before(function () {
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), "tslens-live-models-"));
    models = path.join(tmp, "models");
    bundle = path.join(tmp, "tslens-live.js");
    fs.writeFileSync(bundle, "var tslensLive = {}; /* the engine */");
    const folder = (name: string, weightBytes: number) => {
      fs.mkdirSync(path.join(models, name), { recursive: true });
      fs.writeFileSync(path.join(models, name, "config.json"), JSON.stringify({ n_layers: 1 }));
      fs.writeFileSync(path.join(models, name, "model.safetensors"), Buffer.alloc(weightBytes));
    };
    folder("attn-only-2l", 9_000_000); // shipped: embedded whatever its size
    folder("small", 1000);
    folder("large", 8_500_000);
  });

  after(() => fs.rmSync(tmp, { recursive: true, force: true }));

  it("embeds the engine, each model a view names once, then the wiring call", function () {
    const tag = (model: string) => ({ view: "inductionHeads", model });
    const { scripts, notes } = liveScripts(stateWith([tag("attn-only-2l"), tag("small"), tag("attn-only-2l")]), models, bundle);
    assert.deepEqual(notes, []);
    assert.deepEqual(scripts, [
      "var tslensLive = {}; /* the engine */",
      'tslensLive.addModel({"name": "attn-only-',
      'tslensLive.addModel({"name": "small", "c',
      "(function () { var go = function () { wi",
    ]);
  });

  it("a model over the limit, not under models/, or built in code: the view stays as it is, and the note says why", function () {
    const { scripts, notes } = liveScripts(
      stateWith([
        { view: "inductionHeads", model: "large" },
        { view: "inductionHeads", model: "gpt2" },
        { view: "inductionHeads" },
        undefined,
      ]),
      models,
      bundle,
    );
    assert.deepEqual(scripts, [], "no live view left: nothing embedded");
    assert.equal(notes.length, 4);
    assert.match(
      notes[0],
      /widget view0\) exports as without --live .*"large" has 8\.5 MB of weights, over the 8 MB limit of --live/,
    );
    assert.match(notes[1], /widget view1\).*"gpt2" is not a folder under .*models \(only those can be embedded\)/);
    assert.match(notes[2], /widget view2\).*not loaded from a folder/);
    assert.match(notes[3], /widget view3\).*not loaded from a folder/);
  });

  it("a notebook without an induction view: nothing embedded, and the export says so", function () {
    const { scripts, notes } = liveScripts(stateWith([]), models, bundle);
    assert.deepEqual(scripts, []);
    assert.equal(notes.length, 1);
    assert.match(
      notes[0],
      /^tslens export --live: the notebook's saved state holds no inductionHeads view .*--execute.*; exported as without --live$/,
    );
  });
});
