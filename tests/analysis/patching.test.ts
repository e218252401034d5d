/**
 * Activation patching against TransformerLens 3.9's patching module (same weights, tokens and
 * metric), batched and loop modes against each other, errors, and memory.
 */
import { strict as assert } from "assert";
import * as path from "path";
import * as lens from "../../src";
import { ActivationCache, HookedTransformer, loadModel, tf } from "../../src";
import type { Tensor } from "../../src/tensor";
import { GROUP_LIMITS, planGroups, PlannedRun, RunGroup, SweepShape } from "../../src/analysis/patching/plan";
import { REPO_ROOT } from "../support/paths";
import { tlResultNames, TlResults, tlResults } from "../support/tlFixtures";

type PatchFn = (typeof lens)["getActPatchResidPre"];

const HELPERS: [string, PatchFn][] = [
  ["get_act_patch_resid_pre", lens.getActPatchResidPre],
  ["get_act_patch_resid_mid", lens.getActPatchResidMid],
  ["get_act_patch_attn_out", lens.getActPatchAttnOut],
  ["get_act_patch_mlp_out", lens.getActPatchMlpOut],
  ["get_act_patch_attn_head_out_by_pos", lens.getActPatchAttnHeadOutByPos],
  ["get_act_patch_attn_head_q_by_pos", lens.getActPatchAttnHeadQByPos],
  ["get_act_patch_attn_head_k_by_pos", lens.getActPatchAttnHeadKByPos],
  ["get_act_patch_attn_head_v_by_pos", lens.getActPatchAttnHeadVByPos],
  ["get_act_patch_attn_head_pattern_by_pos", lens.getActPatchAttnHeadPatternByPos],
  ["get_act_patch_attn_head_pattern_dest_src_pos", lens.getActPatchAttnHeadPatternDestSrcPos],
  ["get_act_patch_attn_head_out_all_pos", lens.getActPatchAttnHeadOutAllPos],
  ["get_act_patch_attn_head_q_all_pos", lens.getActPatchAttnHeadQAllPos],
  ["get_act_patch_attn_head_k_all_pos", lens.getActPatchAttnHeadKAllPos],
  ["get_act_patch_attn_head_v_all_pos", lens.getActPatchAttnHeadVAllPos],
  ["get_act_patch_attn_head_pattern_all_pos", lens.getActPatchAttnHeadPatternAllPos],
  ["get_act_patch_attn_head_all_pos_every", lens.getActPatchAttnHeadAllPosEvery],
  ["get_act_patch_attn_head_by_pos_every", lens.getActPatchAttnHeadByPosEvery],
  ["get_act_patch_block_every", lens.getActPatchBlockEvery],
];

/** Tokens of the prompts the loop comparisons run on: the fixtures' prompts differ at position 2 (gpt2) and 1 (llama). */
const SHORT = 4;

/** The first `n` tokens of each row. */
const prefix = (rows: number[][], n: number) => rows.map((row) => row.slice(0, n));

function maxDiff(a: Tensor, b: Tensor, what: string): number {
  assert.deepEqual(a.shape, b.shape, `${what}: shape`);
  return tf.tidy(() => a.sub(b).abs().max().dataSync()[0]);
}

