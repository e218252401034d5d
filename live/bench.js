#!/usr/bin/env node
/**
 * Times tslens live in headless chromium (Debian's /usr/bin/chromium, or $TSLENS_CHROMIUM): builds the bundle with
 * attn-only-2l embedded into one HTML page, opens it in RUNS fresh tabs (network blocked) and prints the median of
 * each stage: scripts parsed (after navigation), backend ready, model loaded, first and second induction scores
 * (repeatedSequenceScores on a 16-token prompt, repeated).
 *
 *   node live/bench.js [RUNS=5]
 */
"use strict";
const fs = require("fs");
const os = require("os");
const path = require("path");
const { buildLive, REPO_ROOT } = require("./build");

const PROMPT = "The cat sat on the mat. The dog ran to the park.";

/** The page: the bundle, the model, and a script that records when each stage ended. */
function benchPage(bundle, model) {
  const run = `window.timings = (async () => {
    const L = window.tslensLive, t = { scripts: performance.now() };
    await L.initBackend(); t.backend = performance.now();
    const model = await L.loadModel("attn-only-2l"); t.loaded = performance.now();
    L.tf.dispose(L.repeatedSequenceScores(model, { prompt: ${JSON.stringify(PROMPT)} }).patterns); t.first = performance.now();
    L.tf.dispose(L.repeatedSequenceScores(model, { prompt: ${JSON.stringify(PROMPT)} }).patterns); t.second = performance.now();
    return t;
  })();`;
  const safe = (text) => text.replace(/<\/script/gi, "<\\/script");
  return `<!doctype html><meta charset="utf-8"><script>${safe(bundle)}</script><script>${safe(model)}</script><script>${run}</script>`;
}

/** The median of `values`. */
function median(values) {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
}

async function main(runs) {
  const { chromium } = require(path.join(REPO_ROOT, "node_modules", "playwright-core"));
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "tslens-live-bench-"));
  try {
    const built = await buildLive({ outDir: dir, models: ["attn-only-2l"] });
    const page = path.join(dir, "bench.html");
    const html = benchPage(fs.readFileSync(built.bundle, "utf8"), fs.readFileSync(built.models["attn-only-2l"], "utf8"));
    fs.writeFileSync(page, html);
    console.log(`page: ${(Buffer.byteLength(html) / 1e6).toFixed(2)} MB`);
    const browser = await chromium.launch({
      executablePath: process.env.TSLENS_CHROMIUM || "/usr/bin/chromium",
      args: ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking"],
    });
    const samples = [];
    try {
      const context = await browser.newContext();
      await context.route(
        (url) => url.protocol !== "file:",
        (route) => route.abort(),
      );
      for (let i = 0; i < runs; i++) {
        const tab = await context.newPage();
        await tab.goto(`file://${page}`);
        samples.push(await tab.evaluate("window.timings"));
        await tab.close();
      }
    } finally {
      await browser.close();
    }
    const stage = (from, to) => median(samples.map((t) => t[to] - (from ? t[from] : 0))).toFixed(0);
    console.log(
      `median of ${runs} fresh tabs (ms): scripts parsed ${stage(null, "scripts")} after navigation; then backend ready +${stage("scripts", "backend")}, ` +
        `model loaded +${stage("backend", "loaded")}, first induction scores +${stage("loaded", "first")}, second +${stage("first", "second")}`,
    );
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

main(Number(process.argv[2] ?? 5)).catch((err) => {
  console.error(err);
  process.exit(1);
});
