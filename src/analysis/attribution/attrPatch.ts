/**
 * Attribution patching (Nanda, 2023): the first-order estimate of every cell of an activation-patching grid,
 *
 *   cell ≈ Σ (A_clean − A_corrupted) · ∂metric/∂A  at the corrupted run,
 *
 * summed over the activation's axes the grid does not index (d_model, d_head, the batch, …). One forward and one
 * backward pass on the corrupted input give ∂metric/∂A at every layer at once; the clean cache gives A_clean. Outputs
 * have the shapes of the matching getActPatch* helpers.
 *
 *   const { cache: clean } = model.runWithCache(cleanTokens);
 *   const grid = await lens.attrPatchResidPre(model, corruptedTokens, clean, metric); // [n_layers, pos]
 */
import type { Tensor } from "@tensorflow/tfjs-core";
import type { ActivationCache } from "../../cache/activationCache";
import type { GradMetric } from "../../gradients/gradientRun";
import type { HookName } from "../../model/hookPoints";
import type { HookedTransformer, ModelInput, RunInputOptions } from "../../model/hookedTransformer";
import { tf } from "../../tensor";
import { PATCH_KINDS, PatchKind, PatchKindName } from "../patching/kinds";

/** Options of the attribution-patching functions: the corrupted input's (padding side, or its attentionMask). */
export type AttrPatchOptions = RunInputOptions;

/** An attribution-patching function: (model, corrupted input, clean cache, metric) → the grid (caller disposes). */
export type AttrPatchFn = (
  model: HookedTransformer,
  corrupted: ModelInput,
  cleanCache: ActivationCache,
  metric: GradMetric,
  options?: AttrPatchOptions,
) => Promise<Tensor>;

/** A kind of attribution grid: the hook point after "blocks.{l}." and the activation axes the grid keeps. */
interface AttrKind {
  hook: PatchKind["hook"];
  keptAxes: number[];
}

/**
 * Attribution of `kind` at every layer: [n_layers, ...kept axes' lengths]. Needs the clean activations of every layer
 * at the kind's hook point in `cleanCache`, from a run on input of the corrupted input's shape (and padding).
 */
function attributionGrid(
  model: HookedTransformer,
  corrupted: ModelInput,
  cleanCache: ActivationCache,
  metric: GradMetric,
  kind: AttrKind,
  options: AttrPatchOptions = {},
): Tensor {
  const names = Array.from({ length: model.cfg.nLayers }, (_, l) => model.hookName(`blocks.${l}.${kind.hook}`));
  for (const name of names)
    if (!cleanCache.has(name))
      throw new Error(`the clean cache has no ${name}: run runWithCache without a namesFilter, or with one keeping it`);
  const { cache, grads } = model.runWithCacheAndGrads(corrupted, metric, { ...options, namesFilter: names });
  try {
    return tf.tidy(() => {
      const perLayer = names.map((name: HookName) => {
        const clean = cleanCache.get(name);
        const dirty = cache.get(name);
        if (clean.shape.join() !== dirty.shape.join())
          throw new Error(
            `the clean cache's ${name} has shape [${clean.shape}] but the corrupted run's has [${dirty.shape}]: ` +
              "run the clean and corrupted inputs with the same batch, length and padding",
          );
        const summed = dirty.shape.map((_, axis) => axis).filter((axis) => !kind.keptAxes.includes(axis));
        return clean.sub(dirty).mul(grads.get(name)).sum(summed); // [kept axes]
      });
      return tf.stack(perLayer); // [n_layers, kept axes]
    });
  } finally {
    cache.dispose();
    grads.dispose();
  }
}

/** The attribution kind of an activation-patching sweep: same hook, same index axes. */
const fromPatchKind = (name: PatchKindName): AttrKind => {
  const kind: PatchKind = PATCH_KINDS[name];
  return { hook: kind.hook, keptAxes: kind.axes.map((axis) => axis.actAxis) };
};

const attr =
  (kind: AttrKind): AttrPatchFn =>
  (model, corrupted, cleanCache, metric, options) =>
    Promise.resolve().then(() => attributionGrid(model, corrupted, cleanCache, metric, kind, options));

/** Residual stream entering each layer, per position: [n_layers, pos]. */
export const attrPatchResidPre = attr(fromPatchKind("resid_pre"));
/** Residual stream between attention and MLP, per position: [n_layers, pos]. */
export const attrPatchResidMid = attr(fromPatchKind("resid_mid"));
/** Attention output, per position: [n_layers, pos]. */
export const attrPatchAttnOut = attr(fromPatchKind("attn_out"));
/** MLP output, per position: [n_layers, pos]. */
export const attrPatchMlpOut = attr(fromPatchKind("mlp_out"));
/** Each head's output (hook_z) at each position: [n_layers, pos, n_heads]. */
export const attrPatchAttnHeadOutByPos = attr(fromPatchKind("attn_head_out_by_pos"));
/** Each head's queries at each position: [n_layers, pos, n_heads]. */
export const attrPatchAttnHeadQByPos = attr(fromPatchKind("attn_head_q_by_pos"));
/** Each KV head's keys at each position: [n_layers, pos, n_kv_heads]. */
export const attrPatchAttnHeadKByPos = attr(fromPatchKind("attn_head_k_by_pos"));
/** Each KV head's values at each position: [n_layers, pos, n_kv_heads]. */
export const attrPatchAttnHeadVByPos = attr(fromPatchKind("attn_head_v_by_pos"));
/** Each head's attention pattern row of each destination: [n_layers, n_heads, dest]. */
export const attrPatchAttnHeadPatternByPos = attr(fromPatchKind("attn_head_pattern_by_pos"));
/** Each single attention weight: [n_layers, n_heads, dest, src]. */
export const attrPatchAttnHeadPatternDestSrcPos = attr(fromPatchKind("attn_head_pattern_dest_src_pos"));
/** Each head's output at all positions at once: [n_layers, n_heads]. */
export const attrPatchAttnHeadOutAllPos = attr(fromPatchKind("attn_head_out_all_pos"));
/** Each head's queries at all positions: [n_layers, n_heads]. */
export const attrPatchAttnHeadQAllPos = attr(fromPatchKind("attn_head_q_all_pos"));
/** Each KV head's keys at all positions: [n_layers, n_kv_heads]. */
export const attrPatchAttnHeadKAllPos = attr(fromPatchKind("attn_head_k_all_pos"));
/** Each KV head's values at all positions: [n_layers, n_kv_heads]. */
export const attrPatchAttnHeadVAllPos = attr(fromPatchKind("attn_head_v_all_pos"));
/** Each head's whole pattern: [n_layers, n_heads]. */
export const attrPatchAttnHeadPatternAllPos = attr(fromPatchKind("attn_head_pattern_all_pos"));
/** Each MLP neuron (mlp.hook_post) at each position: [n_layers, pos, d_mlp]. */
export const attrPatchMlpNeurons = attr({ hook: "mlp.hook_post", keptAxes: [1, 2] });
/** Each MLP neuron summed over positions: [n_layers, d_mlp]. */
export const attrPatchMlpNeuronsAllPos = attr({ hook: "mlp.hook_post", keptAxes: [2] });
