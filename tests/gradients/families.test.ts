/**
 * runWithCacheAndGrads on every family the fixtures hold: a directional derivative at blocks.0.hook_resid_pre agrees
 * with central differences, and a left-padded run's gradients are finite with zeros on the padding.
 */
import { strict as assert } from "assert";
import type { Tensor } from "@tensorflow/tfjs-core";
import { HookName, tf } from "../../src";
import { loadRaw, logitDiff } from "../support/gradients";

const FAMILIES = ["neox-tiny", "mistral-tiny", "qwen2-tiny", "qwen3-tiny", "gemma-tiny", "gemma2-tiny", "gemma3-tiny"];
FAMILIES.push("olmo2-tiny", "phi3-tiny", "phi3-tiny-longrope", "llama-tiny-rope-llama3");
const TOKENS = [[1, 5, 9, 13, 2, 7, 3, 11]];
const NAME: HookName = "blocks.0.hook_resid_pre";

describe("gradients on every family", function () {
  this.timeout(120_000);
  for (const family of FAMILIES) {
    it(family, async () => {
      const model = await loadRaw(family);
      const mask = tf.tensor2d([[0, 0, 1, 1, 1, 1, 1, 1]], [1, 8], "int32");
      const { cache, grads } = model.runWithCacheAndGrads(TOKENS, logitDiff, { namesFilter: [NAME] });
      const padded = model.runWithCacheAndGrads(TOKENS, logitDiff, { namesFilter: [NAME], attentionMask: mask });
      const direction = tf.randomNormal(grads.get(NAME).shape, 0, 1, "float32", 11); // [1, pos, d_model]
      try {
        const analytic = tf.tidy(() => grads.get(NAME).mul(direction).sum().dataSync()[0]);
        const eps = 1e-3; // phi3 and qwen2 curve enough that 1e-2 is off by 30% (the differences converge as eps shrinks)
        const shifted = (sign: number): number =>
          tf.tidy(() => {
            const hook = (a: Tensor) => a.add(direction.mul(sign * eps));
            return logitDiff(model.runWithHooks(TOKENS, { fwdHooks: [[NAME, hook]] })).dataSync()[0];
          });
        const numeric = (shifted(1) - shifted(-1)) / (2 * eps);
        assert.ok(Math.abs(analytic - numeric) < 2e-2 * Math.abs(numeric) + 1e-2, `analytic ${analytic}, numeric ${numeric}`);
        const values = padded.grads.get(NAME).dataSync();
        assert.ok(values.every(Number.isFinite), "finite gradients on a padded batch");
        const dModel = model.cfg.dModel;
        assert.ok(
          values.slice(0, 2 * dModel).every((v) => v === 0),
          "zero gradient on the padding",
        );
        assert.ok(values.slice(2 * dModel).some((v) => v !== 0));
      } finally {
        tf.dispose([mask, direction]);
        for (const c of [cache, grads, padded.cache, padded.grads]) c.dispose();
        model.dispose();
      }
    });
  }
});
