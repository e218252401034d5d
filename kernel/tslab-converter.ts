/**
 * tslab's converter (tslab/dist/converter.js, tslab 1.0.22, pinned and no longer maintained), loaded with a few
 * exact textual patches instead of as published:
 *
 * - "unescaped export names": a cell's top-level names are exported under TypeScript's *escaped* names, so any
 *   name starting with `__` (escaped `___x`) failed with "Cannot find name '___x'". The patch exports
 *   `ts.unescapeLeadingUnderscores(name)`; two smaller patches do the same where tslab prints or matches names
 *   (the `let x: any` it declares for a replaced class, and completion of a `__` prefix).
 * - "cross-cell references": tslab rewrites a reference to an earlier cell's name `q` into `exports.q` but drops
 *   the rewrite inside shorthand properties (`{ q }`, `({ q = 1 } = o)`), giving "q is not defined". The patched
 *   converter calls rewritePrevNames (./prev-names) instead of its own rewriter.
 *
 * How: the converter's source is read from tslab's installed file, each patch's target text must occur exactly
 * once (otherwise loading fails at kernel start with an error naming the patch, so a different tslab is never
 * half-patched), and the result is compiled as that very module (same filename, same require paths) and placed
 * in require.cache, so tslab's own modules that require "./converter" get the patched one. Nothing under
 * node_modules is modified: a clean `npm ci`, or tslens installed as a dependency, works as is.
 */
import * as fs from "fs";
import Module from "module";
import * as path from "path";
import type * as Converter from "tslab/dist/converter";

/** One textual replacement in tslab's converter source. */
export interface SourcePatch {
  /** Names the patch in errors. */
  readonly name: string;
  /** Text that must occur exactly once in the source. */
  readonly find: string;
  /** Its replacement. */
  readonly replace: string;
}

/** The variable through which the patched converter reaches ./prev-names. */
const PREV_NAMES_VAR = "__tslensPrevNames";

/** The patches, in the order they are applied. */
export const CONVERTER_PATCHES: readonly SourcePatch[] = [
  {
    name: "unescaped export names",
    find: "locals.forEach((_, key) => {\n                keys.add(key);",
    replace: "locals.forEach((_, key) => {\n                keys.add(ts.unescapeLeadingUnderscores(key));",
  },
  {
    name: "unescaped names of replaced classes",
    find: "anyVarsDecls.push(`let ${name}: any;\\n`);",
    replace: "anyVarsDecls.push(`let ${ts.unescapeLeadingUnderscores(name)}: any;\\n`);",
  },
  {
    name: "unescaped completion prefix",
    find: "let name = id.escapedText.toString();",
    replace: "let name = ts.idText(id);",
  },
  {
    name: "cross-cell references",
    find: "        function wrapPrevIdentifier(node) {\n",
    replace:
      "        function wrapPrevIdentifier(node) {\n" +
      `            return ${PREV_NAMES_VAR}.rewritePrevNames(node, { ts, checker, declsFile, context: nullTransformationContext });\n` +
      "        }\n" +
      "        function tslabWrapPrevIdentifier(node) {\n",
  },
];

/** Applies `patches` to `source`; throws naming the first patch whose target does not occur exactly once. */
export function applyPatches(source: string, patches: readonly SourcePatch[], file: string): string {
  let patched = source;
  for (const patch of patches) {
    const count = patched.split(patch.find).length - 1;
    if (count !== 1) {
      throw new Error(
        `tslens cannot patch tslab's converter (${file}): patch "${patch.name}" expects its target text once, ` +
          `found it ${count} times. tslens supports tslab ${SUPPORTED_TSLAB}; reinstall with \`npm ci\`.`,
      );
    }
    patched = patched.replace(patch.find, () => patch.replace);
  }
  return patched;
}

/** The tslab version the patches were written against. */
export const SUPPORTED_TSLAB = "1.0.22";

/** Marks the module object this file compiled. */
const PATCHED = Symbol.for("tslens.patchedTslabConverter");

type CompilableModule = Module & {
  _compile(content: string, filename: string): void;
  [PATCHED]?: true;
};

/**
 * tslab's converter module with the patches applied; the first call compiles it into require.cache, later calls
 * return the same module. Throws if the unpatched converter was already loaded, or a patch does not apply.
 */
export function loadPatchedConverter(): typeof Converter {
  const file = require.resolve("tslab/dist/converter");
  const cached = require.cache[file] as CompilableModule | undefined;
  if (cached) {
    if (cached[PATCHED]) return cached.exports as typeof Converter;
    throw new Error(`tslab's converter (${file}) was loaded before tslens could patch it`);
  }
  const helper = JSON.stringify(require.resolve("./prev-names"));
  const source = applyPatches(fs.readFileSync(file, "utf8"), CONVERTER_PATCHES, file);
  // Appended, so line numbers in tslab's stack frames stay true; read only when a cell is converted.
  const patched = `${source}\nconst ${PREV_NAMES_VAR} = require(${helper});\n`;
  const mod = new Module(file, module) as CompilableModule;
  mod.filename = file;
  mod.paths = (Module as unknown as { _nodeModulePaths(dir: string): string[] })._nodeModulePaths(path.dirname(file));
  mod[PATCHED] = true;
  require.cache[file] = mod;
  try {
    mod._compile(patched, file);
  } catch (err) {
    delete require.cache[file];
    throw err;
  }
  mod.loaded = true;
  return mod.exports as typeof Converter;
}
