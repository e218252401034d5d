/**
 * Activation patching against TransformerLens 3.9's patching module (same weights, tokens and
 * metric), batched and loop modes against each other, errors, and memory.
 */
import { strict as assert } from "assert";
import * as path from "path";
import * as lens from "../../src";
import { ActivationCache, HookedTransformer, loadModel, tf } from "../../src";
import type { Tensor } from "../../src/tensor";
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
    });
    after(() => {
      clean?.dispose();
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
      it(`${tlName}: batched equals TransformerLens (1e-4) and the unbatched loop (1e-5)`, async () => {
        const batched = await fn(model, corrupted, clean, metric, { progress: false });
        const loop = await fn(model, corrupted, clean, metric, { mode: "loop", progress: false });
        try {
          const toTl = maxDiff(batched, tl.get(`patching.${tlName}`), tlName);
          assert.ok(toTl <= 1e-4, `${tlName}: max |tslens − TransformerLens| = ${toTl}`);
          const toLoop = maxDiff(batched, loop, `${tlName} loop`);
          assert.ok(toLoop <= 1e-5, `${tlName}: max |batched − loop| = ${toLoop}`);
        } finally {
          tf.dispose([batched, loop]);
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
    assert.ok(seen.length >= total / 7);
    assert.deepEqual(seen[seen.length - 1], [total, total]);
    assert.ok(seen.every(([d], i) => i === 0 || d > seen[i - 1][0]));
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
    await assert.rejects(
      lens.getActPatchResidPre(model, [[0, 5, 9]], clean, metric, { progress: false }),
      /must have the same batch and length/,
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

  it("leaves no tensors behind across repeated sweeps, also after an error", async () => {
    const run = () => lens.getActPatchAttnHeadByPosEvery(model, corruptedRows, clean, metric, { progress: false });
    (await run()).dispose();
    const before = tf.memory().numTensors;
    for (let i = 0; i < 3; i++) (await run()).dispose();
    await assert.rejects(lens.getActPatchResidPre(model, corruptedRows, clean, () => tf.ones([2]), { progress: false }));
    assert.equal(tf.memory().numTensors, before);
  });
});
