/**
 * Activation patching with TransformerLens's helpers (camelCase, same output shapes): patch one
 * slice of an activation from a clean run into a corrupted run and score the logits with a metric.
 *
 *   const { cache: clean } = model.runWithCache(cleanTokens);
 *   const metric = (logits) => logits.slice([0, pos - 1, answer], [-1, 1, 1]).mean();
 *   const grid = await lens.getActPatchResidPre(model, corruptedTokens, clean, metric); // [n_layers, pos]
 *
 * Every function runs batched by default (see PatchOptions) and returns a tensor the caller disposes.
 *
 * Padded batches: run the clean prompts padded (`runWithCache(texts, { paddingSide })`) and give the corrupted ones
 * padded the same way — texts with the same `paddingSide`, or token ids with `{ attentionMask }`. Each row then patches
 * as its prompt alone; a metric reads row b at `cleanCache.lastRealPositions()[b]`.
 */
import type { Tensor } from "@tensorflow/tfjs-core";
import type { ActivationCache } from "../../cache/activationCache";
import type { HookedTransformer, ModelInput } from "../../model/hookedTransformer";
import { tf } from "../../tensor";
import { PATCH_KINDS, PatchKindName } from "./kinds";
import { PatchMetric, PatchOptions, patchSweep } from "./sweep";

export type { PatchMetric, PatchOptions } from "./sweep";
export type { PatchProgress } from "./progress";
export { SweepCancelledError } from "./progress";

type PatchFn = (
  model: HookedTransformer,
  corrupted: ModelInput,
  cleanCache: ActivationCache,
  metric: PatchMetric,
  options?: PatchOptions,
) => Promise<Tensor>;

const sweep =
  (name: PatchKindName): PatchFn =>
  (model, corrupted, cleanCache, metric, options) =>
    patchSweep(model, corrupted, cleanCache, metric, PATCH_KINDS[name], `patching ${PATCH_KINDS[name].hook}`, options);

/** Residual stream entering each layer, per position: [n_layers, pos]. */
export const getActPatchResidPre = sweep("resid_pre");
/** Residual stream between attention and MLP, per position: [n_layers, pos]. */
export const getActPatchResidMid = sweep("resid_mid");
/** Attention output, per position: [n_layers, pos]. */
export const getActPatchAttnOut = sweep("attn_out");
/** MLP output, per position: [n_layers, pos]. */
export const getActPatchMlpOut = sweep("mlp_out");
/** Each head's output (hook_z) at each position: [n_layers, pos, n_heads]. */
export const getActPatchAttnHeadOutByPos = sweep("attn_head_out_by_pos");
/** Each head's queries at each position: [n_layers, pos, n_heads]. */
export const getActPatchAttnHeadQByPos = sweep("attn_head_q_by_pos");
/** Each KV head's keys at each position: [n_layers, pos, n_kv_heads]. */
export const getActPatchAttnHeadKByPos = sweep("attn_head_k_by_pos");
/** Each KV head's values at each position: [n_layers, pos, n_kv_heads]. */
export const getActPatchAttnHeadVByPos = sweep("attn_head_v_by_pos");
/** Each head's attention pattern row of each destination: [n_layers, n_heads, dest]. */
export const getActPatchAttnHeadPatternByPos = sweep("attn_head_pattern_by_pos");
/** Each single attention weight: [n_layers, n_heads, dest, src]. */
export const getActPatchAttnHeadPatternDestSrcPos = sweep("attn_head_pattern_dest_src_pos");
/** Each head's output at all positions at once: [n_layers, n_heads]. */
export const getActPatchAttnHeadOutAllPos = sweep("attn_head_out_all_pos");
/** Each head's queries at all positions: [n_layers, n_heads]. */
export const getActPatchAttnHeadQAllPos = sweep("attn_head_q_all_pos");
/** Each KV head's keys at all positions: [n_layers, n_kv_heads]. */
export const getActPatchAttnHeadKAllPos = sweep("attn_head_k_all_pos");
/** Each KV head's values at all positions: [n_layers, n_kv_heads]. */
export const getActPatchAttnHeadVAllPos = sweep("attn_head_v_all_pos");
/** Each head's whole pattern: [n_layers, n_heads]. */
export const getActPatchAttnHeadPatternAllPos = sweep("attn_head_pattern_all_pos");

