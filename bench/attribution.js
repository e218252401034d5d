#!/usr/bin/env node
/**
 * Attribution-patching benchmark: one attribution family (one forward + one backward pass on the corrupted input)
 * against the batched activation-patching sweep of the same grid, on the GPT-2-small-shaped model, with the
 * correlation between the two grids.
 *
 *   node bench/attribution.js --pos 16 --corrupt-at 8      (after npm run build)
 *
 * Prints JSON: per family, the cells, both times, their ratio, the Pearson correlation of the grids, and tensors alive.
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

/** Pearson correlation of two tensors' values. */
function correlation(tf, a, b) {
  return tf.tidy(() => {
    const x = a.flatten().sub(a.mean());
    const y = b.flatten().sub(b.mean());
    return x.mul(y).sum().div(x.square().sum().sqrt().mul(y.square().sum().sqrt())).dataSync()[0];
  });
}

async function main() {
  const lens = require(path.join(__dirname, "..", "dist", "src"));
  const { tf } = lens;
  const pos = arg("--pos", 16);
  const corruptAt = arg("--corrupt-at", Math.floor(pos / 2));
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "tslens-bench-"));
  try {
    writeModel(dir);
    const model = await lens.loadModel(dir);
    let seed = 7;
    const id = () => (seed = (Math.imul(seed, 48271) + 11) >>> 0) % GPT2_SMALL.vocab_size;
    const clean = [Array.from({ length: pos }, id)];
    const corrupted = clean.map((row) => row.map((t, i) => (i === corruptAt ? (t + 1) % GPT2_SMALL.vocab_size : t)));
    const [answer, wrong] = [clean[0][pos - 1], corrupted[0][pos - 1] + 1];
    const metric = (logits) =>
      tf.tidy(() =>
        logits
          .slice([0, pos - 1, answer], [1, 1, 1])
          .sub(logits.slice([0, pos - 1, wrong], [1, 1, 1]))
          .reshape([]),
      );
    const { cache } = model.runWithCache(clean, { returnType: "none" });
    const base = tf.tidy(() => metric(model.forward(corrupted)));
    const report = {
      model: { ...GPT2_SMALL, parameters: "124M" },
      backend: lens.backend(),
      input: { pos, corruptAt },
      families: {},
    };
    const families = [
      ["ResidPre", lens.attrPatchResidPre, lens.getActPatchResidPre],
      ["AttnHeadOutAllPos", lens.attrPatchAttnHeadOutAllPos, lens.getActPatchAttnHeadOutAllPos],
      ["AttnHeadOutByPos", lens.attrPatchAttnHeadOutByPos, lens.getActPatchAttnHeadOutByPos],
    ];
    (await lens.attrPatchResidPre(model, corrupted, cache, metric)).dispose(); // warm-up
    for (const [name, attr, act] of families) {
      let start = performance.now();
      const estimate = await attr(model, corrupted, cache, metric);
      const attrMs = performance.now() - start;
      start = performance.now();
      const patched = await act(model, corrupted, cache, metric, { progress: false, metricPositions: [-1] });
      const actMs = performance.now() - start;
      const change = patched.sub(base);
      report.families[name] = {
        cells: estimate.size,
        attributionMs: Math.round(attrMs),
        activationPatchingMs: Math.round(actMs),
        activationOverAttribution: +(actMs / attrMs).toFixed(1),
        correlation: +correlation(tf, estimate, change).toFixed(3),
      };
      tf.dispose([estimate, patched, change]);
      report.families[name].numTensorsAfter = tf.memory().numTensors;
    }
    base.dispose();
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
