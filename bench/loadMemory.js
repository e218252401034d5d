#!/usr/bin/env node
/**
 * Load-memory benchmark: writes random checkpoints into a temp folder (GPT-2 small as fp32, a Llama-3.2-1B-shaped
 * model as sharded BF16), then in a fresh child process per model measures the load time, the peak RSS while
 * loading (default weight processing), and the peak RSS over a 1×128 forward. The checkpoints are deleted after.
 *
 *   npm run bench -- --load                     # both models
 *   npm run bench -- --load --models gpt2       # GPT-2 small only (the Llama-shaped one needs ≈8 GB and ≈2.5 GB disk)
 *   node bench/loadMemory.js --dir /big/tmp     # where to write the checkpoints
 *
 * Prints JSON per model: baseline RSS (node + tfjs, before loading), peak RSS, fp32 weight bytes and their ratio.
 */
"use strict";
const { execFileSync } = require("child_process");
const fs = require("fs");
const os = require("os");
const path = require("path");

const { GPT2_SMALL, writeModel } = require("./gpt2Small");
const { writeLlamaModel } = require("./llamaShaped");

const MB = 2 ** 20;

function arg(name, fallback) {
  const i = process.argv.indexOf(name);
  return i >= 0 ? process.argv[i + 1] : fallback;
}

/** Peak resident set size of this process so far, in bytes. */
const peakRss = () => process.resourceUsage().maxRSS * 1024;

/** Child: loads `folder`, runs one 1×128 forward, prints the measurements. */
async function child(folder, fp32WeightBytes) {
  const lens = require(path.join(__dirname, "..", "dist", "src"));
  const { tf } = lens;
  await lens.initBackend();
  tf.tidy(() =>
    tf
      .ones([8, 8])
      .matMul(tf.ones([8, 8]))
      .dataSync(),
  ); // native kernels loaded
  const baselineRss = process.memoryUsage().rss;
  const t0 = performance.now();
  const model = await lens.loadModel(folder);
  const loadMs = performance.now() - t0;
  const peakLoad = peakRss();
  const rssAfterLoad = process.memoryUsage().rss;
  const tokens = tf.tidy(() => tf.randomUniform([1, 128], 0, model.cfg.dVocab, "int32"));
  const f0 = performance.now();
  const logits = model.forward(tokens);
  logits.dataSync();
  const forwardMs = performance.now() - f0;
  tf.dispose([logits, tokens]);
  const peakForward = peakRss();
  const round = (bytes) => Math.round(bytes / MB);
  const ratio = (bytes) => +(bytes / fp32WeightBytes).toFixed(3);
  const result = {
    backend: lens.backend(),
    fp32WeightMB: round(fp32WeightBytes),
    parameterMB: round(tf.memory().numBytes),
    baselineRssMB: round(baselineRss),
    loadMs: Math.round(loadMs),
    peakRssLoadMB: round(peakLoad),
    rssAfterLoadMB: round(rssAfterLoad),
    forward1x128Ms: Math.round(forwardMs),
    peakRssForwardMB: round(peakForward),
    peakRssLoadOverWeights: ratio(peakLoad),
    peakRssLoadAboveBaselineOverWeights: ratio(peakLoad - baselineRss),
    peakRssForwardOverWeights: ratio(peakForward),
  };
  model.dispose();
  process.stdout.write(JSON.stringify(result));
}

/** Runs the child for one model folder; returns its JSON (or the error's first line). */
function measure(folder, fp32WeightBytes) {
  try {
    const out = execFileSync(process.execPath, [__filename, "--child", folder, String(fp32WeightBytes)], {
      env: { ...process.env, TF_CPP_MIN_LOG_LEVEL: "2" },
      encoding: "utf8",
      stdio: ["ignore", "pipe", "inherit"],
    });
    return JSON.parse(out);
  } catch (err) {
    return { error: String(err.message).split("\n")[0] };
  }
}

/** Sum of fp32 bytes of every tensor of a GPT-2-small checkpoint (the tied unembedding is not stored). */
function gpt2WeightBytes() {
  const { n_layer: L, n_embd: d, n_positions: n, vocab_size: v } = GPT2_SMALL;
  const perLayer = 4 * d + (3 * d * d + 3 * d) + (d * d + d) + (4 * d * d + 4 * d) + (4 * d * d + d);
  return 4 * (v * d + n * d + L * perLayer + 2 * d);
}

async function main() {
  if (process.argv[2] === "--child") return child(process.argv[3], Number(process.argv[4]));
  const models = arg("--models", "gpt2,llama").split(",");
  const root = fs.mkdtempSync(path.join(arg("--dir", os.tmpdir()), "tslens-bench-load-"));
  const report = { machine: { cpus: os.cpus().length, memMB: Math.round(os.totalmem() / MB), node: process.version } };
  try {
    for (const name of models) {
      const dir = path.join(root, name);
      fs.mkdirSync(dir);
      const t0 = performance.now();
      let fp32WeightBytes;
      if (name === "gpt2") {
        writeModel(dir);
        fp32WeightBytes = gpt2WeightBytes();
      } else if (name === "llama") {
        fp32WeightBytes = writeLlamaModel(dir);
      } else {
        throw new Error(`unknown model ${JSON.stringify(name)} (gpt2 or llama)`);
      }
      const diskMB = Math.round(fs.readdirSync(dir).reduce((sum, f) => sum + fs.statSync(path.join(dir, f)).size, 0) / MB);
      const writeMs = Math.round(performance.now() - t0);
      report[name] = { diskMB, writeMs, ...measure(dir, fp32WeightBytes) };
      fs.rmSync(dir, { recursive: true, force: true });
    }
  } finally {
    fs.rmSync(root, { recursive: true, force: true });
  }
  console.log(JSON.stringify(report, null, 2));
}

module.exports = { main };

if (require.main === module) {
  main().catch((err) => {
    console.error(err);
    process.exit(1);
  });
}
