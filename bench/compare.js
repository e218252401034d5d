#!/usr/bin/env node
/**
 * tslens against TransformerLens on the same CPU, the same weights and the same thread count, side by side:
 *
 *   npm run bench -- --compare tl                 # 5 interleaved rounds, everything
 *   npm run bench -- --compare tl --rounds 3 --lengths 128 --skip generate,patching,hf
 *   npm run bench -- --compare tl --ab /tmp/before/dist/src --skip tl,hf,generate,patching   # A/B of an engine change
 *
 * --ab DIR adds a side "tslensBefore" running another build's dist/src (abRatios = this build / that one); --skip
 * drops sides (tl, hf) or measurements (generate, patching); --rounds, --threads, --lengths, --patch-pos (the patching
 * prompt's length, default 4: TransformerLens's loop runs layers × positions forwards); --partial FILE writes the
 * summary so far after every round.
 *
 * Setup: makes .venv-bench with pip (bench/requirements-tl.txt: TransformerLens 3.9, CPU torch 2.13) when it is
 * missing. The model is bench/gpt2Small.js's GPT-2-small-shaped random checkpoint (124M, fp32). Each round starts
 * one process per side (tslens, TransformerLens, Hugging Face's plain forward as the floor), in alternating order so
 * that the busy machine's noise hits both alike; each process loads the model, times every measurement (median of
 * its repeats after two warm-ups) and reports its load time and peak RSS.
 *
 * Checked, and the run fails when not: tslens's and TransformerLens's 1×128 logits agree to 1e-4; the patching grids
 * agree to 1e-4 too. Prints JSON: per side the median over rounds of each measurement, `ratios` (the median over
 * rounds of tslens / TransformerLens, < 1 = tslens faster or smaller) with `ratioSpread` [min, max], Hugging Face's
 * floor, and os.loadavg() before, after and per round. `sgemm1024` (one fp32 1024×1024 product in each library, same
 * threads) calibrates: it shows how fast each library's matrix product is on this CPU, apart from the model code.
 */
"use strict";
const { execFileSync, spawnSync } = require("child_process");
const fs = require("fs");
const os = require("os");
const path = require("path");
const { GPT2_SMALL, writeModel } = require("./gpt2Small");

const ROOT = path.join(__dirname, "..");
const VENV = path.join(ROOT, ".venv-bench");
const PYTHON = path.join(VENV, "bin", "python");
const LOGIT_TOLERANCE = 1e-4;

function arg(name, fallback) {
  const i = process.argv.indexOf(name);
  return i >= 0 ? process.argv[i + 1] : fallback;
}

function median(xs) {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
}

const round3 = (x) => +x.toFixed(3);
const loadavg = () => os.loadavg().map((x) => +x.toFixed(2));

/** Makes .venv-bench with TransformerLens when it does not import yet (pip, from bench/requirements-tl.txt). */
function ensureVenv() {
  const check = () =>
    fs.existsSync(PYTHON) && spawnSync(PYTHON, ["-c", "import transformer_lens, transformers, torch"]).status === 0;
  if (check()) return;
  console.error("bench: making .venv-bench (TransformerLens 3.9, CPU torch 2.13) with pip …");
  if (!fs.existsSync(PYTHON)) execFileSync("python3", ["-m", "venv", VENV], { stdio: "inherit" });
  execFileSync(PYTHON, ["-m", "pip", "install", "-q", "-r", path.join(__dirname, "requirements-tl.txt")], {
    stdio: ["ignore", "inherit", "inherit"],
  });
  if (!check()) throw new Error(".venv-bench was made but does not import transformer_lens, transformers and torch");
}

/** Token ids every side reads: a fixed pseudo-random sequence of nCtx ids. */
function benchTokens(n) {
  let seed = 2024;
  return Array.from({ length: n }, () => (seed = (Math.imul(seed, 48271) + 11) >>> 0) % GPT2_SMALL.vocab_size);
}

/** Runs one side's worker on `jobFile`; returns its JSON (or { error }). */
function runSide(side, jobFile, threads, abDist) {
  const env = {
    ...process.env,
    TF_CPP_MIN_LOG_LEVEL: "2",
    TF_NUM_INTRAOP_THREADS: String(threads),
    TF_NUM_INTEROP_THREADS: "1",
    OMP_NUM_THREADS: String(threads),
    MKL_NUM_THREADS: String(threads),
    TSLENS_BACKEND: process.env.TSLENS_BACKEND || "tensorflow",
  };
  const tslens = side === "tslens" || side === "tslensBefore";
  const [cmd, args] = tslens
    ? [process.execPath, [path.join(__dirname, "tslensWorker.js"), jobFile]]
    : [PYTHON, [path.join(__dirname, "tl_worker.py"), jobFile]];
  if (side === "tslensBefore") env.TSLENS_BENCH_DIST = abDist;
  const res = spawnSync(cmd, args, { env, encoding: "utf8", maxBuffer: 64 * 2 ** 20 });
  if (res.status !== 0) return { error: (res.stderr || "").trim().split("\n").slice(-3).join(" | ") };
  return JSON.parse(res.stdout);
}

