/**
 * Patching and padded batches: a right-padded clean batch patches as its unpadded rows would (padding only follows
 * real tokens); a left-padded clean cache, whose positions the unmasked patched runs cannot match, is refused with
 * one clear error and no tensors left.
 */
import { strict as assert } from "assert";
import * as lens from "../../src";
import { HookedTransformer, loadModel, tf } from "../../src";
import type { Tensor } from "@tensorflow/tfjs-core";

describe("patching with padded batches", function () {
  this.timeout(60_000);
  let model: HookedTransformer;
  before(async () => {
    model = await loadModel("attn-only-1l");
  });
  after(() => model?.dispose());

  const metric = (logits: Tensor) => logits.slice([0, 0, 0], [-1, 3, -1]).mean();

  it("a left-padded clean cache is refused with a clear error, leaving no tensors", async () => {
    const texts = ["The cat sat on the mat", "A dog"];
    const { logits, cache } = model.runWithCache(texts, { paddingSide: "left" });
    logits.dispose();
    const before = tf.memory().numTensors;
    await assert.rejects(
      lens.getActPatchResidPre(model, texts, cache, metric, { progress: false }),
      /patching does not take left-padded batches yet/,
    );
    assert.equal(tf.memory().numTensors, before);
    cache.dispose();
  });

  it("a right-padded clean cache (it carries a mask) gives the grid of the same tokens run unmasked", async () => {
    const clean = [
      [1, 40, 41, 42, 43, 44],
      [1, 50, 51, 0, 0, 0],
    ];
    const mask = clean.map((row, b) => row.map((_, p) => (b === 1 && p >= 3 ? 0 : 1)));
    const corrupted = [
      [1, 40, 99, 42, 43, 44],
      [1, 77, 51, 0, 0, 0],
    ];
    const masked = model.runWithCache(clean, { attentionMask: mask });
    const unmasked = model.runWithCache(clean);
    assert.ok(masked.cache.attentionMask, "the padded batch's cache carries its mask");
    const options = { progress: false } as const;
    const gridMasked = await lens.getActPatchResidPre(model, corrupted, masked.cache, metric, options);
    const gridUnmasked = await lens.getActPatchResidPre(model, corrupted, unmasked.cache, metric, options);
    const diff = tf.tidy(() => gridMasked.sub(gridUnmasked).abs().max().dataSync()[0]);
    const spread = tf.tidy(() => gridMasked.max().sub(gridMasked.min()).dataSync()[0]);
    assert.ok(diff <= 1e-5, `grids differ by ${diff}`);
    assert.ok(spread > 1e-3, "the patches change the metric (the comparison is not between constant grids)");
    tf.dispose([gridMasked, gridUnmasked, masked.logits, unmasked.logits]);
    masked.cache.dispose();
    unmasked.cache.dispose();
  });
});
