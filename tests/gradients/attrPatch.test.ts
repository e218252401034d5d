/**
 * Attribution patching: close to activation patching when clean and corrupted runs differ a little, clear errors
 * for a clean cache that does not fit, and no leaks. The torch references are in gradientFixtures.test.ts.
 */
import { strict as assert } from "assert";
import type { Tensor } from "@tensorflow/tfjs-core";
import * as lens from "../../src";
import { tf } from "../../src";
import { logitDiff, rawModels } from "../support/gradients";

const TOKENS = [[5, 17, 3, 90, 44, 12, 7, 60]];

describe("attribution patching", function () {
  this.timeout(120_000);
  const models = rawModels({ llama: "llama-tiny" });
  let direction: Tensor;
  before(() => {
    direction = tf.randomNormal([1, 8, 32], 0, 1, "float32", 3); // [1, pos, d_model]
  });
  after(() => direction?.dispose());

  /** A "clean" run that differs from TOKENS's by `eps` along `direction` in the token embeddings. */
  const nearbyClean = (eps: number) =>
    models.llama.runWithCache(TOKENS, { fwdHooks: [["hook_embed", (e) => e.add(direction.mul(eps))]], returnType: "none" }).cache;

  for (const [label, attr, act] of [
    ["resid_pre", lens.attrPatchResidPre, lens.getActPatchResidPre],
    ["attn_head_out_by_pos", lens.attrPatchAttnHeadOutByPos, lens.getActPatchAttnHeadOutByPos],
    ["mlp_out", lens.attrPatchMlpOut, lens.getActPatchMlpOut],
  ] as const) {
    it(`${label}: within 5% of activation patching for a perturbation of 1e-2`, async () => {
      const clean = nearbyClean(1e-2);
      const estimate = await attr(models.llama, TOKENS, clean, logitDiff);
      const patched = await act(models.llama, TOKENS, clean, logitDiff, { progress: false });
      const base = tf.tidy(() => logitDiff(models.llama.forward(TOKENS)));
      try {
        const change = tf.tidy(() => patched.sub(base)); // activation patching's effect on the metric
        const [err, scale] = tf.tidy(() => [estimate.sub(change).abs().max().dataSync()[0], change.abs().max().dataSync()[0]]);
        change.dispose();
        assert.deepEqual(estimate.shape, patched.shape);
        assert.ok(scale > 1e-4, `the perturbation must move the metric (${scale})`);
        assert.ok(err < 5e-2 * scale, `${label}: ${err} vs ${scale}`);
      } finally {
        tf.dispose([estimate, patched, base]);
        clean.dispose();
      }
    });
  }

  it("on a left-padded batch, each row's cells are those of its prompt alone (the grid sums the rows)", async () => {
    const [cleanA, dirtyA] = [
      [9, 4, 33, 21, 5],
      [9, 4, 40, 21, 5],
    ];
    const [cleanB, dirtyB] = [TOKENS[0], [5, 17, 3, 91, 44, 12, 7, 60]];
    const mask = tf.tensor2d(
      [
        [0, 0, 0, 1, 1, 1, 1, 1],
        [1, 1, 1, 1, 1, 1, 1, 1],
      ],
      [2, 8],
      "int32",
    );
    const pad = (row: number[]) => [...new Array(8 - row.length).fill(0), ...row];
    const both = (logits: Tensor) =>
      tf.tidy(() =>
        logits
          .slice([0, 7, 7], [2, 1, 1])
          .sub(logits.slice([0, 7, 3], [2, 1, 1]))
          .sum(),
      );
    const lastOf = (n: number) => (logits: Tensor) =>
      tf.tidy(() =>
        logits
          .slice([0, n - 1, 7], [1, 1, 1])
          .sub(logits.slice([0, n - 1, 3], [1, 1, 1]))
          .reshape([]),
      );
    const cleanBatch = tf.tensor2d([pad(cleanA), cleanB], [2, 8], "int32");
    const dirtyBatch = tf.tensor2d([pad(dirtyA), dirtyB], [2, 8], "int32");
    const clean = models.llama.runWithCache(cleanBatch, { attentionMask: mask, returnType: "none" }).cache;
    const aloneA = models.llama.runWithCache([cleanA], { returnType: "none" }).cache;
    const aloneB = models.llama.runWithCache([cleanB], { returnType: "none" }).cache;
    try {
      const grid = await lens.attrPatchResidPre(models.llama, dirtyBatch, clean, both, { attentionMask: mask }); // [layers, 8]
      const a = await lens.attrPatchResidPre(models.llama, [dirtyA], aloneA, lastOf(5)); // [layers, 5]
      const b = await lens.attrPatchResidPre(models.llama, [dirtyB], aloneB, lastOf(8)); // [layers, 8]
      const expected = tf.tidy(() =>
        tf
          .pad(a, [
            [0, 0],
            [3, 0],
          ])
          .add(b),
      );
      const [err, scale] = tf.tidy(() => [grid.sub(expected).abs().max().dataSync()[0], expected.abs().max().dataSync()[0]]);
      tf.dispose([grid, a, b, expected]);
      assert.ok(scale > 1e-3 && err < 1e-5 * scale + 1e-6, `${err} vs ${scale}`);
    } finally {
      tf.dispose([mask, cleanBatch, dirtyBatch]);
      for (const c of [clean, aloneA, aloneB]) c.dispose();
    }
  });

  it("names a clean cache without the hook point, or of another shape", async () => {
    const partial = models.llama.runWithCache(TOKENS, { namesFilter: ["blocks.0.hook_resid_pre"], returnType: "none" }).cache;
    const shorter = models.llama.runWithCache([TOKENS[0].slice(0, 6)], { returnType: "none" }).cache;
    try {
      await assert.rejects(
        lens.attrPatchResidPre(models.llama, TOKENS, partial, logitDiff),
        /the clean cache has no blocks.1.hook_resid_pre/,
      );
      await assert.rejects(
        lens.attrPatchAttnOut(models.llama, TOKENS, shorter, logitDiff),
        /the clean cache's blocks.0.hook_attn_out has shape \[1,6,32\] but the corrupted run's has \[1,8,32\]/,
      );
      const before = tf.memory().numTensors;
      for (let i = 0; i < 5; i++) {
        await assert.rejects(lens.attrPatchAttnOut(models.llama, TOKENS, shorter, logitDiff), /shape/);
        await assert.rejects(lens.attrPatchAttnHeadPatternAllPos(models.llama, TOKENS, partial, logitDiff), /has no/);
      }
      assert.equal(tf.memory().numTensors, before);
    } finally {
      partial.dispose();
      shorter.dispose();
    }
  });
});
