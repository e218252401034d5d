#!/usr/bin/env node
/**
 * The tslens side of `npm run bench -- --compare tl`: one process, one round (bench/compare.js starts it).
 *
 *   node bench/tslensWorker.js JOB.json
 *
 * TSLENS_BENCH_DIST names another build's dist/src to measure instead (compare.js's --ab).
 * JOB.json is the same job bench/tl_worker.py reads: model folder, token ids, repeats, what to measure. Prints one
 * JSON object on stdout with the same keys as the TransformerLens worker (times in ms, median of the repeats after
 * two warm-ups), load time and peak RSS, and writes the 1×128 logits where the job asks, for the fidelity check.
 */
"use strict";
const fs = require("fs");
const path = require("path");

function median(xs) {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

/** CPU ms (user + system, all threads) of this process so far. */
const cpuMs = () => {
  const { user, system } = process.cpuUsage();
  return (user + system) / 1000;
};

/**
 * Median wall ms of `repeats` calls of fn after `warmups` calls (native TensorFlow specialises kernels on the first
 * runs); the median CPU ms of the same calls goes to cpu[key].
 */
function timed(fn, repeats, cpu, key, warmups = 2) {
  for (let i = 0; i < warmups; i++) fn();
  const ms = [];
  const cpus = [];
  for (let i = 0; i < repeats; i++) {
    const [start, startCpu] = [performance.now(), cpuMs()];
    fn();
    ms.push(performance.now() - start);
    cpus.push(cpuMs() - startCpu);
  }
  cpu[key] = +median(cpus).toFixed(1);
  return +median(ms).toFixed(1);
}

async function main() {
  const job = JSON.parse(fs.readFileSync(process.argv[2], "utf8"));
  const dist = process.env.TSLENS_BENCH_DIST || path.join(__dirname, "..", "dist", "src");
  const lens = require(dist);
  const { matMul2d } = require(path.join(dist, "tensor", "matMul2d"));
  const { tf } = lens;
  const start = performance.now();
  const model = await lens.loadModel(job.folder);
  const out = { side: job.side, backend: lens.backend(), loadMs: Math.round(performance.now() - start), cpuMs: {} };
  const time = (key, fn, repeats, warmups) => (out[key] = timed(fn, repeats, out.cpuMs, key, warmups));
  const allTokens = tf.tensor2d([job.tokens], [1, job.tokens.length], "int32"); // [1, 1024]
  if (job.writeLogits) {
    const logits = model.forward(allTokens.slice([0, 0], [1, 128])); // [1, 128, d_vocab]
    fs.writeFileSync(job.writeLogits, Buffer.from(logits.dataSync().buffer));
    logits.dispose();
  }
  // The logits stay in a tensor, as on the TransformerLens side: reading one value of the last position waits for the
  // forward (native TensorFlow runs ops synchronously anyway) without copying 200 MB of logits into JavaScript.
  const settle = (logits) => {
    const [, pos, vocab] = logits.shape;
    tf.tidy(() => logits.slice([0, pos - 1, vocab - 1], [1, 1, 1]).dataSync());
    logits.dispose();
  };
  // Calibration: one fp32 1024×1024 product through the engine's matMul, the library's raw speed on this CPU.
  const [ma, mb] = [tf.randomNormal([1024, 1024], 0, 1, "float32", 1), tf.randomNormal([1024, 1024], 0, 1, "float32", 2)];
  time("sgemm1024", () => matMul2d(ma, mb).dispose(), 10);
  tf.dispose([ma, mb]);
  const isPattern = (name) => name.endsWith("hook_pattern");
  for (const n of job.lengths) {
    const tokens = allTokens.slice([0, 0], [1, n]); // [1, n]
    const reps = job.repeats[String(n)];
    time(`forward_1x${n}`, () => settle(model.forward(tokens)), reps);
    const cached = (options) => () => {
      const { logits, cache } = model.runWithCache(tokens, options);
      settle(logits);
      cache.dispose();
    };
    time(`forwardWithFullCache_1x${n}`, cached({}), reps);
    time(`runWithCachePatterns_1x${n}`, cached({ namesFilter: isPattern }), reps);
    tokens.dispose();
  }
  const gen = job.generate;
  if (gen) {
    const prompt = allTokens.slice([0, 0], [1, gen.prompt]); // [1, prompt]
    const generate = () => model.generate(prompt, { maxNewTokens: gen.newTokens, temperature: 0, stopAtEos: false }); // [1, prompt + new]
    const generated = generate(); // also the warm-up
    out.generatedTokens = generated.arraySync()[0].slice(gen.prompt);
    generated.dispose();
    time("generate64", () => generate().dispose(), gen.repeats, 0);
    prompt.dispose();
  }
  const patch = job.patching;
  if (patch) {
    const clean = [job.tokens.slice(0, patch.pos)];
    const corrupted = clean.map((row) => row.map((t, i) => (i === patch.corruptAt ? (t + 1) % job.vocab : t)));
    const metric = (logits) =>
      tf.tidy(() => {
        const last = logits.slice([0, patch.pos - 1, 0], [-1, 1, -1]); // [b, 1, vocab]
        return last
          .slice([0, 0, patch.answer], [-1, 1, 1])
          .sub(last.slice([0, 0, patch.wrong], [-1, 1, 1]))
          .mean();
      });
    const { cache } = model.runWithCache(clean, { returnType: "none" });
    const t0 = performance.now();
    const grid = await lens.getActPatchResidPre(model, corrupted, cache, metric, { progress: false }); // [layers, pos]
    out.patchResidPre = +(performance.now() - t0).toFixed(1);
    out.patchGrid = Array.from(grid.dataSync());
    grid.dispose();
    cache.dispose();
  }
  allTokens.dispose();
  out.peakRssMB = Math.round(process.resourceUsage().maxRSS / 1024);
  model.dispose();
  out.numTensorsAtEnd = tf.memory().numTensors;
  process.stdout.write(JSON.stringify(out));
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
