/**
 * The committed control defaults are what the installed ipywidgets emits
 * (re-recorded from .venv and compared), so a version bump cannot drift silently.
 */
import { strict as assert } from "assert";
import { execFileSync } from "child_process";
import * as path from "path";
import recorded from "../../src/controls/defaults.json";
import { REPO_ROOT, venvBin } from "../support/paths";

describe("widgets/controls/defaults.json", function () {
  this.timeout(60_000);

  it("matches the state ipywidgets in .venv emits for every standard control", function () {
    const script = path.join(REPO_ROOT, "scripts", "record_widget_defaults.py");
    const fresh = JSON.parse(execFileSync(venvBin("python"), [script], { encoding: "utf8" }));
    assert.deepEqual(fresh, recorded);
  });

  it("covers the controls tslens exports", function () {
    for (const name of [
      "IntSlider",
      "FloatSlider",
      "Text",
      "Textarea",
      "Dropdown",
      "Checkbox",
      "Button",
      "FloatProgress",
      "Label",
      "HTML",
      "Output",
      "HBox",
      "VBox",
      "Layout",
    ]) {
      assert.ok(name in recorded.models, name);
    }
  });
});
