#!/usr/bin/env node
/**
 * The README's bench table from the JSON of `npm run bench -- --compare tl`:
 *
 *   npm run bench -- --compare tl > /tmp/bench.json && node bench/table.js /tmp/bench.json
 *
 * Prints a Markdown table: per measurement tslens's and TransformerLens's medians over the rounds, the ratio (median
 * over rounds of tslens / TransformerLens, with its range), the CPU-time ratio, and Hugging Face's plain forward.
 */
"use strict";
const fs = require("fs");

const ROWS = [
  ["forward_1x128", "1×128 forward"],
  ["forwardWithFullCache_1x128", "1×128 forward + full cache"],
  ["runWithCachePatterns_1x128", "1×128 runWithCache, patterns only"],
  ["forward_1x1024", "1×1024 forward"],
  ["forwardWithFullCache_1x1024", "1×1024 forward + full cache"],
  ["runWithCachePatterns_1x1024", "1×1024 runWithCache, patterns only"],
  ["generate64", "generate 64 tokens (KV cache)"],
  ["patchResidPre", "patching sweep, resid_pre (batched vs TL's loop)"],
  ["sgemm1024", "calibration: one fp32 1024×1024 matmul (the library alone)"],
  ["loadMs", "load"],
  ["peakRssMB", "peak RSS"],
];

/** "1234 ms", "2.3 s", "4080 MB", or a rate for generation. */
function show(key, value) {
  if (value === undefined) return "–";
  if (key === "peakRssMB") return `${(value / 1024).toFixed(2)} GB`;
  if (key === "generate64") {
    const perSecond = (64000 / value).toFixed(1);
    return `${Math.round(value)} ms (${perSecond} tok/s)`;
  }
  return value >= 10000 ? `${(value / 1000).toFixed(1)} s` : `${Math.round(value)} ms`;
}

function main() {
  const report = JSON.parse(fs.readFileSync(process.argv[2] || 0, "utf8"));
  const { tslens = {}, tl = {} } = report.medians || {};
  const hf = report.hfFloor?.forwardMs || {};
  const lines = [
    "| | tslens | TransformerLens | tslens / TL (range) | CPU time tslens / TL | HF plain forward |",
    "|---|---|---|---|---|---|",
  ];
  for (const [key, label] of ROWS) {
    if (tslens[key] === undefined && tl[key] === undefined) continue;
    const ratio = report.ratios?.[key];
    const range = report.ratioSpread?.[key];
    const ratioText = ratio === undefined ? "–" : `${ratio.toFixed(2)} (${range[0].toFixed(2)}–${range[1].toFixed(2)})`;
    const cpu = report.cpuRatios?.[key];
    lines.push(
      `| ${label} | ${show(key, tslens[key])} | ${show(key, tl[key])} | ${ratioText} | ` +
        `${cpu === undefined ? "–" : cpu.toFixed(2)} | ${hf[key] === undefined ? "–" : show(key, hf[key])} |`,
    );
  }
  const avg = (l) => (l ? l.join(", ") : "?");
  lines.push(
    "",
    `Interleaved rounds: ${report.rounds?.length ?? report.rounds}; ${report.threads} threads each; load average ` +
      `${avg(report.machine?.loadavgStart)} at the start, ${avg(report.machine?.loadavgEnd)} at the end.`,
  );
  console.log(lines.join("\n"));
}

main();
