/**
 * Patching on padded batches: prompts of different lengths, padded on the left or the right, patch as each prompt
 * patched alone. For a metric on row b (read at its last real position), the batch grid at row b's real positions
 * is that prompt's own grid, and every patch of a padding position leaves the metric at its unpatched value — in
 * batched and loop mode, on learned (GPT-2), rotary (Mistral: GQA and a sliding window) and shortformer (attn-only-1l)
 * positions. Padding that differs between the clean and corrupted batch is an error naming both; nothing leaks.
 */
import { strict as assert } from "assert";
import * as path from "path";
import * as lens from "../../src";
import { ActivationCache, HookedTransformer, loadModel, tf } from "../../src";
import type { Tensor } from "@tensorflow/tfjs-core";
import { REPO_ROOT } from "../support/paths";

const FIXTURES = path.join(REPO_ROOT, "tests", "fixtures", "models");
const TOLERANCE = 1e-4;
type PatchFn = (typeof lens)["getActPatchResidPre"];

/** Clean prompts of different lengths (ids < 64: valid in every fixture vocabulary) and their corruptions. */
const CLEAN = [
  [1, 17, 3, 40, 22, 9],
  [1, 7, 28],
  [1, 33, 2, 19, 44],
];
const CORRUPTED = [
  [1, 17, 3, 41, 22, 9],
  [1, 8, 28],
  [1, 33, 5, 19, 44],
];
const [ANSWER, WRONG] = [9, 13];

/** `rows` padded to the longest on `side` (with id 0), and their mask (1 = real token). */
function pad(rows: number[][], side: "left" | "right"): { ids: number[][]; mask: number[][] } {
  const width = Math.max(...rows.map((r) => r.length));
  const fill = <T>(r: number[], value: T) => new Array<T>(width - r.length).fill(value);
  const ids = rows.map((r) => (side === "left" ? [...fill(r, 0), ...r] : [...r, ...fill(r, 0)]));
  const mask = rows.map((r) => {
    const ones = new Array<number>(r.length).fill(1);
    return side === "left" ? [...fill(r, 0), ...ones] : [...ones, ...fill(r, 0)];
  });
  return { ids, mask };
}

/** Logit difference (answer − wrong) of batch row `row` at position `pos`. */
const logitDiff =
  (row: number, pos: number): lens.PatchMetric =>
  (logits) =>
    tf.tidy(() => {
      const at = logits.slice([row, pos, 0], [1, 1, -1]).reshape([-1]); // [vocab]
      return at
        .gather([ANSWER])
        .sub(at.gather([WRONG]))
        .sum();
    });

/** How a padded sweep runs: batched, batched computing only the logits at each row's last real position, or loop. */
type Mode = "batched" | "last positions" | "loop";

/**
 * The helpers checked, with the grid axes (after the layer) that index positions, and the modes. The loop mode's
 * masking does not depend on the kind (one masked forward per run, the patch in a hook), so one kind checks it.
 */
const KINDS: [string, PatchFn, number[], Mode[]][] = [
  ["resid_pre", lens.getActPatchResidPre, [1], ["batched", "last positions", "loop"]],
  ["attn_head_out_by_pos", lens.getActPatchAttnHeadOutByPos, [1], ["batched"]],
  ["attn_head_k_by_pos", lens.getActPatchAttnHeadKByPos, [1], ["batched"]],
  ["attn_head_pattern_by_pos", lens.getActPatchAttnHeadPatternByPos, [2], ["batched"]],
  ["attn_head_out_all_pos", lens.getActPatchAttnHeadOutAllPos, [], ["batched"]],
];

/**
 * Largest difference between the padded batch's grid of one row and what patching the prompt alone implies: the
 * prompt's grid where every position index is one of the row's real positions (`start`…`start + length − 1`, shifted
 * to 0…), the unpatched metric `unpatched` wherever a patch touches padding.
 */
function rowGridError(batchGrid: Tensor, aloneGrid: Tensor, posAxes: number[], start: number, length: number, unpatched: number) {
  const got = batchGrid.dataSync();
  const want = aloneGrid.dataSync();
  const strides = (shape: number[]) => shape.map((_, i) => shape.slice(i + 1).reduce((a, b) => a * b, 1));
  const [gotStrides, wantStrides] = [strides(batchGrid.shape), strides(aloneGrid.shape)];
  let worst = 0;
  for (let i = 0; i < got.length; i++) {
    const index = batchGrid.shape.map((n, a) => Math.floor(i / gotStrides[a]) % n);
    const real = posAxes.every((a) => index[a] >= start && index[a] < start + length);
    const expected = real
      ? want[index.reduce((sum, v, a) => sum + (posAxes.includes(a) ? v - start : v) * wantStrides[a], 0)]
      : unpatched;
    worst = Math.max(worst, Math.abs(got[i] - expected));
  }
  return worst;
}

