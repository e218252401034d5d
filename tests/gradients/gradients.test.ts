/**
 * runWithCacheAndGrads and backward hooks: gradients against central differences, hooks and padding, errors, leaks.
 * The torch autograd references are in gradientFixtures.test.ts.
 */
import { strict as assert } from "assert";
import type { Tensor } from "@tensorflow/tfjs-core";
import { HookName, tf } from "../../src";
import { rawModels } from "../support/gradients";

const TOKENS = [[5, 17, 3, 90, 44, 12, 7, 7]];

/** Logit of token 7 minus logit of token 3 at the last position of row 0 []. */
const logitDiff = (logits: Tensor): Tensor =>
  tf.tidy(() => {
    const last = logits.shape[1]! - 1;
    const row = logits.slice([0, last, 0], [1, 1, -1]).reshape([-1]); // [vocab]
    return row.gather(7).sub(row.gather(3));
  });

/** The largest absolute difference between two tensors, over the largest absolute value of `b`. */
function relError(a: Tensor, b: Tensor): number {
  const [diff, scale] = tf.tidy(() => [a.sub(b).abs().max().dataSync()[0], b.abs().max().dataSync()[0]]);
  return diff / scale;
}

describe("runWithCacheAndGrads", function () {
  this.timeout(120_000);
  const models = rawModels({ gpt2: "gpt2-tiny", llama: "llama-tiny" });

  for (const family of ["gpt2", "llama"] as const) {
    it(`${family}: a directional derivative at blocks.1.hook_resid_pre matches central differences`, () => {
      const model = family === "gpt2" ? models.gpt2 : models.llama;
      const name: HookName = "blocks.1.hook_resid_pre";
      const { value, cache, grads } = model.runWithCacheAndGrads(TOKENS, logitDiff, { namesFilter: [name] });
      const direction = tf.randomNormal([1, 8, 32], 0, 1, "float32", 7); // [1, pos, d_model]
      try {
        assert.deepEqual(grads.keys(), [name]);
        assert.deepEqual(grads.get(name).shape, [1, 8, 32]);
        const plain = tf.tidy(() => logitDiff(model.forward(TOKENS)).dataSync()[0]);
        assert.ok(Math.abs(value - plain) < 1e-5, `value ${value} vs forward ${plain}`);
        const analytic = tf.tidy(() => grads.get(name).mul(direction).sum().dataSync()[0]);
        const eps = 1e-2;
        const shifted = (sign: number): number =>
          tf.tidy(() => {
            const hook = (a: Tensor) => a.add(direction.mul(sign * eps));
            return logitDiff(model.runWithHooks(TOKENS, { fwdHooks: [[name, hook]] })).dataSync()[0];
          });
        const numeric = (shifted(1) - shifted(-1)) / (2 * eps);
        assert.ok(Math.abs(analytic - numeric) < 2e-2 * Math.abs(numeric) + 1e-3, `analytic ${analytic}, numeric ${numeric}`);
      } finally {
        direction.dispose();
        cache.dispose();
        grads.dispose();
      }
    });
  }

  it("keeps the same activations as runWithCache, and a gradient of every kept name", () => {
    const { logits, cache: plain } = models.gpt2.runWithCache(TOKENS);
    const { cache, grads } = models.gpt2.runWithCacheAndGrads(TOKENS, logitDiff);
    try {
      assert.deepEqual(cache.keys(), plain.keys());
      assert.deepEqual(grads.keys(), plain.keys());
      for (const name of plain.keys()) {
        assert.deepEqual(cache.get(name).dataSync(), plain.get(name).dataSync(), name); // −inf in attn_scores too
        assert.deepEqual(grads.get(name).shape, plain.get(name).shape, name);
      }
      // Only the last position's logits count, so the final norm's gradient is zero at every other position.
      const early = grads.get("ln_final.hook_normalized").slice([0, 0, 0], [1, 7, 32]);
      assert.equal(
        tf.tidy(() => early.abs().max().dataSync()[0]),
        0,
      );
      early.dispose();
    } finally {
      logits.dispose();
      plain.dispose();
      cache.dispose();
      grads.dispose();
    }
  });

  it("differentiates through forward hooks: an ablated attention output passes no gradient to hook_z", () => {
    const zero = (a: Tensor) => tf.zerosLike(a);
    const names: HookName[] = ["blocks.0.attn.hook_z", "blocks.1.attn.hook_z"];
    const { cache, grads } = models.llama.runWithCacheAndGrads(TOKENS, logitDiff, {
      namesFilter: names,
      fwdHooks: [["blocks.0.hook_attn_out", zero]],
    });
    try {
      const max = (n: HookName) => tf.tidy(() => grads.get(n).abs().max().dataSync()[0]);
      assert.equal(max("blocks.0.attn.hook_z"), 0);
      assert.ok(max("blocks.1.attn.hook_z") > 1e-3);
    } finally {
      cache.dispose();
      grads.dispose();
    }
  });

  it("on a left-padded batch, a row's gradients equal those of its prompt alone", () => {
    const short = [9, 4, 33, 21, 5];
    const padded = tf.tensor2d([[0, 0, 0, ...short], TOKENS[0]], [2, 8], "int32");
    const mask = tf.tensor2d(
      [
        [0, 0, 0, 1, 1, 1, 1, 1],
        [1, 1, 1, 1, 1, 1, 1, 1],
      ],
      [2, 8],
      "int32",
    );
    const name: HookName = "blocks.0.hook_resid_pre";
    const sumLastDiffs = (logits: Tensor): Tensor =>
      tf.tidy(() =>
        logits
          .slice([0, 7, 7], [2, 1, 1])
          .sub(logits.slice([0, 7, 3], [2, 1, 1]))
          .sum(),
      );
    const batch = models.llama.runWithCacheAndGrads(padded, sumLastDiffs, { namesFilter: [name], attentionMask: mask });
    const alone = models.llama.runWithCacheAndGrads([short], logitDiff, { namesFilter: [name] });
    try {
      const row = batch.grads.get(name).slice([0, 3, 0], [1, 5, 32]);
      assert.ok(relError(row, alone.grads.get(name)) < 1e-4);
      const pads = batch.grads.get(name).slice([0, 0, 0], [1, 3, 32]);
      assert.equal(
        tf.tidy(() => pads.abs().max().dataSync()[0]),
        0,
      );
      tf.dispose([row, pads]);
    } finally {
      tf.dispose([padded, mask]);
      for (const run of [batch, alone]) {
        run.cache.dispose();
        run.grads.dispose();
      }
    }
  });
});
