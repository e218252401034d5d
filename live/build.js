#!/usr/bin/env node
/**
 * Builds tslens live, the engine for browser pages (see live/src/index.ts):
 *
 *   node live/build.js [--out DIR] [--models attn-only-2l,attn-only-1l]
 *
 * writes DIR/tslens-live.js (one minified script defining `tslensLive`, tfjs's wasm binaries inside it),
 * DIR/models/NAME.js for each embedded model (its config, tokenizer and base64 weights, registered with
 * tslensLive.addModel) and DIR/meta.json (esbuild's module graph), and prints their sizes, raw and gzipped.
 * DIR defaults to dist/live. Wherever the engine imports a Node-only module, the bundle takes its browser twin
 * (live/seams.js).
 */
"use strict";
const fs = require("fs");
const path = require("path");
const zlib = require("zlib");
const { SEAMS } = require("./seams");

const REPO_ROOT = path.resolve(__dirname, "..");
/** The models `--models` embeds by default: the ones tslens trains and ships. */
const DEFAULT_MODELS = ["attn-only-2l", "attn-only-1l"];
/** A model's files a page needs (the tokenizer ones when present). */
const MODEL_FILES = { config: "config.json", tokenizer: "tokenizer.json", tokenizerConfig: "tokenizer_config.json" };

/** esbuild, from the widget views' packages (the export bundle is built with it too). */
function loadEsbuild() {
  try {
    return require(path.join(REPO_ROOT, "widgets", "node_modules", "esbuild"));
  } catch {
    throw new Error("tslens live is built with esbuild from widgets/node_modules: run `npm run setup` first");
  }
}

/** An esbuild plugin that resolves each Node-only module of SEAMS to its browser twin. */
function seamsPlugin() {
  const twins = new Map(Object.entries(SEAMS).map(([node, twin]) => [path.join(REPO_ROOT, node), path.join(REPO_ROOT, twin)]));
  const skip = Symbol("resolving without the seams");
  return {
    name: "tslens-seams",
    setup(build) {
      build.onResolve({ filter: /^\.\.?\// }, async (args) => {
        if (args.pluginData === skip) return undefined;
        const { kind, importer, resolveDir } = args;
        const resolved = await build.resolve(args.path, { kind, importer, resolveDir, pluginData: skip });
        const twin = resolved.errors.length === 0 ? twins.get(resolved.path) : undefined;
        return twin ? { path: twin } : undefined;
      });
    },
  };
}

/** Builds the bundle (plugins need esbuild's async API); resolves to esbuild's metafile. */
async function buildBundleAsync(outFile) {
  const result = await loadEsbuild().build({
    entryPoints: [path.join(__dirname, "src", "index.ts")],
    bundle: true,
    format: "iife",
    globalName: "tslensLive",
    platform: "browser",
    target: "es2020",
    minify: true,
    legalComments: "none",
    loader: { ".wasm": "binary" },
    tsconfig: path.join(__dirname, "tsconfig.json"),
    plugins: [seamsPlugin()],
    metafile: true,
    outfile: outFile,
    logLevel: "warning",
  });
  return result.metafile;
}

/** The script that embeds model folder `folder` in a page: tslensLive.addModel({ name, config, …, weightsBase64 }). */
function modelScript(name, folder) {
  const model = { name };
  for (const [key, file] of Object.entries(MODEL_FILES)) {
    const full = path.join(folder, file);
    if (fs.existsSync(full)) model[key] = JSON.parse(fs.readFileSync(full, "utf8"));
  }
  if (!model.config) throw new Error(`${folder} has no config.json`);
  const weights = path.join(folder, "model.safetensors");
  if (!fs.existsSync(weights)) throw new Error(`${folder} has no model.safetensors (a sharded model cannot be embedded)`);
  model.weightsBase64 = fs.readFileSync(weights).toString("base64");
  return `tslensLive.addModel(${JSON.stringify(model)});\n`;
}

/** Bytes and gzipped bytes of `text`. */
function sizeOf(text) {
  return { bytes: Buffer.byteLength(text), gzipped: zlib.gzipSync(text, { level: 9 }).byteLength };
}

/**
 * Builds the bundle and the model scripts into `outDir`; returns their paths, the module graph and the sizes.
 * `models` are names under models/ (or folders).
 */
async function buildLive({ outDir = path.join(REPO_ROOT, "dist", "live"), models = DEFAULT_MODELS } = {}) {
  fs.mkdirSync(path.join(outDir, "models"), { recursive: true });
  const bundle = path.join(outDir, "tslens-live.js");
  const metafile = await buildBundleAsync(bundle);
  fs.writeFileSync(path.join(outDir, "meta.json"), JSON.stringify(metafile));
  const sizes = { bundle: sizeOf(fs.readFileSync(bundle, "utf8")), models: {} };
  const modelFiles = {};
  for (const model of models) {
    const folder = fs.existsSync(model) ? path.resolve(model) : path.join(REPO_ROOT, "models", model);
    const name = path.basename(folder);
    const script = modelScript(name, folder);
    modelFiles[name] = path.join(outDir, "models", `${name}.js`);
    fs.writeFileSync(modelFiles[name], script);
    sizes.models[name] = sizeOf(script);
  }
  return { bundle, models: modelFiles, metafile, sizes };
}

/** "1.23 MB (0.45 MB gzipped)". */
function describeSize({ bytes, gzipped }) {
  return `${(bytes / 1e6).toFixed(2)} MB (${(gzipped / 1e6).toFixed(2)} MB gzipped)`;
}

async function main(argv) {
  const options = {};
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === "--out") options.outDir = path.resolve(argv[++i]);
    else if (argv[i] === "--models") options.models = argv[++i].split(",").filter(Boolean);
    else throw new Error(`unknown argument ${argv[i]}: node live/build.js [--out DIR] [--models a,b]`);
  }
  const { bundle, models, sizes } = await buildLive(options);
  console.log(`${path.relative(process.cwd(), bundle)}: ${describeSize(sizes.bundle)}`);
  for (const [name, file] of Object.entries(models))
    console.log(`${path.relative(process.cwd(), file)}: ${describeSize(sizes.models[name])}`);
}

module.exports = { buildLive, seamsPlugin, DEFAULT_MODELS, REPO_ROOT };

if (require.main === module) {
  main(process.argv.slice(2)).catch((err) => {
    console.error(`tslens live build: ${err.message}`);
    process.exit(1);
  });
}
