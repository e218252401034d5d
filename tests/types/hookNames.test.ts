/**
 * Typed hook names, checked by the TypeScript compiler against the built declarations (dist/src/index.d.ts) with
 * strict settings, as a notebook cell is: every hook name the fixtures have compiles wherever a hook name goes
 * (cache.get, fwdHooks, namesFilter), names built from a number compile, and a misspelt name is a compile error
 * whose message names it. Checked with the TypeScript the build uses and with the one the kernel type-checks cells
 * with (tslab's fork, 5.0). Run after `npx tsc -p tsconfig.json`.
 */
import { strict as assert } from "assert";
import * as fs from "fs";
import * as path from "path";
import * as ts from "typescript";
import { loadModel } from "../../src";
import { REPO_ROOT } from "../support/paths";

const FIXTURES = path.join(REPO_ROOT, "tests", "fixtures", "models");
const INDEX = path.join(REPO_ROOT, "dist", "src", "index.d.ts");
/** Where the snippets pretend to live (they are never written to disk). */
const SNIPPETS = path.join(REPO_ROOT, "dist", "type-snippets");

/** The TypeScript compilers to check with: the build's, and the kernel's (tslab's fork of 5.0). */
const COMPILERS: [string, typeof ts][] = [
  [`typescript ${ts.version} (the build's)`, ts],
  [`tslab's typescript (the kernel's)`, require("@tslab/typescript-for-tslab") as typeof ts],
];

/** Strict settings; `skipLibCheck` off checks the declarations themselves too. */
function compilerOptions(compiler: typeof ts, skipLibCheck: boolean): ts.CompilerOptions {
  return {
    strict: true,
    noEmit: true,
    target: compiler.ScriptTarget.ES2022,
    module: compiler.ModuleKind.CommonJS,
    moduleResolution: compiler.ModuleResolutionKind.Node10,
    esModuleInterop: true,
    resolveJsonModule: true,
    skipLibCheck,
    types: ["node"],
  };
}

/** A snippet's source: the import of the built library and the declarations every snippet uses. */
function snippet(body: string): string {
  return [
    `import * as lens from ${JSON.stringify(path.relative(SNIPPETS, INDEX).replace(/\.d\.ts$/, ""))};`,
    "declare const model: lens.HookedTransformer;",
    "declare const cache: lens.ActivationCache;",
    "declare const layer: number;",
    "declare const text: string;",
    "const keep = (x: lens.tf.Tensor) => x;",
    body,
    "export {};",
  ].join("\n");
}

/** Type-checks `files` (name → body) in one program: each snippet's diagnostics ("TScode: message"), and the rest's. */
function typeCheck(
  compiler: typeof ts,
  options: ts.CompilerOptions,
  files: Record<string, string>,
): { snippets: Map<string, string[]>; others: string[] } {
  const sources = new Map(Object.entries(files).map(([name, body]) => [path.join(SNIPPETS, `${name}.ts`), snippet(body)]));
  const host = compiler.createCompilerHost(options);
  const getSourceFile = host.getSourceFile.bind(host);
  host.getSourceFile = (file, language, onError) => {
    const text = sources.get(path.resolve(file));
    return text !== undefined ? compiler.createSourceFile(file, text, language) : getSourceFile(file, language, onError);
  };
  const fileExists = host.fileExists.bind(host);
  host.fileExists = (file) => sources.has(path.resolve(file)) || fileExists(file);
  const program = compiler.createProgram([...sources.keys()], options, host);
  const snippets = new Map<string, string[]>([...sources.keys()].map((file) => [path.basename(file, ".ts"), []]));
  const others: string[] = [];
  for (const d of compiler.getPreEmitDiagnostics(program)) {
    const file = d.file ? path.resolve(d.file.fileName) : "(no file)";
    const message = `TS${d.code}: ${compiler.flattenDiagnosticMessageText(d.messageText, "\n")}`;
    if (sources.has(file)) snippets.get(path.basename(file, ".ts"))!.push(message);
    else others.push(`${path.relative(REPO_ROOT, file)}: ${message}`);
  }
  return { snippets, others };
}