for (const modelName of ["gpt2-tiny", "llama-tiny"]) {
  describe(`activation patching matches TransformerLens: ${modelName}`, function () {
    this.timeout(120_000);
    let model: HookedTransformer;
    let tl: TlResults;
    let clean: ActivationCache;
    /** The clean run on the first SHORT tokens, for the loop comparisons (the metric reads the last position). */
    let shortClean: ActivationCache;
    let corrupted: number[][];
    let metric: lens.PatchMetric;

    before(async () => {
      model = await loadModel(path.join(REPO_ROOT, "tests", "fixtures", "models", modelName));
      tl = await tlResults(modelName);
      corrupted = tl.ints("patching.corrupted") as number[][];
      const [answer, wrong] = tl.ints("patching.answer_wrong") as number[];
      metric = (logits) =>
        tf.tidy(() => {
          const [b, p] = logits.shape;
          const last = logits.slice([0, p! - 1, 0], [b, 1, -1]).squeeze([1]); // [batch, vocab]
          return last
            .slice([0, answer], [-1, 1])
            .sub(last.slice([0, wrong], [-1, 1]))
            .mean();
        });
      const run = model.runWithCache(tl.ints("patching.clean") as number[][]);
      run.logits.dispose();
      clean = run.cache;
      shortClean = model.runWithCache(prefix(tl.ints("patching.clean") as number[][], SHORT), { returnType: "none" }).cache;
    });
    after(() => {
      clean?.dispose();
      shortClean?.dispose();
      tl?.dispose();
      model?.dispose();
    });

    it("the metric on the clean and corrupted runs equals TransformerLens's", () => {
      for (const [name, input] of [
        ["patching.clean_metric", tl.ints("patching.clean")],
        ["patching.corrupted_metric", corrupted],
      ] as const) {
        const logits = model.forward(input as number[][]);
        const value = (metric(logits) as Tensor).dataSync()[0];
        logits.dispose();
        assert.ok(Math.abs(value - tl.get(name).dataSync()[0]) <= 1e-4, `${name}: ${value}`);
      }
    });

    // The llama fixture holds the helpers where GQA matters (k, v and the "every" stacks); gpt2-tiny holds all.
    for (const [tlName, fn] of HELPERS.filter(([n]) => tlResultNames(modelName).includes(`patching.${n}`))) {
      const every = tlName.endsWith("_every");
      // An `*Every` grid stacks single sweeps: on gpt2-tiny each of them is compared with the loop in its own test
      // here, so only the stacking is checked against TransformerLens; on llama-tiny the stacked q, out, pattern and
      // residual sweeps have no test of their own, so the loop compares them (not in pairs: grouping does not depend
      // on the model). Batched and loop meet on the prompts' first 4 tokens (equal tokens, then the first differing
      // one and at least one after it): the loop costs a full forward per run, and the sweeps' code paths (runs
      // starting after position 0 on earlier keys and values, groups merging several first positions) are all there.
      const loopCheck = !every || modelName === "llama-tiny";
      const what = loopCheck ? `and the unbatched loop on 4 tokens (1e-5${every ? "" : ", also in pairs"})` : "(stacks)";
      it(`${tlName}: batched equals TransformerLens (1e-4) ${what}`, async () => {
        const batched = await fn(model, corrupted, clean, metric, { progress: false });
        try {
          const toTl = maxDiff(batched, tl.get(`patching.${tlName}`), tlName);
          assert.ok(toTl <= 1e-4, `${tlName}: max |tslens − TransformerLens| = ${toTl}`);
        } finally {
          batched.dispose();
        }
        if (!loopCheck) return;
        const [input, cache] = [prefix(corrupted, SHORT), shortClean];
        const grids: [string, Tensor][] = [["batched", await fn(model, input, cache, metric, { progress: false })]];
        try {
          // Groups of two runs: most start after position 0, on the corrupted run's earlier keys and values.
          if (!every) grids.push(["batched in pairs", await fn(model, input, cache, metric, { batchSize: 2, progress: false })]);
          const loop = await fn(model, input, cache, metric, { mode: "loop", progress: false });
          grids.push(["loop", loop]);
          const spread = tf.tidy(() => loop.max().sub(loop.min()).dataSync()[0]);
          assert.ok(spread > 1e-4, `${tlName}: the loop's grid is flat, so the comparison could not fail`);
          for (const [name, grid] of grids.slice(0, -1)) {
            const toLoop = maxDiff(grid, loop, `${tlName} ${name}`);
            assert.ok(toLoop <= 1e-5, `${tlName}: max |${name} − loop| = ${toLoop}`);
          }
        } finally {
          tf.dispose(grids.map(([, grid]) => grid));
        }
      });
    }
  });
}

