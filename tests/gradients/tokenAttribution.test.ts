/**
 * Token attributions: gradient × input against a central difference along each token's own embedding, integrated
 * gradients' completeness, bad options, and leaks.
 */
import { strict as assert } from "assert";
import type { Tensor } from "@tensorflow/tfjs-core";
import * as lens from "../../src";
import { tf } from "../../src";
import { logitDiff, rawModels } from "../support/gradients";

const TOKENS = [[5, 17, 3, 90, 44, 12, 7, 60]];

describe("token attributions", function () {
  this.timeout(120_000);
  const models = rawModels({ gpt2: "gpt2-tiny" });

  /** The metric with the token embeddings scaled by `scale` [1, pos, 1]. */
  const scaled = (scale: Tensor): number =>
    tf.tidy(() => logitDiff(models.gpt2.runWithHooks(TOKENS, { fwdHooks: [["hook_embed", (e) => e.mul(scale)]] })).dataSync()[0]);

  it("gradientXInput: token t's value is d metric / d s at s = 1 for token t's embedding scaled by s", () => {
    const attributions = lens.gradientXInput(models.gpt2, TOKENS, logitDiff);
    try {
      assert.deepEqual(attributions.shape, [1, 8]);
      const values = attributions.dataSync();
      const eps = 1e-3;
      for (let t = 0; t < 8; t++) {
        const bump = (sign: number) => {
          const scale = tf.tidy(() =>
            tf
              .oneHot([t], 8)
              .reshape([1, 8, 1])
              .mul(sign * eps)
              .add(1),
          ); // [1, pos, 1]
          const value = scaled(scale);
          scale.dispose();
          return value;
        };
        const numeric = (bump(1) - bump(-1)) / (2 * eps);
        assert.ok(Math.abs(values[t] - numeric) < 1e-2 * Math.abs(numeric) + 5e-3, `token ${t}: ${values[t]} vs ${numeric}`);
      }
    } finally {
      attributions.dispose();
    }
  });

  it("integratedGradients: the values add up to metric(input) − metric(baseline)", () => {
    const full = tf.tidy(() => logitDiff(models.gpt2.forward(TOKENS)).dataSync()[0]);
    const zeros = tf.zeros([1, 8, 1]);
    const atZero = scaled(zeros);
    zeros.dispose();
    const coarse = lens.integratedGradients(models.gpt2, TOKENS, logitDiff, { steps: 4 });
    const fine = lens.integratedGradients(models.gpt2, TOKENS, logitDiff, { steps: 32 });
    try {
      assert.deepEqual(fine.shape, [1, 8]);
      const gap = (t: Tensor) => Math.abs(tf.tidy(() => t.sum().dataSync()[0]) - (full - atZero));
      assert.ok(gap(fine) < 1e-2 * Math.abs(full - atZero), `32 steps: off by ${gap(fine)} of ${full - atZero}`);
      assert.ok(gap(fine) < gap(coarse), "more steps, closer");
    } finally {
      tf.dispose([coarse, fine]);
    }
  });

  it("integratedGradients from a given baseline embedding [d_model]", () => {
    const baseline = tf.tidy(() => models.gpt2.param("embed.W_E").slice([0, 0], [1, -1]).reshape([32])); // token 0's embedding
    const full = tf.tidy(() => logitDiff(models.gpt2.forward(TOKENS)).dataSync()[0]);
    const atBaseline = tf.tidy(
      () =>
        logitDiff(
          models.gpt2.runWithHooks(TOKENS, { fwdHooks: [["hook_embed", (e) => tf.broadcastTo(baseline, e.shape)]] }),
        ).dataSync()[0],
    );
    const values = lens.integratedGradients(models.gpt2, TOKENS, logitDiff, { steps: 32, baseline });
    try {
      const sum = tf.tidy(() => values.sum().dataSync()[0]);
      assert.ok(Math.abs(sum - (full - atBaseline)) < 1e-2 * Math.abs(full - atBaseline), `${sum} vs ${full - atBaseline}`);
    } finally {
      tf.dispose([baseline, values]);
    }
  });

  it("names bad options and leaks nothing, failing runs included", () => {
    const wrong = tf.zeros([3, 5]);
    try {
      assert.throws(
        () => lens.integratedGradients(models.gpt2, TOKENS, logitDiff, { steps: 0 }),
        /steps must be a positive integer, got 0/,
      );
      assert.throws(
        () => lens.integratedGradients(models.gpt2, TOKENS, logitDiff, { baseline: "mean" as never }),
        /baseline must be "zeros" or a tensor \[batch, pos, d_model\], got a string/,
      );
      const before = tf.memory().numTensors;
      for (let i = 0; i < 3; i++) {
        assert.throws(
          () => lens.integratedGradients(models.gpt2, TOKENS, logitDiff, { baseline: wrong, steps: 2 }),
          /baseline must broadcast to \[1,8,32\], got \[3,5\]/,
        );
        tf.dispose(lens.integratedGradients(models.gpt2, TOKENS, logitDiff, { steps: 2 }));
        tf.dispose(lens.gradientXInput(models.gpt2, TOKENS, logitDiff));
      }
      assert.equal(tf.memory().numTensors, before);
    } finally {
      wrong.dispose();
    }
  });
});
