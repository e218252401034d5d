/**
 * Which way imports point (read from the sources): src/common imports nothing else of ours and no
 * Node module (it is bundled for the browser); view specs import only src/common; no library file
 * imports the browser package or the kernel; the kernel takes only the contract from src/; the
 * browser package takes from src/ only src/common and the view specs.
 */
import { strict as assert } from "assert";
import * as fs from "fs";
import * as path from "path";
import { REPO_ROOT } from "../support/paths";

/** Every .ts file under `dir` (relative to the repo), recursively. */
function tsFiles(dir: string): string[] {
  const out: string[] = [];
  for (const entry of fs.readdirSync(path.join(REPO_ROOT, dir), { withFileTypes: true })) {
    const rel = path.join(dir, entry.name);
    if (entry.isDirectory()) out.push(...tsFiles(rel));
    else if (entry.name.endsWith(".ts")) out.push(rel);
  }
  return out;
}

/** The module specifiers a file loads at run time: import/export … from, import(), require(); `import type` left out. */
function runtimeImports(file: string): string[] {
  const text = fs.readFileSync(path.join(REPO_ROOT, file), "utf8");
  const specs: string[] = [];
  for (const m of text.matchAll(/^\s*(import|export)\s+(type\s+)?[^;]*?\sfrom\s+"([^"]+)"/gms)) if (!m[2]) specs.push(m[3]);
  for (const m of text.matchAll(/^\s*import\s+"([^"]+)"/gm)) specs.push(m[1]);
  for (const m of text.matchAll(/\b(?:require|import)\(\s*"([^"]+)"\s*\)/g)) specs.push(m[1]);
  return specs;
}

/** Where a relative specifier of `file` points, relative to the repo (bare module names stay as they are). */
function target(file: string, spec: string): string {
  return spec.startsWith(".") ? path.normalize(path.join(path.dirname(file), spec)) : spec;
}

/** "file → target" for every runtime import of the files under `dir` that `bad` flags. */
function offending(dir: string, bad: (to: string, file: string) => boolean): string[] {
  return tsFiles(dir).flatMap((file) =>
    runtimeImports(file)
      .map((spec) => target(file, spec))
      .filter((to) => bad(to, file))
      .map((to) => `${file} → ${to}`),
  );
}

const isTest = (file: string) => file.endsWith(".test.ts");

describe("import directions", function () {
  it("the reader sees runtime imports and skips type-only ones", () => {
    assert.deepEqual(
      runtimeImports("kernel/display.ts"),
      ["util", "../src/common/mime"],
      "its `import type` of the host is left out",
    );
  });

  it("src/common imports only src/common: nothing else of ours, no package, no Node module", () => {
    assert.deepEqual(
      offending("src/common", (to) => !to.startsWith("src/common")),
      [],
    );
  });

  it("each view's spec.ts imports only src/common", () => {
    const specs = tsFiles("src/views").filter((f) => path.basename(f) === "spec.ts");
    assert.ok(specs.length >= 5, `specs found: ${specs}`);
    const bad = specs.flatMap((file) =>
      runtimeImports(file)
        .map((spec) => target(file, spec))
        .filter((to) => !to.startsWith("src/common")),
    );
    assert.deepEqual(bad, []);
  });

  it("no library file imports the browser package or the kernel", () => {
    assert.deepEqual(
      offending("src", (to, file) => !isTest(file) && (to.startsWith("widgets") || to.startsWith("kernel"))),
      [],
    );
  });

  it("the kernel takes only the contract (src/common) from the library", () => {
    assert.deepEqual(
      offending("kernel", (to) => to.startsWith("src") && !to.startsWith("src/common")),
      [],
    );
  });

  it("the browser package takes from src/ only src/common and the view specs", () => {
    assert.deepEqual(
      offending(
        "widgets/src",
        (to) => to.startsWith("src") && !to.startsWith("src/common") && !/^src\/views\/[^/]+\/spec$/.test(to),
      ),
      [],
    );
  });
});
