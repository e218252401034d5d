/**
 * Typed fields, checked by the TypeScript compiler against the built declarations (dist/), strict:
 * a spec's reader returns each field's own type and refuses a misspelt name, and a view's public
 * properties (as a notebook cell sees them) carry the spec's types, with heads as { layer, head }.
 * Checked with the build's TypeScript and with the kernel's (tslab's 5.0 fork, which checks cells).
 */
import { strict as assert } from "assert";
import * as path from "path";
import * as ts from "typescript";
import { REPO_ROOT } from "../support/paths";

/** Where the snippets pretend to live (never written to disk). */
const HERE = path.join(REPO_ROOT, "dist", "spec-type-snippets");
const COMPILERS: [string, typeof ts][] = [
  ["the build's TypeScript", ts],
  ["the kernel's TypeScript", require("@tslab/typescript-for-tslab") as typeof ts],
];

/** The diagnostics ("TScode") of each snippet, each compiled with the imports every snippet shares. */
function diagnostics(compiler: typeof ts, snippets: Record<string, string>): Record<string, string[]> {
  const rel = (file: string) => JSON.stringify(path.relative(HERE, path.join(REPO_ROOT, "dist", file)));
  const head = [
    `import * as lens from ${rel("src/index")};`,
    `import type { FieldReader } from ${rel("src/common/spec")};`,
    `import type { AttentionPatternsFields } from ${rel("src/views/attentionPatterns/spec")};`,
    "declare const read: FieldReader<AttentionPatternsFields>;",
    "declare const view: lens.AttentionPatterns;",
    "declare const grid: lens.HeadScores;",
  ].join("\n");
  const sources = new Map(
    Object.entries(snippets).map(([name, body]) => [path.join(HERE, `${name}.ts`), `${head}\n${body}\nexport {};`]),
  );
  const options: ts.CompilerOptions = {
    strict: true,
    noEmit: true,
    target: compiler.ScriptTarget.ES2022,
    module: compiler.ModuleKind.CommonJS,
    moduleResolution: compiler.ModuleResolutionKind.Node10,
    esModuleInterop: true,
    skipLibCheck: true,
    types: ["node"],
  };
  const host = compiler.createCompilerHost(options);
  const getSourceFile = host.getSourceFile.bind(host);
  host.getSourceFile = (file, language, onError) => {
    const text = sources.get(path.resolve(file));
    return text !== undefined ? compiler.createSourceFile(file, text, language) : getSourceFile(file, language, onError);
  };
  const fileExists = host.fileExists.bind(host);
  host.fileExists = (file) => sources.has(path.resolve(file)) || fileExists(file);
  const program = compiler.createProgram([...sources.keys()], options, host);
  const out: Record<string, string[]> = Object.fromEntries(Object.keys(snippets).map((name) => [name, []]));
  for (const d of compiler.getPreEmitDiagnostics(program)) {
    const name = d.file ? path.basename(d.file.fileName, ".ts") : "";
    (out[name] ??= []).push(`TS${d.code}: ${compiler.flattenDiagnosticMessageText(d.messageText, " ")}`);
  }
  return out;
}

describe("typed fields (compile-time, against dist/)", function () {
  this.timeout(120_000);

  for (const [label, compiler] of COMPILERS) {
    it(`${label}: correct field names and types compile; a misspelt name or a wrong type does not`, () => {
      const found = diagnostics(compiler, {
        correct: [
          'const head: number = read("selectedHead");',
          'const bytes: Uint8Array | null = read("patterns");',
          'const mode: "query" | "key" = read("tokenMode");',
          "const ref: lens.HeadRef = view.selected;",
          "view.selected = { layer: 1, head: 0 };",
          "view.selectedHead = 2;",
          "const heads: lens.HeadRef[] = view.heads;",
          "const picked: lens.HeadRef | null = grid.selected;",
          'const label: string = lens.headLabel(lens.parseHeadLabel("L1H0"));',
        ].join("\n"),
        misspelt: 'read("selectedHed");',
        wrongType: 'const name: string = read("selectedHead");',
        flatSelected: "view.selected = 3;",
      });
      assert.deepEqual(found.correct, [], "every correct line compiles");
      assert.ok(found[""] === undefined || found[""].length === 0, `other diagnostics: ${found[""]}`);
      assert.match(found.misspelt.join("\n"), /TS2345: Argument of type '"selectedHed"' is not assignable/);
      assert.match(found.wrongType.join("\n"), /TS2322: Type 'number' is not assignable to type 'string'/);
      assert.match(found.flatSelected.join("\n"), /TS2322: Type 'number' is not assignable to type 'HeadRef'/);
    });
  }
});