/** Float32 max |a − b| of two raw files of the same size. */
function maxAbsDiffFiles(a, b) {
  const x = new Float32Array(fs.readFileSync(a).buffer.slice(0));
  const y = new Float32Array(fs.readFileSync(b).buffer.slice(0));
  if (x.length !== y.length) throw new Error(`logit files differ in size: ${x.length} vs ${y.length}`);
  let max = 0;
  for (let i = 0; i < x.length; i++) max = Math.max(max, Math.abs(x[i] - y[i]));
  return max;
}

async function main() {
  const rounds = Number(arg("--rounds", "5"));
  const threads = Number(arg("--threads", String(os.cpus().length)));
  const lengths = arg("--lengths", "128,1024").split(",").map(Number);
  const skip = new Set(arg("--skip", "").split(",").filter(Boolean));
  const abDist = arg("--ab", undefined);
  const patchPos = Number(arg("--patch-pos", "4"));
  const partialFile = arg("--partial", undefined);
  ensureVenv();
  if (process.argv.includes("--setup-only")) return;
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "tslens-compare-"));
  const report = {
    model: { ...GPT2_SMALL, parameters: "124M", dtype: "float32" },
    machine: { cpus: os.cpus().length, cpuModel: os.cpus()[0]?.model, node: process.version, loadavgStart: loadavg() },
    threads,
    rounds,
  };
  try {
    writeModel(dir);
    const tokens = benchTokens(GPT2_SMALL.n_positions);
    const job = {
      folder: dir,
      tokens,
      vocab: GPT2_SMALL.vocab_size,
      threads,
      interopThreads: 1,
      lengths,
      repeats: { 128: 5, 1024: 2 },
      generate: skip.has("generate") ? null : { prompt: 16, newTokens: 64, repeats: 1 },
      patching: skip.has("patching")
        ? null
        : {
            pos: patchPos,
            corruptAt: patchPos >> 1,
            answer: tokens[patchPos - 1],
            wrong: (tokens[patchPos - 1] + 7) % GPT2_SMALL.vocab_size,
          },
    };
    const sides = ["tslens", "tl", "tslensBefore", "hf"].filter(
      (side) => !skip.has(side) && (side !== "tslensBefore" || abDist !== undefined),
    );
    const perRound = [];
    const fidelity = {};
    for (let r = 0; r < rounds; r++) {
      const order = r % 2 === 0 ? sides : [sides[1], sides[0], ...sides.slice(2)];
      const results = { loadavg: loadavg() };
      for (const side of order) {
        const jobFile = path.join(dir, `job-${side}.json`);
        const logitsFile = r === 0 && (side === "tslens" || side === "tl") ? path.join(dir, `logits-${side}.f32`) : undefined;
        const thisJob =
          side === "hf" ? { ...job, side, patching: null, generate: null } : { ...job, side, writeLogits: logitsFile };
        fs.writeFileSync(jobFile, JSON.stringify(thisJob));
        results[side] = runSide(side, jobFile, threads, abDist);
        console.error(
          `bench: round ${r + 1}/${rounds} ${side} ${results[side].error ? "failed: " + results[side].error : "done"}`,
        );
      }
      if (r === 0 && results.tl && !results.tslens.error && !results.tl.error) {
        fidelity.maxAbsLogitDiff_1x128 = maxAbsDiffFiles(path.join(dir, "logits-tslens.f32"), path.join(dir, "logits-tl.f32"));
        if (results.tslens.patchGrid && results.tl.patchGrid)
          fidelity.patchGridMaxAbsDiff = Math.max(
            ...results.tslens.patchGrid.map((x, i) => Math.abs(x - results.tl.patchGrid[i])),
          );
        if (results.tslens.generatedTokens) {
          // Greedy tokens: the first step where the two differ (null: all agree). Logits that agree to 1e-5 can still
          // part at a near tie of a random-weight model, after which the continuations differ.
          const [ours, theirs] = [results.tslens.generatedTokens, results.tl.generatedTokens];
          const first = ours.findIndex((t, i) => t !== theirs[i]);
          fidelity.generatedTokensFirstDifference = first < 0 ? null : first;
        }
      }
      for (const side of sides) {
        delete results[side].patchGrid;
        delete results[side].generatedTokens;
      }
      perRound.push(results);
      if (partialFile) {
        // What the rounds so far give, for a run cut short (same shape as the final JSON).
        const partial = { ...report, machine: { ...report.machine, loadavgEnd: loadavg() }, fidelity, roundsDone: r + 1 };
        summarise(partial, perRound, sides, job);
        fs.writeFileSync(partialFile, JSON.stringify({ ...partial, rounds: perRound }, null, 2));
      }
    }
    report.machine.loadavgEnd = loadavg();
    report.fidelity = fidelity;
    summarise(report, perRound, sides, job);
    report.rounds = perRound;
    console.log(JSON.stringify(report, null, 2));
    const failures = [];
    if (sides.includes("tl") && !(fidelity.maxAbsLogitDiff_1x128 <= LOGIT_TOLERANCE))
      failures.push(`1×128 logits differ from TransformerLens's by ${fidelity.maxAbsLogitDiff_1x128} (> ${LOGIT_TOLERANCE})`);
    if (fidelity.patchGridMaxAbsDiff !== undefined && !(fidelity.patchGridMaxAbsDiff <= LOGIT_TOLERANCE))
      failures.push(`patching grids differ by ${fidelity.patchGridMaxAbsDiff} (> ${LOGIT_TOLERANCE})`);
    if (failures.length) throw new Error(failures.join("; "));
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

/** Adds per-side medians, tslens / TransformerLens ratios with their spread, and the Hugging Face floor to `report`. */
function summarise(report, perRound, sides, job) {
  const keys = [
    ...job.lengths.flatMap((n) => [`forward_1x${n}`, `forwardWithFullCache_1x${n}`, `runWithCachePatterns_1x${n}`]),
    ...(job.generate ? ["generate64"] : []),
    ...(job.patching ? ["patchResidPre"] : []),
    "sgemm1024",
    "loadMs",
    "peakRssMB",
  ];
  const ok = (side) => perRound.filter((r) => r[side] && !r[side].error);
  report.medians = {};
  for (const side of sides) {
    const rows = ok(side);
    report.medians[side] = Object.fromEntries(
      keys
        .filter((k) => rows.length && rows[0][side][k] !== undefined)
        .map((k) => [k, +median(rows.map((r) => r[side][k])).toFixed(1)]),
    );
  }
  // Per round a / b of each measurement (wall ms, or CPU ms with cpu), then the median and range over rounds.
  const ratioOf = (a, b, cpu = false) => {
    const ratios = {};
    const spread = {};
    const both = perRound.filter((r) => r[a] && r[b] && !r[a].error && !r[b].error);
    const value = (r, side, k) => (cpu ? r[side].cpuMs?.[k] : r[side][k]);
    for (const k of keys) {
      const xs = both
        .filter((r) => value(r, a, k) !== undefined && value(r, b, k) !== undefined)
        .map((r) => value(r, a, k) / value(r, b, k));
      if (!xs.length) continue;
      ratios[k] = round3(median(xs));
      spread[k] = [round3(Math.min(...xs)), round3(Math.max(...xs))];
    }
    return { ratios, spread };
  };
  if (sides.includes("tl")) {
    const tl = ratioOf("tslens", "tl");
    report.ratios = tl.ratios;
    report.ratioSpread = tl.spread;
    // CPU time of each process (all its threads): less moved by other processes on a busy machine than wall time.
    report.cpuRatios = ratioOf("tslens", "tl", true).ratios;
  }
  if (job.generate) {
    const perSecond = (ms) => +((job.generate.newTokens * 1000) / ms).toFixed(1);
    report.generateTokensPerSecond = Object.fromEntries(
      sides.filter((s) => report.medians[s]?.generate64).map((s) => [s, perSecond(report.medians[s].generate64)]),
    );
  }
  if (sides.includes("hf")) {
    const hf = ratioOf("tslens", "hf");
    report.hfFloor = {
      forwardMs: Object.fromEntries(Object.entries(report.medians.hf).filter(([k]) => k.startsWith("forward_"))),
      tslensOverHf: Object.fromEntries(Object.entries(hf.ratios).filter(([k]) => k.startsWith("forward_"))),
      tlOverHf: Object.fromEntries(Object.entries(ratioOf("tl", "hf").ratios).filter(([k]) => k.startsWith("forward_"))),
    };
  }
  if (sides.includes("tslensBefore")) {
    const ab = ratioOf("tslens", "tslensBefore");
    report.abRatios = ab.ratios;
    report.abRatioSpread = ab.spread;
    report.abCpuRatios = ratioOf("tslens", "tslensBefore", true).ratios;
  }
}

module.exports = { main };

if (require.main === module)
  main().catch((err) => {
    console.error(err);
    process.exit(1);
  });
