/**
 * Patching runs the caller's code (the metric, the progress callback) and must free what that code allocates:
 * the README's own metric is not wrapped in tf.tidy. Also: the `*Every` grids say how their k/v rows index heads
 * under grouped-query attention.
 */
import { strict as assert } from "assert";
import * as path from "path";
import * as lens from "../../src";
import { ActivationCache, HookedTransformer, loadModel, tf } from "../../src";
import { REPO_ROOT } from "../support/paths";

const FIXTURES = path.join(REPO_ROOT, "tests", "fixtures", "models");
const CLEAN = [[1, 5, 7, 9, 11, 13, 20]];
const CORRUPTED = [[1, 5, 8, 9, 11, 13, 20]];

type PatchFn = (typeof lens)["getActPatchResidPre"];

/** The README's metric, as a user writes it: no tf.tidy, so its slice is left for the caller to free. */
const readmeMetric: lens.PatchMetric = (logits) => logits.slice([0, CLEAN[0].length - 1, 3], [-1, 1, 1]).mean();

describe("activation patching frees what the caller's code allocates", function () {
  this.timeout(120_000);
  let model: HookedTransformer;
  let clean: ActivationCache;

  before(async () => {
    model = await loadModel(path.join(FIXTURES, "gpt2-tiny"));
    const run = model.runWithCache(CLEAN);
    run.logits.dispose();
    clean = run.cache;
  });
  after(() => {
    clean?.dispose();
    model?.dispose();
  });

  /**
   * Tensors left after `sweeps` sweeps of `fn` (one warm-up sweep first). The sweeps are deterministic, so a sweep
   * that keeps a tensor keeps one every time: a few sweeps show it as well as fifty.
   */
  async function leftAfter(fn: PatchFn, sweeps: number, options: lens.PatchOptions): Promise<number> {
    (await fn(model, CORRUPTED, clean, readmeMetric, { progress: false, ...options })).dispose();
    const before = tf.memory().numTensors;
    for (let i = 0; i < sweeps; i++) (await fn(model, CORRUPTED, clean, readmeMetric, { progress: false, ...options })).dispose();
    return tf.memory().numTensors - before;
  }

  for (const mode of ["batched", "loop"] as const) {
    for (const [name, fn] of [
      ["resid_pre", lens.getActPatchResidPre],
      ["attn_head_out_all_pos", lens.getActPatchAttnHeadOutAllPos],
    ] as [string, PatchFn][]) {
      it(`${mode} ${name}: the tensor count is flat after 5 sweeps with an untidied metric`, async () => {
        assert.equal(await leftAfter(fn, 5, { mode }), 0);
      });
    }
  }

  it("batched attn_head_pattern_by_pos: the tensor count is flat after 5 sweeps with an untidied metric", async () => {
    assert.equal(await leftAfter(lens.getActPatchAttnHeadPatternByPos, 5, {}), 0);
  });

  // Each *Every call runs 3 or 5 sweeps: 3 calls are 9 to 15 sweeps.
  for (const [name, fn] of [
    ["getActPatchBlockEvery", lens.getActPatchBlockEvery],
    ["getActPatchAttnHeadAllPosEvery", lens.getActPatchAttnHeadAllPosEvery],
    ["getActPatchAttnHeadByPosEvery", lens.getActPatchAttnHeadByPosEvery],
  ] as [string, PatchFn][]) {
    it(`${name}: the tensor count is flat after 3 calls with an untidied metric`, async () => {
      assert.equal(await leftAfter(fn, 3, {}), 0);
    });
  }

  it("metricPositions with an untidied metric leaves nothing behind either", async () => {
    assert.equal(await leftAfter(lens.getActPatchResidPre, 5, { metricPositions: [-1] }), 0);
  });

  it("a metric that throws midway: the sweep fails with its error and leaves no tensors, in both modes", async () => {
    for (const mode of ["batched", "loop"] as const) {
      for (const fn of [lens.getActPatchResidPre, lens.getActPatchAttnHeadAllPosEvery]) {
        const before = tf.memory().numTensors;
        for (let sweep = 0; sweep < 3; sweep++) {
          let calls = 0;
          const failing: lens.PatchMetric = (logits) => {
            const value = readmeMetric(logits); // allocates, then throws on the third call
            if (++calls === 3) throw new Error("metric failed on purpose");
            return value;
          };
          await assert.rejects(fn(model, CORRUPTED, clean, failing, { mode, progress: false }), /metric failed on purpose/);
        }
        assert.equal(tf.memory().numTensors, before, `${mode}: tensors left after failing sweeps`);
      }
    }
  });

  it("frees what a progress callback allocates", async () => {
    const progress = (done: number) => void tf.scalar(done).add(1); // allocates two tensors per call, frees none
    (await lens.getActPatchResidPre(model, CORRUPTED, clean, readmeMetric, { progress })).dispose();
    const before = tf.memory().numTensors;
    for (let i = 0; i < 3; i++) (await lens.getActPatchResidPre(model, CORRUPTED, clean, readmeMetric, { progress })).dispose();
    assert.equal(tf.memory().numTensors, before);
  });

  it("a hook's intermediates and its replacement are freed with the forward (runWithHooks, 10 runs)", () => {
    const hook = (z: tf.Tensor) => z.mul(tf.scalar(2)).add(tf.onesLike(z)).sub(tf.onesLike(z)); // untidied
    const run = () => model.runWithHooks(CORRUPTED, { fwdHooks: [[(n) => n.endsWith("hook_z"), hook]] }).dispose();
    run();
    const before = tf.memory().numTensors;
    for (let i = 0; i < 10; i++) run();
    assert.equal(tf.memory().numTensors, before);
  });

  it("a metric that returns something other than a scalar gets an error naming what it returned", async () => {
    const cases: [unknown, RegExp][] = [
      [undefined, /the metric must return a scalar tf\.Tensor or a number, got undefined/],
      [Promise.resolve(1), /got a Promise/],
      ["0.5", /got a string \("0\.5"\)/],
    ];
    for (const [value, pattern] of cases) {
      const before = tf.memory().numTensors;
      const bad = (() => value) as unknown as lens.PatchMetric;
      await assert.rejects(lens.getActPatchResidPre(model, CORRUPTED, clean, bad, { progress: false }), pattern);
      assert.equal(tf.memory().numTensors, before);
    }
    await assert.rejects(
      lens.getActPatchResidPre(model, CORRUPTED, clean, "logit diff" as unknown as lens.PatchMetric),
      /the metric must be a function \(logits\) => scalar tf\.Tensor or number, got a string/,
    );
    await assert.rejects(
      lens.getActPatchResidPre(model, CORRUPTED, clean, readmeMetric, { progress: "yes" as unknown as boolean }),
      /progress must be true, false or a \(done, total\) => void callback, got a string/,
    );
  });
});