for (const [modelName, folder] of [
  ["gpt2-tiny (learned positions)", path.join(FIXTURES, "gpt2-tiny")],
  // Mistral is Llama's layout (rotary, GQA) with a sliding window, here of 5: shorter than the longest prompt.
  ["mistral-tiny (rotary, GQA, sliding window)", path.join(FIXTURES, "mistral-tiny")],
  ["attn-only-1l (shortformer)", path.join(REPO_ROOT, "models", "attn-only-1l")],
]) {
  describe(`patching a padded batch equals patching each prompt alone: ${modelName}`, function () {
    this.timeout(120_000);
    let model: HookedTransformer;
    /** Each prompt's own clean cache. */
    let alone: ActivationCache[];
    /** Each prompt's own grid by helper and row (the same for both padding sides). */
    const ownGrids = new Map<string, Tensor>();

    /** Prompt `row`'s own grid of `fn`, patched alone (computed once; checked not flat). */
    async function ownGrid(name: string, fn: PatchFn, row: number): Promise<Tensor> {
      const key = `${name} ${row}`;
      if (!ownGrids.has(key)) {
        const metric = logitDiff(0, CLEAN[row].length - 1);
        const grid = await fn(model, [CORRUPTED[row]], alone[row], metric, { progress: false });
        ownGrids.set(key, grid);
        // The prompt's own grid is not flat: the comparison would catch a misplaced or missing patch.
        assert.ok(tf.tidy(() => grid.max().sub(grid.min()).dataSync()[0]) > 1e-4, `${key}: flat grid`);
      }
      return ownGrids.get(key)!;
    }

    before(async () => {
      model = await loadModel(folder);
      alone = CLEAN.map((row) => model.runWithCache([row], { returnType: "none" }).cache);
    });
    after(() => {
      ownGrids.forEach((grid) => grid.dispose());
      alone?.forEach((cache) => cache.dispose());
      model?.dispose();
    });

    for (const side of ["left", "right"] as const) {
      it(`${side} padding: every row of resid_pre (also on the last real positions only), head out/k/pattern by position, head out at all positions`, async () => {
        const clean = pad(CLEAN, side);
        const corrupted = pad(CORRUPTED, side);
        const cache = model.runWithCache(clean.ids, { attentionMask: clean.mask, returnType: "none" }).cache;
        const corruptedLogits = model.forward(corrupted.ids, { attentionMask: corrupted.mask });
        try {
          const last = cache.lastRealPositions();
          assert.deepEqual(last, side === "left" ? [5, 5, 5] : [5, 2, 4]);
          for (const [name, fn, posAxes, modes] of KINDS) {
            for (const [b, row] of CLEAN.entries()) {
              const start = clean.mask[b].indexOf(1);
              const metric = logitDiff(b, last[b]);
              const unpatched = (metric(corruptedLogits) as Tensor).dataSync()[0];
              const own = await ownGrid(name, fn, b);
              for (const mode of modes) {
                const options: lens.PatchOptions = { attentionMask: corrupted.mask, progress: false };
                if (mode === "loop") options.mode = "loop";
                if (mode === "last positions") options.metricPositions = last;
                const grid = await fn(model, corrupted.ids, cache, metric, options);
                const error = rowGridError(grid, own, posAxes, start, row.length, unpatched);
                grid.dispose();
                assert.ok(error <= TOLERANCE, `${side} ${name} ${mode} row ${b}: off by ${error}`);
              }
            }
          }
        } finally {
          corruptedLogits.dispose();
          cache.dispose();
        }
      });
    }
  });
}