describe("activation patching: batching, progress, errors, memory", function () {
  this.timeout(120_000);
  let model: HookedTransformer;
  let clean: ActivationCache;
  const cleanRows = [[0, 5, 9, 11, 5, 9]];
  const corruptedRows = [[0, 5, 9, 11, 7, 9]];
  const metric: lens.PatchMetric = (logits) => tf.tidy(() => logits.slice([0, 5, 11], [-1, 1, 1]).mean());

  before(async () => {
    model = await loadModel(path.join(REPO_ROOT, "tests", "fixtures", "models", "gpt2-tiny"));
    clean = model.runWithCache(cleanRows, { returnType: "none" }).cache;
  });
  after(() => {
    clean?.dispose();
    model?.dispose();
  });

  it("gives the same grid for every batch size, and patching everything restores the clean metric", async () => {
    const one = await lens.getActPatchResidPre(model, corruptedRows, clean, metric, { batchSize: 1, progress: false });
    const five = await lens.getActPatchResidPre(model, corruptedRows, clean, metric, { batchSize: 5, progress: false });
    const logits = model.forward(cleanRows);
    try {
      assert.ok(maxDiff(one, five, "batch 1 vs 5") <= 1e-5);
      // Patching resid_pre of layer 0 at the corrupted position restores the clean run exactly.
      const cleanValue = (metric(logits) as Tensor).dataSync()[0];
      assert.ok(Math.abs((one.arraySync() as number[][])[0][4] - cleanValue) <= 1e-5);
    } finally {
      tf.dispose([one, five, logits]);
    }
  });

  it("reports progress after every forward, up to the number of patched runs", async () => {
    const seen: [number, number][] = [];
    const grid = await lens.getActPatchAttnHeadOutByPos(model, corruptedRows, clean, metric, {
      batchSize: 7,
      progress: (done, total) => seen.push([done, total]),
    });
    grid.dispose();
    const total = model.cfg.nLayers * 6 * model.cfg.nHeads;
    // Runs before position 4, where the prompts first differ, change nothing: one report for them, then one per group.
    const changed = model.cfg.nLayers * 2 * model.cfg.nHeads;
    assert.deepEqual(seen[0], [total - changed, total]);
    assert.ok(seen.length >= 1 + Math.ceil(changed / 7), `${seen.length} reports`);
    assert.deepEqual(seen[seen.length - 1], [total, total]);
    assert.ok(seen.every(([d], i) => i === 0 || d > seen[i - 1][0]));
  });

  it("runs only from the first position where clean and corrupted activations differ; identical inputs run nothing", async () => {
    const widths: number[] = []; // positions each block call computes
    const runFromLayer = model.runFromLayer.bind(model);
    model.runFromLayer = (resid, layer, options) => (widths.push(resid.shape[1]!), runFromLayer(resid, layer, options));
    try {
      for (const fn of [lens.getActPatchResidPre, lens.getActPatchAttnHeadOutAllPos, lens.getActPatchAttnHeadPatternByPos]) {
        widths.length = 0;
        const loop = await fn(model, corruptedRows, clean, metric, { mode: "loop", progress: false });
        const batched = await fn(model, corruptedRows, clean, metric, { progress: false });
        const diff = maxDiff(batched, loop, "batched vs loop");
        tf.dispose([loop, batched]);
        assert.ok(diff <= 1e-5, `max |batched − loop| = ${diff}`);
        // The prompts differ from position 4 on: no call computes the 4 positions before it.
        assert.ok(widths.length > 0 && widths.every((w) => w <= 2), `widths ${widths}`);
      }
      // Corrupted = clean: every patch swaps a value for itself, so no run computes anything.
      widths.length = 0;
      const same = await lens.getActPatchAttnHeadOutByPos(model, cleanRows, clean, metric, { progress: false });
      const logits = model.forward(cleanRows);
      const cleanValue = (metric(logits) as Tensor).dataSync()[0];
      tf.dispose(logits);
      const values = same.dataSync();
      same.dispose();
      assert.deepEqual(widths, []);
      assert.ok(
        values.every((v) => v === cleanValue),
        "every run scores the clean (= corrupted) run",
      );
    } finally {
      model.runFromLayer = runFromLayer;
    }
  });

  it("errors name the problem: missing clean activation, length mismatch, non-scalar metric, bad options", async () => {
    const filtered = model.runWithCache(cleanRows, { namesFilter: (n) => n.endsWith("resid_pre"), returnType: "none" }).cache;
    try {
      await assert.rejects(
        lens.getActPatchAttnOut(model, corruptedRows, filtered, metric, { progress: false }),
        /the clean cache lacks "blocks.0.hook_attn_out"/,
      );
    } finally {
      filtered.dispose();
    }
    for (const mode of ["batched", "loop"] as const)
      for (const rows of [[[0, 5, 9]], [corruptedRows[0], corruptedRows[0]]])
        await assert.rejects(
          lens.getActPatchResidPre(model, rows, clean, metric, { mode, progress: false }),
          /must have the same batch and length/,
          `${mode}, corrupted ${rows.length}×${rows[0].length}`,
        );
    await assert.rejects(
      lens.getActPatchResidPre(model, corruptedRows, clean, (l) => l.sum(-1), { progress: false }),
      /the metric must return a scalar/,
    );
    await assert.rejects(
      lens.getActPatchResidPre(model, corruptedRows, clean, metric, { mode: "fast" as "loop" }),
      /mode must be/,
    );
    await assert.rejects(
      lens.getActPatchResidPre(model, corruptedRows, clean, metric, { batchSize: 0 }),
      /batchSize must be a positive integer/,
    );
  });

  it("metricPositions: only those logits are computed, the values do not change, and reading others is an error", async () => {
    const early: lens.PatchMetric = (logits) => tf.tidy(() => logits.slice([0, 2, 9], [-1, 1, 1]).mean());
    for (const fn of [lens.getActPatchResidPre, lens.getActPatchAttnHeadOutByPos, lens.getActPatchAttnHeadOutAllPos]) {
      for (const [m, positions] of [
        [metric, [-1]],
        [metric, [5, 1]],
        [early, [2]],
      ] as const) {
        // The reference: every logit computed (batched equals the loop: tested above and below). The loop hides the
        // unread logits of its full forwards whatever it patches, so one kind checks it.
        const full = await fn(model, corruptedRows, clean, m, { progress: false });
        const modes =
          fn === lens.getActPatchResidPre ? [{ batchSize: 2 }, {}, { mode: "loop" as const }] : [{ batchSize: 2 }, {}];
        for (const options of modes) {
          const grid = await fn(model, corruptedRows, clean, m, { ...options, metricPositions: [...positions], progress: false });
          const diff = maxDiff(grid, full, `metricPositions ${positions}`);
          grid.dispose();
          assert.ok(diff <= 1e-5, `metricPositions [${positions}] ${JSON.stringify(options)}: ${diff}`);
        }
        full.dispose();
      }
    }
    for (const mode of ["batched", "loop"] as const)
      await assert.rejects(
        lens.getActPatchResidPre(model, corruptedRows, clean, early, { mode, metricPositions: [-1], progress: false }),
        /the metric gave NaN: with metricPositions \[5\]/,
      );
    for (const bad of [[], [6], [-7], [1.5]])
      await assert.rejects(
        lens.getActPatchResidPre(model, corruptedRows, clean, metric, { metricPositions: bad, progress: false }),
        /metricPositions must be a non-empty list of integers in -6…5/,
      );
  });

  it("leaves no tensors behind across repeated sweeps, also after an error", async () => {
    const run = () => lens.getActPatchAttnHeadByPosEvery(model, corruptedRows, clean, metric, { progress: false });
    (await run()).dispose();
    const before = tf.memory().numTensors;
    (await run()).dispose(); // deterministic: a sweep that keeps a tensor keeps one every time
    const lastOnly = { metricPositions: [-1], batchSize: 3, progress: false };
    (await lens.getActPatchAttnHeadByPosEvery(model, corruptedRows, clean, metric, lastOnly)).dispose();
    await assert.rejects(lens.getActPatchResidPre(model, corruptedRows, clean, () => tf.ones([2]), { progress: false }));
    const early: lens.PatchMetric = (logits) => tf.tidy(() => logits.slice([0, 2, 9], [-1, 1, 1]).mean());
    await assert.rejects(lens.getActPatchAttnHeadOutByPos(model, corruptedRows, clean, early, lastOnly), /gave NaN/);
    const twoRows = [corruptedRows[0], corruptedRows[0]]; // the clean cache has one: found in the corrupted run
    await assert.rejects(lens.getActPatchAttnHeadOutAllPos(model, twoRows, clean, metric, { progress: false }), /same batch/);
    assert.equal(tf.memory().numTensors, before);
  });
});