/** Code that must compile. */
function mustCompile(names: string[]): Record<string, string> {
  const literal = (n: string) => JSON.stringify(n);
  return {
    everyName: [
      ...names.map((n) => `keep(cache.get(${literal(n)}));`),
      ...names.map((n) => `model.runWithHooks(text, { fwdHooks: [[${literal(n)}, (x) => x]] });`),
      ...names.map((n) => `model.runWithCache(text, { namesFilter: ${literal(n)}, fwdHooks: [[${literal(n)}, keep]] });`),
      `model.runWithCache(text, { namesFilter: [${names.map(literal).join(", ")}] });`,
      `const all: lens.HookName[] = [${names.map(literal).join(", ")}];`,
      "keep(model.runFromLayer(cache.get(all[0]), 0, { fwdHooks: [[all[1], keep]] }));",
    ].join("\n"),
    templates: [
      "keep(cache.get(`blocks.${layer}.attn.hook_pattern`));",
      "keep(cache.get(`blocks.${layer}.ln1.hook_scale`));",
      "for (let l = 0; l < 2; l++) keep(cache.get(`blocks.${l}.hook_resid_post`));",
      "model.runWithHooks(text, { fwdHooks: [[`blocks.${layer}.attn.hook_z`, (z) => z.mul(0)]] });",
      'model.runWithCache(text, { namesFilter: [`blocks.${layer}.hook_resid_pre`, "ln_final.hook_scale"] });',
      'cache.stackActivation("attn.hook_pattern").dispose();',
    ].join("\n"),
    ranks: [
      'const pattern: lens.tf.Tensor4D = cache.get("blocks.0.attn.hook_pattern");',
      "const scores: lens.tf.Tensor4D = cache.get(`blocks.${layer}.attn.hook_attn_scores`);",
      "const z: number[][][][] = cache.get(`blocks.${layer}.attn.hook_z`).arraySync();",
      "const resid: lens.tf.Tensor3D = cache.get(`blocks.${layer}.hook_resid_mid`);",
      'const scale: lens.tf.Tensor3D = cache.get("ln_final.hook_scale");',
      'const ln1: lens.tf.Tensor = cache.get("blocks.0.ln1.hook_normalized");',
      "keep(pattern); keep(scores); keep(resid); keep(scale); keep(ln1); z.flat();",
    ].join("\n"),
    escapeHatches: [
      "const built = ['blocks', 0, 'attn', 'hook_z'].join('.');",
      "keep(cache.get(built as lens.HookName));",
      "keep(cache.get(lens.hookName(built)));",
      "keep(cache.get(model.hookName(built)));",
      "model.runWithHooks(text, { fwdHooks: [[lens.hookName(built), keep]] });",
    ].join("\n"),
    predicates: [
      'model.runWithCache(text, { namesFilter: (n) => n.endsWith("hook_pattern") });',
      'model.runWithHooks(text, { fwdHooks: [[(n) => n.startsWith("blocks.0."), (x, hook) => (hook.name.length ? x : x)]] });',
      "const first: lens.HookName = model.hookNames()[0]; keep(cache.get(first)); cache.keys().forEach((n) => keep(cache.get(n)));",
      "const ids: number[][] = cache.tokens.arraySync(); const strs: string[][] = cache.strTokens; ids.flat(); strs.flat();",
    ].join("\n"),
    shortNames: [
      'keep(cache.get("pattern", 1)); keep(cache.get("pattern", -1)); keep(cache.get("scale", 0, "ln1")); keep(cache.get("k1"));',
      'const full: lens.HookName = lens.actName("pattern", 1); keep(cache.get(full));',
    ].join("\n"),
  };
}

