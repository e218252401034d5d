/**
 * Token attributions at the token embeddings (hook_embed): gradient × input, and integrated gradients along the
 * straight path from a baseline embedding. One value per token, [batch, pos], ready for `coloredTokens`. Positional
 * embeddings (and rotary positions) are held fixed: only what each token's identity contributes is attributed.
 */
import type { Tensor } from "@tensorflow/tfjs-core";
import type { HookedTransformer, ModelInput, RunInputOptions } from "../model/hookedTransformer";
import { isTensor, describeValue } from "../model/hooks";
import { tf } from "../tensor";
import type { GradMetric } from "./gradientRun";

/** Options of integratedGradients. */
export interface IntegratedGradientsOptions extends RunInputOptions {
  /** Points of the Riemann sum (midpoints of equal steps; default 32): the error of completeness falls as 1/steps². */
  steps?: number;
  /** The embedding the path starts from: "zeros" (default) or a tensor that broadcasts to [batch, pos, d_model]. */
  baseline?: "zeros" | Tensor;
}

/**
 * Gradient × input at the token embeddings: Σ_d hook_embed · ∂metric/∂hook_embed, one value per token
 * [batch, pos] (caller disposes). `metric`: logits → scalar tensor.
 */
export function gradientXInput(
  model: HookedTransformer,
  input: ModelInput,
  metric: GradMetric,
  options: RunInputOptions = {},
): Tensor {
  const { cache, grads } = model.runWithCacheAndGrads(input, metric, { ...options, namesFilter: ["hook_embed"] });
  try {
    return tf.tidy(() => cache.get("hook_embed").mul(grads.get("hook_embed")).sum(-1)); // [batch, pos]
  } finally {
    cache.dispose();
    grads.dispose();
  }
}

/**
 * Integrated gradients at the token embeddings: (embed − baseline) · the mean of ∂metric/∂embed along the straight
 * path from `baseline` to the embeddings (midpoint Riemann sum of `steps` points), summed over d_model → [batch, pos]
 * (caller disposes). The values add up to metric(input) − metric(baseline embeddings), up to the discretisation.
 */
export function integratedGradients(
  model: HookedTransformer,
  input: ModelInput,
  metric: GradMetric,
  options: IntegratedGradientsOptions = {},
): Tensor {
  const steps = options.steps ?? 32;
  if (!Number.isInteger(steps) || steps < 1)
    throw new Error(`integratedGradients's steps must be a positive integer, got ${steps}`);
  const { baseline = "zeros", ...runOptions } = options;
  delete runOptions.steps;
  if (baseline !== "zeros" && (!isTensor(baseline) || baseline.isDisposed))
    throw new Error(
      `integratedGradients's baseline must be "zeros" or a tensor [batch, pos, d_model], got ${describeValue(baseline)}`,
    );
  let total: Tensor | undefined; // [batch, pos, d_model]: the sum of the path's gradients
  let delta: Tensor | undefined; // [batch, pos, d_model]: embed − baseline
  try {
    for (let k = 0; k < steps; k++) {
      const alpha = (k + 0.5) / steps;
      const along = (embed: Tensor): Tensor => {
        const start = baseline === "zeros" ? tf.zerosLike(embed) : baseline;
        if (!delta) {
          const fits = start.rank <= 3 && start.shape.every((n, i) => n === 1 || n === embed.shape[i + 3 - start.rank]);
          if (!fits) throw new Error(`integratedGradients's baseline must broadcast to [${embed.shape}], got [${start.shape}]`);
          delta = tf.keep(embed.sub(start)); // [batch, pos, d_model]
        }
        return start.add(embed.sub(start).mul(alpha)); // [batch, pos, d_model]
      };
      const { cache, grads } = model.runWithCacheAndGrads(input, metric, {
        ...runOptions,
        namesFilter: ["hook_embed"],
        fwdHooks: [["hook_embed", along]],
      });
      cache.dispose();
      const grad = grads.get("hook_embed");
      const next = total ? total.add(grad) : grad.clone();
      total?.dispose();
      total = next;
      grads.dispose();
    }
    const [sum, diff] = [total!, delta!];
    return tf.tidy(() => sum.div(steps).mul(diff).sum(-1)); // [batch, pos]
  } finally {
    total?.dispose();
    delta?.dispose();
  }
}
