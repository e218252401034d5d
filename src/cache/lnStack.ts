/**
 * applyLnToStack: scale residual-stream components the way the LayerNorm reading the stream
 * scaled the whole stream (TransformerLens semantics). LN centres each component and divides
 * by the cached hook_scale of that norm; RMS only divides; `recomputeLn` runs ln_final on each
 * component instead (the logit lens). Models without normalisation get the stack back unchanged.
 */
import type { Tensor } from "@tensorflow/tfjs-core";
import { tf } from "../tensor";
import { normalize } from "../model/components/norm";
import { HookName, modelPointNames } from "../model/hookPoints";
import { HookContext } from "../model/hooks";
import type { CacheModel } from "./cacheModel";
import { applySlice, Slice } from "./slice";

/** Reads cached activations by hook name. */
export interface CacheReader {
  get(name: HookName): Tensor;
  has(name: HookName): boolean;
}

/** Options of applyLnToStack. */
export interface ApplyLnOptions {
  /** The layer whose input the stack is (default −1 = the final norm's input). */
  layer?: number | null;
  /** The stack is the MLP input of `layer` (scaled by ln2) rather than the attention input (ln1). */
  mlpInput?: boolean;
  /** Positions the stack was sliced to (slices the cached scale to match). */
  posSlice?: Slice;
  /** Batch rows to keep (slices the stack's axis 1 and the scale). */
  batchSlice?: Slice;
  /** The stack has a batch axis after the component axis (default true). */
  hasBatchDim?: boolean;
  /** At the final layer, run ln_final on each component instead of using the cached scale. */
  recomputeLn?: boolean;
}

/**
 * Stacks that already had a norm's scale applied (by applyLnToStack, or a helper's `applyLn: true`). logitAttrs
 * applies the final norm itself and refuses them, instead of scaling twice.
 */
const lnApplied = new WeakSet<Tensor>();

/** True when `stack` came out of applyLnToStack or a cache helper called with `applyLn: true`. */
export function hadLnApplied(stack: Tensor): boolean {
  return lnApplied.has(stack);
}

/** Resolves TransformerLens's layer argument: null/undefined/−1 → nLayers; else 0 … nLayers. */
export function resolveLayer(layer: number | null | undefined, nLayers: number): number {
  if (layer === null || layer === undefined || layer === -1) return nLayers;
  if (!Number.isInteger(layer) || layer < 0 || layer > nLayers)
    throw new Error(
      `layer ${layer} is out of range: this model has layers 0…${nLayers - 1} (${nLayers} or −1 = the final stream)`,
    );
  return layer;
}

/**
 * `stack` [components, batch?, pos?, d_model] scaled as the norm at the input of `layer` scaled the stream.
 * Returns a new tensor (caller disposes).
 */
export function applyLnToStack(model: CacheModel, cache: CacheReader, stack: Tensor, options: ApplyLnOptions = {}): Tensor {
  const cfg = model.cfg;
  const layer = resolveLayer(options.layer, cfg.nLayers);
  const hasBatchDim = options.hasBatchDim ?? true;
  if (cfg.normalizationType === null) return stack.clone();
  if (options.mlpInput && layer === cfg.nLayers)
    throw new Error("mlpInput needs a layer below nLayers: the final norm reads no MLP");
  const scaled = tf.tidy(() => {
    const rows = hasBatchDim ? applySlice(stack, options.batchSlice, 1, "batch row") : stack;
    if (options.recomputeLn && layer === cfg.nLayers) {
      const w = model.paramNames().includes("ln_final.w") ? model.param("ln_final.w") : undefined;
      const b = model.paramNames().includes("ln_final.b") ? model.param("ln_final.b") : undefined;
      const at = modelPointNames(cfg.nLayers).ln_final;
      return normalize(new HookContext(), at, rows, cfg.normalizationType, cfg.eps, { w, b });
    }
    const centred = cfg.normalizationType === "LN" || cfg.normalizationType === "LNPre" ? rows.sub(rows.mean(-1, true)) : rows;
    const key: HookName =
      layer === cfg.nLayers ? "ln_final.hook_scale" : `blocks.${layer}.ln${options.mlpInput ? 2 : 1}.hook_scale`;
    if (!cache.has(key))
      throw new Error(`applying LayerNorm needs "${key}" in the cache: run runWithCache without filtering it out`);
    let scale = applySlice(cache.get(key), options.posSlice, -2); // [batch, pos, 1] (pos dropped for one position)
    if (hasBatchDim) scale = applySlice(scale, options.batchSlice, 0, "batch row");
    return centred.div(scale);
  });
  lnApplied.add(scaled);
  return scaled;
}

/** `stack` itself, or (with `applyLn`) the LN-scaled copy, in which case `stack` is disposed. */
export function scaledIfAsked(
  model: CacheModel,
  cache: CacheReader,
  stack: Tensor,
  applyLn: boolean | undefined,
  options: ApplyLnOptions,
): Tensor {
  if (!applyLn) return stack;
  try {
    return applyLnToStack(model, cache, stack, options);
  } finally {
    stack.dispose();
  }
}
