/**
 * An SAE's quality on a set of tokens, as SAELens's evals report it (sae_lens/evals.py):
 *   l0            mean number of non-zero features per token
 *   mse           mean over tokens of ‖x − x̂‖² (summed over the d_in axis)
 *   explainedVariance  1 − mse / Var(x), Var(x) = E‖x‖² − ‖E x‖² (SAELens's current formula)
 *   ceLossWithoutSae / ceLossWithSae / ceLossWithAblation  mean next-token loss of the clean run, of the run with
 *                 the hook's activation replaced by the SAE's reconstruction, and with it replaced by zeros
 *   ceLossScore   (ablation − with SAE) / (ablation − without SAE): 1 = as good as the model, 0 = as bad as zeroing
 *   featureDensity  per feature, the fraction of tokens where it is non-zero; deadFeatures: those that never fire
 * Tokens listed in `ignoreTokens` (e.g. BOS) are left out of every mean and keep their clean activation in the
 * spliced run, as SAELens's ignore_tokens. A transcoder is compared with the activation at its output hook.
 */
import type { Tensor, Tensor2D } from "@tensorflow/tfjs-core";
import type { HookedTransformer } from "../model/hookedTransformer";
import type { HookName } from "../model/hookPoints";
import { lossFromLogits } from "../model/run";
import { tf } from "../tensor";
import type { Sae } from "./sae";

/** What saeMetrics measures (see the module comment). */
export interface SaeMetrics {
  l0: number;
  mse: number;
  explainedVariance: number;
  ceLossWithoutSae: number;
  ceLossWithSae: number;
  ceLossWithAblation: number;
  ceLossScore: number;
  /** [d_sae]: fraction of the counted tokens on which each feature is non-zero. */
  featureDensity: Float32Array;
  /** Indices of the features that are zero on every counted token. */
  deadFeatures: number[];
  /** Number of tokens counted. */
  tokens: number;
}

/** Options of saeMetrics. */
export interface SaeMetricsOptions {
  /** Token ids left out of the metrics and of the splice (SAELens's ignore_tokens), e.g. [bos]. */
  ignoreTokens?: number[];
}

/**
 * SAELens's reconstruction and sparsity metrics of `sae` spliced into `model` on token ids `tokens` [batch, pos]
 * (int32, no padding).
 */
export function saeMetrics(model: HookedTransformer, sae: Sae, tokens: Tensor2D, options: SaeMetricsOptions = {}): SaeMetrics {
  if (!(tokens instanceof tf.Tensor) || tokens.rank !== 2 || tokens.dtype !== "int32")
    throw new Error(
      `saeMetrics needs token ids as an int32 tensor [batch, pos], got ${tokens instanceof tf.Tensor ? `${tokens.dtype} [${tokens.shape}]` : typeof tokens}`,
    );
  const ignore = options.ignoreTokens ?? [];
  const hookIn = sae.cfg.hookName as HookName;
  const hookOut = sae.cfg.hookNameOut as HookName;
  for (const hook of [hookIn, hookOut])
    if (!model.hookNames().includes(hook)) throw new Error(`${sae.describe()}: the model has no hook point "${hook}"`);
  const { logits, cache } = model.runWithCache(tokens, { namesFilter: [...new Set([hookIn, hookOut])] });
  try {
    return tf.tidy(() => {
      const counted = tf.onesLike(tokens).cast("bool"); // [batch, pos]: true where the token is counted
      const keep = ignore.reduce((m, id) => m.logicalAnd(tokens.notEqual(id)), counted);
      const keepFloat = keep.toFloat();
      const n = keepFloat.sum().dataSync()[0];
      if (n === 0) throw new Error("saeMetrics: every token is in ignoreTokens, nothing to measure");
      const x = cache.get(hookIn);
      const target = cache.get(hookOut); // what the SAE's output stands for
      const width = sae.cfg.dOut;
      const acts = sae.encode(x); // [batch, pos, d_sae]
      const recon = sae.forward(x).reshape(target.shape); // [batch, pos, …]
      const flatTarget = target.reshape([-1, width]); // [tokens, d_out]
      const rows = keepFloat.reshape([-1, 1]); // [tokens, 1]
      const mean = (perToken: Tensor) =>
        perToken
          .reshape([-1])
          .mul(keepFloat.reshape([-1]))
          .sum()
          .dataSync()[0] / n;

      const fired = acts.notEqual(0).toFloat().reshape([-1, sae.cfg.dSae]).mul(rows); // [tokens, d_sae]
      const l0 = mean(fired.sum(-1));
      const density = fired.sum(0).div(n).dataSync() as Float32Array; // [d_sae]
      const residual = flatTarget
        .sub(recon.reshape([-1, width]))
        .square()
        .sum(-1); // [tokens]
      const mse = mean(residual);
      const meanX = flatTarget.mul(rows).sum(0).div(n); // [d_out]
      const variance = mean(flatTarget.square().sum(-1)) - meanX.square().sum().dataSync()[0];
      const explainedVariance = variance < 1e-10 ? (mse < 1e-10 ? 1 : 0) : 1 - mse / variance;

      const keepTarget = keep.reshape([...keep.shape, ...new Array<number>(target.rank - 2).fill(1)]);
      const splice = (replacement: Tensor) => (act: Tensor) => tf.where(keepTarget.broadcastTo(act.shape), replacement, act);
      const ceOf = (out: Tensor) => {
        const perToken = lossFromLogits(out, tokens, true); // [batch, pos − 1]
        const m = keepFloat.slice([0, 0], [-1, tokens.shape[1] - 1]);
        return perToken.mul(m).sum().dataSync()[0] / m.sum().dataSync()[0];
      };
      const ceLossWithoutSae = ceOf(logits!);
      const ceLossWithSae = ceOf(model.runWithHooks(tokens, { fwdHooks: [[hookOut, splice(recon)]] }));
      const ceLossWithAblation = ceOf(model.runWithHooks(tokens, { fwdHooks: [[hookOut, (a) => a.mul(0)]] }));
      const deadFeatures: number[] = [];
      density.forEach((d, i) => d === 0 && deadFeatures.push(i));
      return {
        l0,
        mse,
        explainedVariance,
        ceLossWithoutSae,
        ceLossWithSae,
        ceLossWithAblation,
        ceLossScore: (ceLossWithAblation - ceLossWithSae) / (ceLossWithAblation - ceLossWithoutSae),
        featureDensity: density,
        deadFeatures,
        tokens: n,
      };
    });
  } finally {
    logits?.dispose();
    cache.dispose();
  }
}
