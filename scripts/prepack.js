#!/usr/bin/env node
/**
 * Runs before `npm pack` / `npm publish`: builds dist/ with tsc and checks that the prebuilt parts the package
 * ships are present — the views' JupyterLab extension (widgets/labextension), the export's widget bundle
 * (widgets/embed) and the embedded models. Those are built by `npm run setup` (the extension needs .venv's
 * JupyterLab), so this only checks them and stops with a message saying what is missing.
 */
"use strict";
const { spawnSync } = require("child_process");
const fs = require("fs");
const path = require("path");

const ROOT = path.resolve(__dirname, "..");
const rel = (p) => path.relative(ROOT, p);

/** Files the package must hold, with what builds each. */
function requiredFiles() {
  const lab = path.join(ROOT, "widgets", "labextension");
  const manifest = path.join(lab, "package.json");
  const required = [
    [manifest, "npm run setup (builds the views' JupyterLab extension)"],
    [path.join(ROOT, "widgets", "embed", "tslens-embed.js"), "npm run setup (builds the export's widget bundle)"],
    [path.join(ROOT, "widgets", "embed", "tslens-embed.css"), "npm run setup (builds the export's widget bundle)"],
    [path.join(ROOT, "dist", "live", "tslens-live.js"), "npm run build:live (the engine of `tslens export --live`)"],
  ];
  if (fs.existsSync(manifest)) {
    const load = JSON.parse(fs.readFileSync(manifest, "utf8")).jupyterlab?._build?.load;
    required.push([path.join(lab, load ?? "static/remoteEntry.js"), "npm run setup (the extension's build is incomplete)"]);
  }
  for (const folder of shippedFolders(path.join(ROOT, "models"))) {
    const files = fs.existsSync(path.join(folder, "cfg.json"))
      ? ["cfg.json", "sae_weights.safetensors"]
      : ["config.json", "model.safetensors", "tokenizer.json"];
    for (const file of files) required.push([path.join(folder, file), "git (the embedded models and SAEs are committed)"]);
  }
  return required;
}

/** Folders under `dir` that hold a model (config.json) or an SAE (cfg.json); folders of folders are walked. */
function shippedFolders(dir) {
  const found = [];
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    if (!entry.isDirectory()) continue;
    const full = path.join(dir, entry.name);
    const own = ["config.json", "cfg.json", "model.safetensors", "sae_weights.safetensors"];
    if (own.some((f) => fs.existsSync(path.join(full, f)))) found.push(full);
    else found.push(...shippedFolders(full));
  }
  return found;
}

/** The newest modification time under `dir` (files only). */
function newest(dir) {
  let latest = 0;
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    latest = Math.max(latest, entry.isDirectory() ? newest(full) : fs.statSync(full).mtimeMs);
  }
  return latest;
}

function main() {
  console.error("[tslens prepack] building dist/ (tsc -p tsconfig.json)");
  const tsc = spawnSync(process.execPath, [require.resolve("typescript/bin/tsc"), "-p", "tsconfig.json"], {
    cwd: ROOT,
    stdio: "inherit",
  });
  if (tsc.status !== 0) {
    console.error("[tslens prepack] the TypeScript build failed (errors above): no package made");
    process.exit(1);
  }
  const missing = requiredFiles().filter(([file]) => !fs.existsSync(file));
  if (missing.length > 0) {
    for (const [file, how] of missing) console.error(`[tslens prepack] missing ${rel(file)}: ${how}`);
    console.error("[tslens prepack] the package would lack prebuilt parts users need: no package made");
    process.exit(1);
  }
  const lab = path.join(ROOT, "widgets", "labextension", "package.json");
  // The extension is built from widgets/src, the common layer and the view specs (src/views/<view>/spec.ts).
  const sources = ["widgets/src", "src/common", "src/views"].map((dir) => path.join(ROOT, dir));
  if (Math.max(...sources.map(newest)) > fs.statSync(lab).mtimeMs)
    console.error(`[tslens prepack] note: the views' sources changed after ${rel(lab)} was built; "npm run setup" rebuilds it`);
}

main();