describe("activation patching: *Every grids under grouped-query attention say how k/v rows index heads", function () {
  this.timeout(120_000);

  /** console.warn lines printed while `run` runs. */
  async function warnings(run: () => Promise<void>): Promise<string[]> {
    const lines: string[] = [];
    const original = console.warn;
    console.warn = (...args: unknown[]) => void lines.push(args.join(" "));
    try {
      await run();
    } finally {
      console.warn = original;
    }
    return lines;
  }

  it("llama-tiny (2 KV heads of 4): a note names the KV heads and the zero padding, once per model; gpt2-tiny: none", async () => {
    const llama = await loadModel(path.join(FIXTURES, "llama-tiny"));
    const gpt2 = await loadModel(path.join(FIXTURES, "gpt2-tiny"));
    const runs = [llama, gpt2].map((m) => m.runWithCache([[1, 5, 7, 9]]));
    try {
      const metric: lens.PatchMetric = (logits) => logits.slice([0, 3, 2], [-1, 1, 1]).mean();
      const sweep = (m: HookedTransformer, i: number, fn: PatchFn) => async () => {
        (await fn(m, [[1, 5, 8, 9]], runs[i].cache, metric, { progress: false })).dispose();
      };
      const first = await warnings(sweep(llama, 0, lens.getActPatchAttnHeadAllPosEvery));
      assert.equal(first.length, 1, first.join("\n"));
      assert.match(
        first[0],
        /getActPatchAttnHeadAllPosEvery: this model has grouped-query attention \(2 KV heads for 4 query heads\)/,
      );
      assert.match(first[0], /k and v rows \(result\[2\] and result\[3\]\)/);
      assert.match(first[0], /head index h is KV head h .* indices 2…3 are zero padding, not heads/);
      assert.deepEqual(await warnings(sweep(llama, 0, lens.getActPatchAttnHeadByPosEvery)), [], "told once per model");
      assert.deepEqual(await warnings(sweep(gpt2, 1, lens.getActPatchAttnHeadAllPosEvery)), [], "no GQA, no note");
    } finally {
      for (const run of runs) {
        run.logits.dispose();
        run.cache.dispose();
      }
      llama.dispose();
      gpt2.dispose();
    }
  });
});
