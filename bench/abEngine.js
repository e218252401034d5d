#!/usr/bin/env node
/**
 * A/B of an engine change in one process: this checkout's dist/src against another build's (e.g. the previous
 * commit's, built into another folder), on bench/gpt2Small.js's model, alternating A and B call by call so that a
 * busy machine's noise hits both alike. Both builds share this checkout's node_modules (one tfjs, one backend).
 *
 *   node bench/abEngine.js --before /tmp/before/dist/src [--lengths 128,1024] [--pairs 8] [--what forward,cache]
 *
 * One way to make the "before" build: `git archive HEAD~1 src tsconfig.json | tar -x -C /tmp/before`, link
 * node_modules there, `npx tsc -p …` with include ["src"]. Prints JSON: per length and measurement the median over
 * pairs of after / before, in wall time and in CPU time (CPU time moves less with other processes' load), with the
 * range, and the largest logit difference between the two builds (they must compute the same function).
 */
"use strict";
const fs = require("fs");
const os = require("os");
const path = require("path");
const { GPT2_SMALL, writeModel } = require("./gpt2Small");

function arg(name, fallback) {
  const i = process.argv.indexOf(name);
  return i >= 0 ? process.argv[i + 1] : fallback;
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const cpuMs = () => {
  const { user, system } = process.cpuUsage();
  return (user + system) / 1000;
};

/** Wall and CPU ms of one call. */
function measure(fn) {
  const [wall, cpu] = [performance.now(), cpuMs()];
  fn();
  return { wall: performance.now() - wall, cpu: cpuMs() - cpu };
}

async function main() {
  const before = arg("--before");
  if (!before) throw new Error("--before DIR (another build's dist/src) is required");
  const lengths = arg("--lengths", "128,1024").split(",").map(Number);
  const pairs = Number(arg("--pairs", "8"));
  const what = arg("--what", "forward,cache").split(",");
  const after = require(path.join(__dirname, "..", "dist", "src"));
  const old = require(path.resolve(before));
  const { tf } = after;
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "tslens-ab-"));
  try {
    writeModel(dir);
    const models = { after: await after.loadModel(dir), before: await old.loadModel(dir) };
    const report = { backend: after.backend(), loadavgStart: os.loadavg().map((x) => +x.toFixed(2)), results: {} };
    for (const n of lengths) {
      const tokens = tf.tidy(() => tf.randomUniform([1, n], 0, GPT2_SMALL.vocab_size, "int32")); // [1, n]
      const calls = {
        forward: (m) => () => {
          const logits = m.forward(tokens);
          logits.dataSync();
          logits.dispose();
        },
        cache: (m) => () => {
          const { logits, cache } = m.runWithCache(tokens);
          logits.dataSync();
          logits.dispose();
          cache.dispose();
        },
      };
      const diff = tf.tidy(() => models.after.forward(tokens).sub(models.before.forward(tokens)).abs().max().dataSync()[0]);
      report.results[`1x${n}`] = { maxAbsLogitDiff: diff };
      for (const kind of what) {
        const fns = { after: calls[kind](models.after), before: calls[kind](models.before) };
        fns.after(); // warm-ups
        fns.before();
        fns.after();
        fns.before();
        const wall = [];
        const cpu = [];
        for (let i = 0; i < pairs; i++) {
          // Alternate which goes first, so that neither always runs right after the other.
          const order = i % 2 ? ["before", "after"] : ["after", "before"];
          const t = {};
          for (const side of order) t[side] = measure(fns[side]);
          wall.push(t.after.wall / t.before.wall);
          cpu.push(t.after.cpu / t.before.cpu);
        }
        const r3 = (x) => +x.toFixed(3);
        report.results[`1x${n}`][kind] = {
          wallRatio: r3(median(wall)),
          wallRange: [r3(Math.min(...wall)), r3(Math.max(...wall))],
          cpuRatio: r3(median(cpu)),
          cpuRange: [r3(Math.min(...cpu)), r3(Math.max(...cpu))],
        };
      }
      tokens.dispose();
    }
    report.loadavgEnd = os.loadavg().map((x) => +x.toFixed(2));
    console.log(JSON.stringify(report, null, 2));
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