describe("patching padded batches: runFromLayer, texts, mismatched padding, memory", function () {
  this.timeout(120_000);
  let model: HookedTransformer;
  before(async () => {
    model = await loadModel(path.join(REPO_ROOT, "models", "attn-only-1l"));
  });
  after(() => model?.dispose());

  const cleanTexts = ["The cat sat on the mat", "A dog ran"];
  const corruptedTexts = ["The cat sat on the hat", "A cat ran"]; // the same token counts as the clean texts

  it("runFromLayer with the batch's attentionMask continues a left-padded run as the run itself (with past positions too)", () => {
    const { logits, cache } = model.runWithCache(cleanTexts, { paddingSide: "left" });
    const mask = cache.attentionMask!;
    const resid = cache.get("blocks.0.hook_resid_pre"); // [2, pos, d_model]
    const [batch, nPos] = mask.shape;
    const past = {
      length: 4,
      forLayer: (l: number) => ({
        past: [`blocks.${l}.attn.hook_k`, `blocks.${l}.attn.hook_v`].map((n) =>
          cache.get(n as "blocks.0.attn.hook_k").slice([0, 0, 0, 0], [-1, 4, -1, -1]),
        ) as [Tensor, Tensor],
        store: () => {},
      }),
    };
    try {
      const whole = model.runFromLayer(resid, 0, { attentionMask: mask });
      const tail = tf.tidy(() => model.runFromLayer(resid.slice([0, 4, 0], [-1, -1, -1]), 0, { attentionMask: mask, past }));
      const unmasked = model.runFromLayer(resid, 0);
      const [wholeDiff, tailDiff, unmaskedDiff] = tf.tidy(() => [
        whole.sub(logits!).abs().max().dataSync()[0],
        tail
          .sub(logits!.slice([0, 4, 0], [-1, -1, -1]))
          .abs()
          .max()
          .dataSync()[0],
        unmasked
          .slice([0, 4, 0], [-1, -1, -1])
          .sub(logits!.slice([0, 4, 0], [-1, -1, -1]))
          .abs()
          .max()
          .dataSync()[0],
      ]);
      tf.dispose([whole, tail, unmasked]);
      assert.ok(wholeDiff <= 1e-4 && tailDiff <= 1e-4, `off by ${wholeDiff}, with past positions ${tailDiff}`);
      assert.ok(unmaskedDiff > 1e-2, "without the mask the padded row comes out different (the mask matters here)");
      const before = tf.memory().numTensors;
      assert.throws(
        () => model.runFromLayer(resid, 0, { attentionMask: [[1, 1]] }),
        new RegExp(`attentionMask must have the tokens' shape \\[${batch}, ${nPos}\\]`),
      );
      assert.equal(tf.memory().numTensors, before);
    } finally {
      logits?.dispose();
      cache.dispose();
    }
  });

  it("corrupted texts with paddingSide give the grid of their token ids with attentionMask", async () => {
    for (const paddingSide of ["left", "right"] as const) {
      const { cache } = model.runWithCache(cleanTexts, { paddingSide, returnType: "none" });
      const { tokens, attentionMask } = model.toTokensWithMask(corruptedTexts, { paddingSide });
      const last = cache.lastRealPositions();
      const metric: lens.PatchMetric = (logits) => logitDiff(1, last[1])(logits);
      try {
        const fromTexts = await lens.getActPatchResidPre(model, corruptedTexts, cache, metric, { paddingSide, progress: false });
        const fromIds = await lens.getActPatchResidPre(model, tokens, cache, metric, { attentionMask, progress: false });
        const diff = tf.tidy(() => fromTexts.sub(fromIds).abs().max().dataSync()[0]);
        const spread = tf.tidy(() => fromIds.max().sub(fromIds.min()).dataSync()[0]);
        tf.dispose([fromTexts, fromIds]);
        assert.ok(diff <= 1e-6, `${paddingSide}: texts and ids differ by ${diff}`);
        assert.ok(spread > 1e-4, `${paddingSide}: the grid is flat`);
      } finally {
        tf.dispose([tokens, attentionMask]);
        cache.dispose();
      }
    }
  });

  it("padding that differs between clean and corrupted is one clear error naming both batches, leaving no tensors", async () => {
    const metric: lens.PatchMetric = (logits) => logits.slice([0, 0, 0], [-1, 1, 1]).mean();
    const left = model.runWithCache(cleanTexts, { paddingSide: "left", returnType: "none" }).cache;
    const unpadded = model.runWithCache(
      [
        [1, 5, 7],
        [1, 8, 9],
      ],
      { returnType: "none" },
    ).cache;
    const leftMask = left.attentionMask!.arraySync();
    const ids = left.tokens.arraySync();
    const width = ids[0].length;
    const before = tf.memory().numTensors;
    try {
      for (const mode of ["batched", "loop"] as const) {
        const options = { mode, progress: false } as const;
        // Texts padded on the other side: row 1 (the short one) is real at its end in the clean batch only.
        await assert.rejects(
          lens.getActPatchResidPre(model, corruptedTexts, left, metric, { ...options, paddingSide: "right" }),
          new RegExp(
            `the corrupted input is padded differently from the clean cache: row 1 has real tokens at positions ` +
              `${leftMask[1].indexOf(1)}…${width - 1} in the clean batch \\[2,${width}\\] but at 0…${width - 1 - leftMask[1].indexOf(1)} ` +
              `in the corrupted batch \\[2,${width}\\]`,
          ),
        );
        // Token ids without a mask for a padded clean cache: the hint says how to pass it.
        await assert.rejects(
          lens.getActPatchResidPre(model, ids, left, metric, options),
          /row 1 has real tokens at positions \d+…\d+ in the clean batch .* \(no attentionMask\).*give the corrupted token ids the clean batch's mask as \{ attentionMask \}/,
        );
        // A padded corrupted batch for an unpadded clean cache.
        await assert.rejects(
          lens.getActPatchResidPre(
            model,
            [
              [1, 5, 7],
              [0, 8, 9],
            ],
            unpadded,
            metric,
            {
              ...options,
              attentionMask: [
                [1, 1, 1],
                [0, 1, 1],
              ],
            },
          ),
          /row 1 has real tokens at positions 0…2 in the clean batch \[2,3\] \(no padding\) but at 1…2 in the corrupted batch/,
        );
        // A padded corrupted batch longer than the clean one: the shapes are the problem, and the error names them.
        await assert.rejects(
          lens.getActPatchResidPre(
            model,
            [
              [1, 5, 7, 9],
              [0, 8, 9, 9],
            ],
            unpadded,
            metric,
            {
              ...options,
              attentionMask: [
                [1, 1, 1, 1],
                [0, 1, 1, 1],
              ],
            },
          ),
          /the corrupted run's activation is \[2,4,\d+\] but the clean one is \[2,3,\d+\]: clean and corrupted inputs must have the same batch and length/,
        );
        // A mask given with texts, and a mask of the wrong shape.
        await assert.rejects(
          lens.getActPatchResidPre(model, corruptedTexts, left, metric, { ...options, attentionMask: leftMask }),
          /attentionMask is for corrupted token ids/,
        );
        await assert.rejects(
          lens.getActPatchResidPre(model, ids, left, metric, { ...options, attentionMask: [[1, 1]] }),
          /attentionMask must have the tokens' shape/,
        );
      }
      assert.equal(tf.memory().numTensors, before, "tensors left after the errors");
    } finally {
      left.dispose();
      unpadded.dispose();
    }
  });

  it("repeated padded sweeps and a failing one leave the tensor count flat", async () => {
    const { cache } = model.runWithCache(cleanTexts, { paddingSide: "left", returnType: "none" });
    const metric: lens.PatchMetric = (logits) => logits.slice([1, cache.lastRealPositions()[1], 3], [1, 1, 1]).mean(); // untidied
    const options = { paddingSide: "left", progress: false } as const;
    try {
      const sweep = async (mode: "batched" | "loop") => {
        const fn = mode === "loop" ? lens.getActPatchResidPre : lens.getActPatchAttnHeadOutByPos; // the loop: fewer runs
        (await fn(model, corruptedTexts, cache, metric, { ...options, mode })).dispose();
        (
          await lens.getActPatchResidPre(model, corruptedTexts, cache, metric, { ...options, mode, metricPositions: [-1] })
        ).dispose();
      };
      await sweep("batched");
      await sweep("loop");
      const before = tf.memory().numTensors;
      for (let i = 0; i < 3; i++) for (const mode of ["batched", "loop"] as const) await sweep(mode);
      for (const mode of ["batched", "loop"] as const) {
        let calls = 0;
        const failing: lens.PatchMetric = (logits) => {
          const value = metric(logits);
          if (++calls === 2) throw new Error("metric failed on purpose");
          return value;
        };
        await assert.rejects(lens.getActPatchResidPre(model, corruptedTexts, cache, failing, { ...options, mode }), /on purpose/);
      }
      assert.equal(tf.memory().numTensors, before);
    } finally {
      cache.dispose();
    }
  });
});