/** Pads axis `axis` of `t` with zeros to `size` (GQA's k/v results to n_heads, as TransformerLens does). */
function padAxis(t: Tensor, axis: number, size: number): Tensor {
  const padding = t.shape.map((n, a): [number, number] => (a === axis ? [0, size - n] : [0, 0]));
  return tf.pad(t, padding);
}

/** Models already told how their `*Every` grids index k and v (the note is printed once per model). */
const toldKvLayout = new WeakSet<HookedTransformer>();

/**
 * Under grouped-query attention the k and v rows of an `*Every` grid index KV heads, padded with zeros to n_heads:
 * says so on stderr, once per model, so a plot of the grid is not read as per-head k/v scores.
 */
function noteKvLayout(model: HookedTransformer, fn: string, rows: string): void {
  const kv = model.cfg.nKeyValueHeads;
  if (kv === null || toldKvLayout.has(model)) return;
  toldKvLayout.add(model);
  const heads = model.cfg.nHeads;
  console.warn(
    `${fn}: this model has grouped-query attention (${kv} KV heads for ${heads} query heads). In the ${rows} of the ` +
      `result, head index h is KV head h (shared by query heads ${heads / kv}·h … ${heads / kv}·h + ${heads / kv - 1}), ` +
      `and indices ${kv}…${heads - 1} are zero padding, not heads.`,
  );
}

async function stackEvery(parts: (() => Promise<Tensor>)[], shape: (t: Tensor, i: number) => Tensor): Promise<Tensor> {
  const done: Tensor[] = [];
  try {
    for (const [i, run] of parts.entries()) {
      const t = await run();
      done.push(shape(t, i));
      if (done[done.length - 1] !== t) t.dispose();
    }
    return tf.stack(done);
  } finally {
    tf.dispose(done);
  }
}

/**
 * Head output, q, k, v and pattern, each whole head: [5, n_layers, n_heads]. Under grouped-query attention rows 2 (k)
 * and 3 (v) index KV heads, not heads: [2, l, h] is KV head h, and h ≥ n_kv_heads is zero padding (a note on stderr
 * says so once per model).
 */
export const getActPatchAttnHeadAllPosEvery: PatchFn = (model, corrupted, clean, metric, options) => {
  noteKvLayout(model, "getActPatchAttnHeadAllPosEvery", "k and v rows (result[2] and result[3])");
  const fns = [
    getActPatchAttnHeadOutAllPos,
    getActPatchAttnHeadQAllPos,
    getActPatchAttnHeadKAllPos,
    getActPatchAttnHeadVAllPos,
    getActPatchAttnHeadPatternAllPos,
  ];
  return stackEvery(
    fns.map((fn) => () => fn(model, corrupted, clean, metric, options)),
    (t) => (t.shape[1] === model.cfg.nHeads ? t : padAxis(t, 1, model.cfg.nHeads)),
  );
};

/**
 * Head output, q, k, v and pattern per position: [5, n_layers, pos, n_heads] (pattern by destination position).
 * Under grouped-query attention rows 2 (k) and 3 (v) index KV heads, not heads: [2, l, p, h] is KV head h, and
 * h ≥ n_kv_heads is zero padding (a note on stderr says so once per model).
 */
export const getActPatchAttnHeadByPosEvery: PatchFn = (model, corrupted, clean, metric, options) => {
  noteKvLayout(model, "getActPatchAttnHeadByPosEvery", "k and v rows (result[2] and result[3])");
  const fns = [
    getActPatchAttnHeadOutByPos,
    getActPatchAttnHeadQByPos,
    getActPatchAttnHeadKByPos,
    getActPatchAttnHeadVByPos,
    getActPatchAttnHeadPatternByPos,
  ];
  return stackEvery(
    fns.map((fn) => () => fn(model, corrupted, clean, metric, options)),
    (t, i) => (i === 4 ? t.transpose([0, 2, 1]) : t.shape[2] === model.cfg.nHeads ? t : padAxis(t, 2, model.cfg.nHeads)),
  );
};

/** Residual stream, attention output and MLP output per layer and position: [3, n_layers, pos]. */
export const getActPatchBlockEvery: PatchFn = (model, corrupted, clean, metric, options) =>
  stackEvery(
    [getActPatchResidPre, getActPatchAttnOut, getActPatchMlpOut].map((fn) => () => fn(model, corrupted, clean, metric, options)),
    (t) => t,
  );
