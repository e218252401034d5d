/**
 * Attribution patching: close to activation patching when clean and corrupted runs differ a little, clear errors
 * for a clean cache that does not fit, and no leaks. The torch references are in gradientFixtures.test.ts.
 */
import { strict as assert } from "assert";
import * as path from "path";
import type { Tensor } from "@tensorflow/tfjs-core";
import * as lens from "../../src";
import { HookedTransformer, loadModel, tf } from "../../src";
import { REPO_ROOT } from "../support/paths";

const MODELS = path.join(REPO_ROOT, "tests", "fixtures", "models");
const TOKENS = [[5, 17, 3, 90, 44, 12, 7, 60]];

const logitDiff = (logits: Tensor): Tensor =>
  tf.tidy(() =>
    logits
      .slice([0, 7, 7], [1, 1, 1])
      .sub(logits.slice([0, 7, 3], [1, 1, 1]))
      .reshape([]),
  );

describe("attribution patching", function () {
  this.timeout(120_000);
  let model: HookedTransformer;
  let direction: Tensor;
  before(async () => {
    model = await loadModel(path.join(MODELS, "llama-tiny"), { processWeights: false });
    direction = tf.randomNormal([1, 8, 32], 0, 1, "float32", 3); // [1, pos, d_model]
  });
  after(() => {
    model?.dispose();
    direction?.dispose();
  });

  /** A "clean" run that differs from TOKENS's by `eps` along `direction` in the token embeddings. */
  const nearbyClean = (eps: number) =>
    model.runWithCache(TOKENS, { fwdHooks: [["hook_embed", (e) => e.add(direction.mul(eps))]], returnType: "none" }).cache;

  for (const [label, attr, act] of [
    ["resid_pre", lens.attrPatchResidPre, lens.getActPatchResidPre],
    ["attn_head_out_by_pos", lens.attrPatchAttnHeadOutByPos, lens.getActPatchAttnHeadOutByPos],
    ["mlp_out", lens.attrPatchMlpOut, lens.getActPatchMlpOut],
  ] as const) {
    it(`${label}: within 5% of activation patching for a perturbation of 1e-2`, async () => {
      const clean = nearbyClean(1e-2);
      const estimate = await attr(model, TOKENS, clean, logitDiff);
      const patched = await act(model, TOKENS, clean, logitDiff, { progress: false });
      const base = tf.tidy(() => logitDiff(model.forward(TOKENS)));
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

  it("names a clean cache without the hook point, or of another shape", async () => {
    const partial = model.runWithCache(TOKENS, { namesFilter: ["blocks.0.hook_resid_pre"], returnType: "none" }).cache;
    const shorter = model.runWithCache([TOKENS[0].slice(0, 6)], { returnType: "none" }).cache;
    try {
      await assert.rejects(
        lens.attrPatchResidPre(model, TOKENS, partial, logitDiff),
        /the clean cache has no blocks.1.hook_resid_pre/,
      );
      await assert.rejects(
        lens.attrPatchAttnOut(model, TOKENS, shorter, logitDiff),
        /the clean cache's blocks.0.hook_attn_out has shape \[1,6,32\] but the corrupted run's has \[1,8,32\]/,
      );
      const before = tf.memory().numTensors;
      for (let i = 0; i < 5; i++) {
        await assert.rejects(lens.attrPatchAttnOut(model, TOKENS, shorter, logitDiff), /shape/);
        await assert.rejects(lens.attrPatchAttnHeadPatternAllPos(model, TOKENS, partial, logitDiff), /has no/);
      }
      assert.equal(tf.memory().numTensors, before);
    } finally {
      partial.dispose();
      shorter.dispose();
    }
  });
});
