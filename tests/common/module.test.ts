/**
 * The views' module name and version are written once (src/common/module.ts): the browser package
 * (widgets/package.json, and the extension built from it) carries the same name and version, and the
 * build's own check refuses a mismatch.
 */
import { strict as assert } from "assert";
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as path from "path";
import { MODULE_NAME, MODULE_VERSION, MODULE_VERSION_RANGE } from "../../src/common/module";
import { REPO_ROOT } from "../support/paths";

const readJson = (file: string) => JSON.parse(fs.readFileSync(path.join(REPO_ROOT, file), "utf8"));

describe("common/module", function () {
  it("widgets/package.json and the built extension are MODULE_NAME at MODULE_VERSION; the kernel asks for ^MODULE_VERSION", () => {
    const pkg = readJson("widgets/package.json");
    assert.deepEqual([pkg.name, pkg.version], [MODULE_NAME, MODULE_VERSION]);
    const built = "widgets/labextension/package.json";
    if (fs.existsSync(path.join(REPO_ROOT, built)))
      assert.deepEqual([readJson(built).name, readJson(built).version], [MODULE_NAME, MODULE_VERSION]);
    assert.equal(MODULE_VERSION_RANGE, `^${MODULE_VERSION}`);
  });

  it("the build's check (widgets/check-module.js) passes as things are and names both files on a mismatch", () => {
    const check = path.join(REPO_ROOT, "widgets", "check-module.js");
    assert.equal(spawnSync(process.execPath, [check], { encoding: "utf8" }).status, 0);
    // The same check on a copy of the package whose version differs.
    const dir = fs.mkdtempSync(path.join(REPO_ROOT, "dist", "module-check-"));
    try {
      fs.mkdirSync(path.join(dir, "widgets"));
      fs.mkdirSync(path.join(dir, "dist", "src", "common"), { recursive: true });
      fs.copyFileSync(check, path.join(dir, "widgets", "check-module.js"));
      fs.copyFileSync(
        path.join(REPO_ROOT, "dist", "src", "common", "module.js"),
        path.join(dir, "dist", "src", "common", "module.js"),
      );
      fs.writeFileSync(path.join(dir, "widgets", "package.json"), JSON.stringify({ name: MODULE_NAME, version: "9.9.9" }));
      const run = spawnSync(process.execPath, [path.join(dir, "widgets", "check-module.js")], { encoding: "utf8" });
      assert.equal(run.status, 1);
      assert.match(
        run.stderr,
        new RegExp(`widgets/package.json is ${MODULE_NAME}@9.9.9 but src/common/module.ts says ${MODULE_NAME}@${MODULE_VERSION}`),
      );
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
