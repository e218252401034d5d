#!/usr/bin/env node
/**
 * Engine benchmark: a GPT-2-small-shaped model (124M parameters, random weights
 * written locally as a Hugging Face GPT-2 folder) on each available backend, one
 * child process per backend, side by side in one run.
 *
 *   npm run bench                       # tensorflow and wasm
 *   npm run bench -- --backends tensorflow,wasm,cpu --lengths 128
 *   npm run bench -- --load             # load memory instead (bench/loadMemory.js)
 *   npm run bench -- --compare tl       # against TransformerLens, side by side (bench/compare.js)
 *
 * Prints JSON: per backend, load time and peak RSS, and median times of
 * forward and forward + full cache at 1×128 and 1×1024 tokens.
 */
"use strict";
const { execFileSync } = require("child_process");
const fs = require("fs");
const os = require("os");
const path = require("path");

const { GPT2_SMALL, writeModel } = require("./gpt2Small");

function arg(name, fallback) {
  const i = process.argv.indexOf(name);
  return i >= 0 ? process.argv[i + 1] : fallback;
}

function median(xs) {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

/** Child: measures one backend. */
async function child(folder, lengths) {
  const lens = require(path.join(__dirname, "..", "dist", "src"));
  const { tf } = lens;
  const t0 = performance.now();
  const model = await lens.loadModel(folder);
  const loadMs = performance.now() - t0;
  const result = {
    backend: lens.backend(),
    loadMs: Math.round(loadMs),
    peakRssMBAfterLoad: Math.round(process.resourceUsage().maxRSS / 1024),
    runs: {},
  };
  for (const n of lengths) {
    const tokens = tf.tidy(() => tf.randomUniform([1, n], 0, GPT2_SMALL.vocab_size, "int32"));
    const repeats = n >= 1024 ? 2 : 4;
    const time = (fn) => {
      fn(); // warm-up (twice: native TensorFlow specialises kernels on the first runs)
      fn();
      const ms = [];
      for (let i = 0; i < repeats; i++) {
        const start = performance.now();
        fn();
        ms.push(performance.now() - start);
      }
      return Math.round(median(ms));
    };
    const forwardMs = time(() => {
      const logits = model.forward(tokens);
      logits.dataSync();
      logits.dispose();
    });
    const cacheMs = time(() => {
      const { logits, cache } = model.runWithCache(tokens);
      logits.dataSync();
      logits.dispose();
      cache.dispose();
    });
    tokens.dispose();
    result.runs[`1x${n}`] = { forwardMs, forwardWithFullCacheMs: cacheMs };
  }
  result.peakRssMB = Math.round(process.resourceUsage().maxRSS / 1024);
  result.numTensorsAtEnd = tf.memory().numTensors;
  model.dispose();
  process.stdout.write(JSON.stringify(result));
}

async function main() {
  if (process.argv[2] === "--child") return child(process.argv[3], process.argv[4].split(",").map(Number));
  if (process.argv.includes("--load")) return require("./loadMemory").main();
  if (arg("--compare") === "tl") return require("./compare").main();
  if (arg("--compare") !== undefined) throw new Error(`--compare takes "tl" (TransformerLens), got ${arg("--compare")}`);
  const backends = arg("--backends", "tensorflow,wasm").split(",");
  const lengths = arg("--lengths", "128,1024");
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "tslens-bench-"));
  try {
    const t0 = performance.now();
    writeModel(dir);
    const report = {
      model: {
        ...GPT2_SMALL,
        parameters: "124M",
        fileMB: Math.round(fs.statSync(path.join(dir, "model.safetensors")).size / 2 ** 20),
      },
      machine: { cpus: os.cpus().length, node: process.version },
      writeModelMs: Math.round(performance.now() - t0),
      backends: {},
    };
    for (const backend of backends) {
      try {
        const out = execFileSync(process.execPath, [__filename, "--child", dir, lengths], {
          env: { ...process.env, TSLENS_BACKEND: backend, TF_CPP_MIN_LOG_LEVEL: "2" },
          encoding: "utf8",
          stdio: ["ignore", "pipe", "ignore"],
          maxBuffer: 16 * 2 ** 20,
        });
        report.backends[backend] = JSON.parse(out);
      } catch (err) {
        report.backends[backend] = { error: String(err.message).split("\n")[0] };
      }
    }
    const tfRuns = report.backends.tensorflow?.runs;
    const wasmRuns = report.backends.wasm?.runs;
    if (tfRuns && wasmRuns) {
      report.wasmOverTensorflow = Object.fromEntries(
        Object.keys(tfRuns)
          .filter((k) => wasmRuns[k])
          .map((k) => [k, +(wasmRuns[k].forwardMs / tfRuns[k].forwardMs).toFixed(2)]),
      );
    }
    console.log(JSON.stringify(report, null, 2));
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