/** Code that must not compile, and a piece of the error it must give. */
const MUST_FAIL: Record<string, [string, RegExp]> = {
  // cache.get also takes TransformerLens's short names (get("pattern", 2)): a misspelt name matches neither overload.
  getMisspelt: [
    'cache.get("blocks.0.attn.hook_patern");',
    /TS2769: No overload matches this call[^]*Argument of type '"blocks\.0\.attn\.hook_patern"' is not assignable to parameter of type 'HookName'/,
  ],
  getMisspeltFinal: ['cache.get("ln_final.hook_scal");', /TS2769: [^]*"ln_final\.hook_scal"/],
  getLayerNotANumber: ['cache.get("blocks.x.attn.hook_z");', /TS2769: [^]*"blocks\.x\.attn\.hook_z"/],
  getTemplateMisspelt: [
    "cache.get(`blocks.${layer}.attn.hook_patern`);",
    /TS2769: [^]*`blocks\.\$\{number\}\.attn\.hook_patern`/,
  ],
  getPlainString: ["cache.get(text);", /TS2769: [^]*Argument of type 'string' is not assignable to parameter of type 'HookName'/],
  getShortMisspelt: [
    'cache.get("patern", 2);',
    /TS2345: Argument of type '"patern"' is not assignable to parameter of type 'ActName \| CompactActName'/,
  ],
  hasMisspelt: ['cache.has("blocks.0.hook_resid_pree");', /TS2345: .*"blocks\.0\.hook_resid_pree"/],
  runWithHooksMisspelt: [
    'model.runWithHooks(text, { fwdHooks: [["blocks.0.attn.hook_patern", (x) => x]] });',
    /TS2322: Type '"blocks\.0\.attn\.hook_patern"' is not assignable to type 'HookTarget'/,
  ],
  runWithCacheHooksMisspelt: [
    'model.runWithCache(text, { fwdHooks: [["blocks.0.mlp.hook_postt", keep]] });',
    /TS2769: No overload matches this call[^]*Type '"blocks\.0\.mlp\.hook_postt"' is not assignable to type 'HookTarget'/,
  ],
  runFromLayerHooksMisspelt: [
    'model.runFromLayer(keep(cache.get("hook_embed")), 0, { fwdHooks: [["hook_embedd", keep]] });',
    /TS2820: Type '"hook_embedd"' is not assignable to type 'HookTarget'. Did you mean '"hook_embed"'\?/,
  ],
  namesFilterMisspelt: [
    'model.runWithCache(text, { namesFilter: "blocks.0.hook_resid_pree" });',
    /TS2769: No overload matches this call[^]*Type '"blocks\.0\.hook_resid_pree"' is not assignable to type 'NamesFilter/,
  ],
  namesFilterListMisspelt: [
    'model.runWithCache(text, { namesFilter: ["hook_embed", "blocks.1.attn.hook_qq"] });',
    /TS2769: No overload matches this call[^]*Type '"blocks\.1\.attn\.hook_qq"' is not assignable to type 'HookName'/,
  ],
  stackActivationMisspelt: ['cache.stackActivation("attn.hook_patern");', /TS2345: .*"attn\.hook_patern"/],
  wrongRank: [
    'const pattern: lens.tf.Tensor3D = cache.get("blocks.0.attn.hook_pattern");',
    /TS2322: Type 'Tensor4D' is not assignable to type 'Tensor3D'/,
  ],
};

/** Every hook name the gpt2, neox and llama fixtures have, gated ones included. */
async function fixtureHookNames(): Promise<string[]> {
  const all = new Set<string>();
  for (const fixture of ["gpt2-tiny", "neox-tiny", "llama-tiny"]) {
    const model = await loadModel(path.join(FIXTURES, fixture), { processWeights: false });
    model.cfg.useAttnResult = true; // the gated hook points too
    model.cfg.useSplitQkvInput = true;
    for (const name of model.hookNames()) all.add(name);
    model.dispose();
  }
  return [...all];
}

for (const [label, compiler] of COMPILERS) {
  describe(`typed hook names: ${label}, strict, against dist/src/index.d.ts`, function () {
    this.timeout(120_000);
    let names: string[];
    let results: Map<string, string[]>;
    let others: string[];
    const checksDeclarations = compiler === ts;

    before(async () => {
      assert.ok(fs.existsSync(INDEX), `${INDEX} is missing: build with npx tsc -p tsconfig.json first`);
      names = await fixtureHookNames();
      const failing = Object.fromEntries(Object.entries(MUST_FAIL).map(([name, [body]]) => [name, body]));
      const options = compilerOptions(compiler, !checksDeclarations);
      ({ snippets: results, others } = typeCheck(compiler, options, { ...mustCompile(names), ...failing }));
    });

    it("the fixtures' hook names include rotary, gated-MLP, split-input and per-head-result points", () => {
      const gated = [
        "blocks.1.attn.hook_rot_k",
        "blocks.0.mlp.hook_pre_linear",
        "blocks.1.hook_v_input",
        "blocks.0.attn.hook_result",
      ];
      for (const name of gated) assert.ok(names.includes(name), name);
    });

    for (const snippetName of ["everyName", "templates", "ranks", "escapeHatches", "predicates"]) {
      it(`compiles: ${snippetName}`, () => {
        assert.deepEqual(results.get(snippetName), []);
      });
    }

    for (const [snippetName, [body, expected]] of Object.entries(MUST_FAIL)) {
      it(`does not compile: ${snippetName} (${body})`, () => {
        const messages = results.get(snippetName) ?? [];
        assert.ok(
          messages.some((m) => expected.test(m)),
          `expected ${expected}, got:\n${messages.join("\n") || "(it compiled)"}`,
        );
      });
    }

    if (checksDeclarations)
      it("the built declarations type-check under strict settings, skipLibCheck off", () => {
        // tfjs's own declarations have errors of their own under skipLibCheck off (tfjs-layers, hash_util): not ours.
        assert.deepEqual(
          others.filter((m) => m.startsWith("dist/")),
          [],
        );
      });
  });
}
