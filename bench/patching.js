#!/usr/bin/env node
/**
 * Activation-patching benchmark: batched sweeps against the one-forward-per-index loop
 * (TransformerLens's way), side by side in one process, on the GPT-2-small-shaped model.
 *
 *   npm run bench:patching                 (after npm run build)
 *   node bench/patching.js --pos 16 --batch 1 --corrupt-at 8
 *
 * The corrupted prompt is the clean one with one token changed, at --corrupt-at (default: the middle,
 * as in minimal pairs such as IOI's). Batched runs skip the shared prefix before it, where patching
 * changes nothing; --corrupt-at 1 (right after a shared first token) is the case with least to skip.
 *
 * Prints JSON: per sweep, the number of patched runs, loop and batched times, their ratio, the
 * largest difference between the grids, and tensors alive after each sweep; batched twice, with
 * every position's logits (the default) and with metricPositions [-1] (the metric's only position).
 */
"use strict";
const fs = require("fs");
const os = require("os");
const path = require("path");
const { GPT2_SMALL, writeModel } = require("./gpt2Small");

function arg(name, fallback) {
  const i = process.argv.indexOf(name);
  return i >= 0 ? Number(process.argv[i + 1]) : fallback;
}

async function main() {
  const lens = require(path.join(__dirname, "..", "dist", "src"));
  const { tf } = lens;
  const pos = arg("--pos", 16);
  const batch = arg("--batch", 1);
  const corruptAt = arg("--corrupt-at", Math.floor(pos / 2));
  if (!Number.isInteger(corruptAt) || corruptAt < 0 || corruptAt >= pos) throw new Error(`--corrupt-at must be in 0…${pos - 1}`);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "tslens-bench-"));
  try {
    writeModel(dir);
    const model = await lens.loadModel(dir);
    let seed = 7;
    const id = () => (seed = (Math.imul(seed, 48271) + 11) >>> 0) % GPT2_SMALL.vocab_size;
    const clean = Array.from({ length: batch }, () => Array.from({ length: pos }, id));
    const corrupted = clean.map((row) => row.map((t, i) => (i === corruptAt ? (t + 1) % GPT2_SMALL.vocab_size : t)));
    const [answer, wrong] = [clean[0][pos - 1], corrupted[0][pos - 1] + 1];
    const metric = (logits) =>
      tf.tidy(() => {
        const last = logits.slice([0, pos - 1, 0], [-1, 1, -1]);
        return last
          .slice([0, 0, answer], [-1, 1, 1])
          .sub(last.slice([0, 0, wrong], [-1, 1, 1]))
          .mean();
      });
    const { cache } = model.runWithCache(clean, { returnType: "none" });
    const report = {
      model: { ...GPT2_SMALL, parameters: "124M" },
      backend: lens.backend(),
      input: { batch, pos, corruptAt },
      machine: { cpus: os.cpus().length, node: process.version },
      sweeps: {},
    };
    const sweeps = [
      ["getActPatchResidPre", lens.getActPatchResidPre],
      ["getActPatchAttnHeadOutAllPos", lens.getActPatchAttnHeadOutAllPos],
      ["getActPatchAttnOut", lens.getActPatchAttnOut],
    ];
    // Warm-up: native TensorFlow specialises kernels on the first runs of each shape.
    (await lens.getActPatchAttnHeadOutAllPos(model, corrupted, cache, metric, { progress: false })).dispose();
    (await lens.getActPatchAttnHeadOutAllPos(model, corrupted, cache, metric, { mode: "loop", progress: false })).dispose();
    for (const [name, fn] of sweeps) {
      const time = async (options) => {
        const start = performance.now();
        const grid = await fn(model, corrupted, cache, metric, { ...options, progress: false });
        return { grid, ms: performance.now() - start };
      };
      const loop = await time({ mode: "loop" });
      const batched = await time({ mode: "batched" });
      // The metric reads only the last position: with metricPositions, only those logits are computed.
      const lastOnly = await time({ mode: "batched", metricPositions: [-1] });
      const diff = (grid) => tf.tidy(() => loop.grid.sub(grid).abs().max().dataSync()[0]);
      report.sweeps[name] = {
        runs: loop.grid.size,
        loopMs: Math.round(loop.ms),
        batchedMs: Math.round(batched.ms),
        loopOverBatched: +(loop.ms / batched.ms).toFixed(2),
        maxAbsDiff: diff(batched.grid),
        batchedLastPositionMs: Math.round(lastOnly.ms),
        loopOverBatchedLastPosition: +(loop.ms / lastOnly.ms).toFixed(2),
        maxAbsDiffLastPosition: diff(lastOnly.grid),
      };
      tf.dispose([loop.grid, batched.grid, lastOnly.grid]);
      report.sweeps[name].numTensorsAfter = tf.memory().numTensors;
    }
    report.peakRssMB = Math.round(process.resourceUsage().maxRSS / 1024);
    cache.dispose();
    model.dispose();
    console.log(JSON.stringify(report, null, 2));
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