describe("activation patching: how batched runs are grouped", function () {
  this.timeout(120_000);

  /** Runs of a [layers, pos, heads] sweep in output order. */
  const byPosRuns = (layers: number, nPos: number, heads: number): PlannedRun[] =>
    Array.from({ length: layers * nPos * heads }, (_, index) => {
      const [layer, pos, head] = [Math.floor(index / (nPos * heads)), Math.floor(index / heads) % nPos, index % heads];
      return { index, layer, tuple: [pos, head], first: pos };
    });

  const gpt2Small = (nPos: number, batch = 1): SweepShape => ({ batch, nPos, nLayers: 12, unembedWeight: 50257 / (12 * 768) });
  const rowsOf = (groups: RunGroup[], nPos: number) => groups.reduce((sum, g) => sum + g.runs.length * (nPos - g.first), 0);

  it("every run is in one group, which computes from its earliest position, in layer order, within the limits", () => {
    for (const [layers, nPos, heads, batch] of [
      [12, 32, 12, 1],
      [12, 8, 1, 1],
      [2, 6, 4, 3],
      [12, 200, 1, 2],
    ]) {
      const runs = byPosRuns(layers, nPos, heads);
      const groups = planGroups(runs, { ...gpt2Small(nPos, batch), nLayers: layers }, GROUP_LIMITS);
      const seen = groups.flatMap((g) => g.runs.map((r) => r.index)).sort((a, b) => a - b);
      assert.deepEqual(
        seen,
        runs.map((r) => r.index),
      );
      for (const group of groups) {
        assert.equal(group.first, Math.min(...group.runs.map((r) => r.first)));
        assert.ok(group.runs.every((r, i) => i === 0 || r.layer >= group.runs[i - 1].layer));
        const rows = group.runs.length * batch * (nPos - group.first);
        assert.ok(group.runs.length === 1 || rows <= GROUP_LIMITS.maxRows, `${rows} rows`);
      }
    }
  });

  it("skips most unchanged positions, merging late positions whose groups would be small", () => {
    // A GPT-2-small resid_pre sweep over 32 positions: 384 runs.
    const runs = byPosRuns(12, 32, 1);
    const groups = planGroups(runs, gpt2Small(32), GROUP_LIMITS);
    assert.equal(groups[0].first, 0);
    assert.equal(groups[0].runs.filter((r) => r.first === 0).length, 12, "position 0's runs go together");
    assert.ok(groups.length < 16, `${groups.length} groups`);
    assert.ok(new Set(groups[groups.length - 1].runs.map((r) => r.first)).size > 1, "the short late runs are merged");
    // Merging recomputes a few unchanged positions: little next to skipping the earlier positions.
    const needed = runs.reduce((sum, r) => sum + 32 - r.first, 0);
    const rows = rowsOf(groups, 32);
    assert.ok(rows <= 1.15 * needed && rows < 0.6 * 384 * 32, `${rows} rows for ${needed} needed`);
    // Per-head sweeps have 144 runs per position: nearly nothing is recomputed.
    const heads = byPosRuns(12, 32, 12);
    assert.ok(rowsOf(planGroups(heads, gpt2Small(32), GROUP_LIMITS), 32) <= 1.02 * 12 * needed);
  });

  it("a batch size caps the runs of a group", () => {
    const groups = planGroups(byPosRuns(12, 32, 1), gpt2Small(32), { maxRows: Infinity, maxRuns: 5 });
    assert.ok(groups.every((g) => g.runs.length <= 5));
    assert.equal(
      groups.reduce((n, g) => n + g.runs.length, 0),
      384,
    );
  });

  it("attn-only-2l (shortformer, no MLP): batched equals the loop for every group size", async () => {
    const model = await loadModel(path.join(REPO_ROOT, "models", "attn-only-2l"));
    const clean = model.runWithCache([[0, 11, 42, 7, 11, 42, 7]], { returnType: "none" }).cache;
    const corrupted = [[0, 11, 42, 7, 11, 43, 7]];
    const metric: lens.PatchMetric = (logits) => tf.tidy(() => logits.slice([0, 6, 11], [-1, 1, 1]).mean());
    try {
      for (const fn of [lens.getActPatchResidPre, lens.getActPatchAttnHeadOutByPos, lens.getActPatchAttnHeadKByPos]) {
        const loop = await fn(model, corrupted, clean, metric, { mode: "loop", progress: false });
        for (const batchSize of [1, 3, undefined]) {
          const grid = await fn(model, corrupted, clean, metric, { batchSize, progress: false });
          const diff = maxDiff(grid, loop, `batchSize ${batchSize}`);
          grid.dispose();
          assert.ok(diff <= 1e-5, `batchSize ${batchSize}: max |batched − loop| = ${diff}`);
        }
        // The grid is not trivially flat: some patch moves the metric.
        assert.ok(tf.tidy(() => loop.max().sub(loop.min()).dataSync()[0]) > 1e-3);
        loop.dispose();
      }
    } finally {
      clean.dispose();
      model.dispose();
    }
  });
});
