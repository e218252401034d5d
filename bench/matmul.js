#!/usr/bin/env node
/**
 * fp32 matMul throughput on each tfjs backend, one fresh process per backend (the choice is once per process).
 *   node bench/matmul.js [size=1024] [backends=tensorflow,wasm,cpu]     (needs `npx tsc -p .` first)
 * Prints GFLOP/s (2·n³ / best time) per backend and each one's ratio to the fastest.
 */
const { spawnSync } = require("child_process");
const path = require("path");
const { performance } = require("perf_hooks");

const [, , size = "1024", list = "tensorflow,wasm,cpu", child] = process.argv;
const n = Number(size);

async function measure(name) {
  process.env.TSLENS_BACKEND = name;
  const { tf, initBackend } = require(path.join(__dirname, "..", "dist", "src", "tensor"));
  await initBackend();
  const a = tf.randomNormal([n, n], 0, 1, "float32", 1);
  const b = tf.randomNormal([n, n], 0, 1, "float32", 2);
  // (Not tf.tidy(() => ….dataSync()): tidy walks every element of a returned typed array looking for tensors.)
  const run = () => {
    const c = tf.matMul(a, b);
    c.dataSync();
    c.dispose();
  };
  run(); // warm-up: kernels, thread pools, allocations
  const times = [];
  const start = performance.now();
  while (times.length < 3 || (performance.now() - start < 3000 && times.length < 50)) {
    const t0 = performance.now();
    run();
    times.push((performance.now() - t0) / 1000);
  }
  const best = Math.min(...times);
  const extra =
    name === "wasm"
      ? {
          threads: await tf.env().getAsync("WASM_HAS_MULTITHREAD_SUPPORT"),
          simd: await tf.env().getAsync("WASM_HAS_SIMD_SUPPORT"),
        }
      : {};
  return { name, runs: times.length, bestMs: best * 1000, gflops: (2 * n ** 3) / best / 1e9, ...extra };
}

if (child) {
  measure(child).then(
    (r) => console.log("RESULT " + JSON.stringify(r)),
    (e) => (console.error(e.message), process.exit(1)),
  );
} else {
  const results = [];
  for (const name of list.split(",")) {
    const out = spawnSync(process.execPath, [path.join(__dirname, "matmul.js"), size, list, name], {
      encoding: "utf8",
      env: { ...process.env, TF_CPP_MIN_LOG_LEVEL: "3" },
    });
    const line = out.stdout.split("\n").find((l) => l.startsWith("RESULT "));
    if (!line) {
      console.log(`${name}: failed: ${out.stderr.trim().split("\n").pop()}`);
      continue;
    }
    results.push(JSON.parse(line.slice(7)));
  }
  const top = Math.max(...results.map((r) => r.gflops));
  console.log(`fp32 matMul ${n}x${n} @ ${n}x${n}, best of N runs`);
  for (const r of results) {
    const notes = r.name === "wasm" ? ` (SIMD ${r.simd}, threads ${r.threads})` : "";
    console.log(
      `${r.name.padEnd(10)} ${r.gflops.toFixed(2).padStart(8)} GFLOP/s  ${r.bestMs.toFixed(1).padStart(8)} ms  ${(top / r.gflops).toFixed(1).padStart(6)}x slower than best  (${r.runs} runs)${notes}`,
    );
  }
}
