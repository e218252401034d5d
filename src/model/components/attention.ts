/**
 * Attention: heads move information between positions.
 *   q, k, v = x·W_{Q,K,V} + b → hook_q / hook_k / hook_v      [batch, pos, heads, d_head]
 *   (shortformer) q, k read x + W_pos instead of x
 *   (Qwen3, Gemma 3) q, k each RMS-normalised per head over d_head → q_norm / k_norm.hook_scale, hook_normalized
 *   (OLMo-2) the same over all heads at once (hook_scale [batch, pos, 1, 1])
 *   (rotary) q, k rotated → hook_rot_q / hook_rot_k
 *   scores = q·kᵀ / sqrt(d_head) (or / attnScale), (Gemma 2) cap·tanh(scores / cap),
 *     causal mask (and sliding window) → −inf → hook_attn_scores   [batch, heads, query, key]
 *   pattern = softmax(scores) → hook_pattern
 *   z = pattern·v → hook_z                                       [batch, pos, heads, d_head]
 *   out = Σ_h z_h·W_O[h] + b_O  (per head: hook_result, when enabled)
 * Grouped-query attention: query head h reads KV head floor(h / (heads / kvHeads)).
 */
import type { Tensor } from "@tensorflow/tfjs-core";
import { tf } from "../../tensor";
import { headsMatMul } from "../../tensor/headsMatMul";
import { chain, releaseNow } from "../../tensor/release";
import type { PointNames } from "../hookPoints";
import type { HookContext } from "../hooks";
import type { PointTable } from "../pointSpec";
import { linear } from "./mlp";
import { normalize } from "./norm";
import { applyRotary } from "./rotary";

/**
 * Hook points of the RMSNorm of q and k (attn.q_norm., attn.k_norm.), as TransformerLens names them. Per head (Qwen3,
 * Gemma 3) hook_scale is [batch, pos, head_index, 1]; across heads (OLMo-2) [batch, pos, 1, 1].
 */
const QK_NORM_POINTS = {
  hook_scale: { shape: "[batch, pos, head_index, 1]", rank: 4 },
  hook_normalized: { shape: "[batch, pos, head_index, d_head]", rank: 4 },
} as const satisfies PointTable;

/** Attention's hook points (under blocks.{l}.attn.), in forward order. k, v (and rot_k) have kvHeads heads under GQA. */
export const ATTN_POINTS = {
  hook_q: { shape: "[batch, pos, head_index, d_head]", rank: 4 },
  hook_k: { shape: "[batch, pos, head_index, d_head]", rank: 4 },
  hook_v: { shape: "[batch, pos, head_index, d_head]", rank: 4 },
  q_norm: { points: QK_NORM_POINTS, when: ["qkNorm"] },
  k_norm: { points: QK_NORM_POINTS, when: ["qkNorm"] },
  hook_rot_q: { shape: "[batch, pos, head_index, d_head]", rank: 4, when: ["rotary"] },
  hook_rot_k: { shape: "[batch, pos, head_index, d_head]", rank: 4, when: ["rotary"] },
  hook_attn_scores: { shape: "[batch, head_index, query_pos, key_pos]", rank: 4 },
  hook_pattern: { shape: "[batch, head_index, query_pos, key_pos]", rank: 4 },
  hook_z: { shape: "[batch, pos, head_index, d_head]", rank: 4 },
  hook_result: { shape: "[batch, pos, head_index, d_model]", rank: 4, when: ["useAttnResult"] },
} as const satisfies PointTable;

/** One block's attention weights (TransformerLens's per-head layouts, and W_O flattened for one product). */
export interface AttentionWeights {
  W_Q: Tensor; // [heads, d_model, d_head]
  b_Q: Tensor; // [heads, d_head]
  W_K: Tensor; // [kvHeads, d_model, d_head]
  b_K: Tensor; // [kvHeads, d_head]
  W_V: Tensor; // [kvHeads, d_model, d_head]
  b_V: Tensor; // [kvHeads, d_head]
  W_O: Tensor; // [heads, d_head, d_model]
  Wo: Tensor; // [heads·d_head, d_model]
  b_O: Tensor; // [d_model]
  /** RMSNorm weights of q and k, when the model has them: per head (Qwen3, Gemma 3) or across heads (OLMo-2). */
  qNorm?: Tensor; // [d_head] or [heads·d_head]
  kNorm?: Tensor; // [d_head] or [kvHeads·d_head]
}

/** Shapes and options attention needs. */
export interface AttentionOptions {
  nHeads: number;
  nKvHeads: number;
  dHead: number;
  useAttnScale: boolean;
  useAttnResult: boolean;
  /** cos/sin tables and rotaryDim when the model is rotary. */
  rotary?: { cos: Tensor; sin: Tensor; dim: number; adjacent: boolean };
  /** Shortformer positions [batch, pos, d_model], added to the query and key inputs only. */
  qkPosition?: Tensor;
  /** [1, 1, query, key] boolean mask of allowed positions; [batch, 1, query, key] in a padded batch. */
  mask: Tensor;
  /** The same mask as an additive float bias (0 allowed, −inf not): one broadcast add instead of tile + select. */
  maskBias: Tensor;
  /** The batch has padding: a fully masked query row (padding before a row's first token) gets a zero pattern. */
  padded?: boolean;
  /** RMSNorm eps of the q / k norms (Qwen3, Gemma 3, OLMo-2); set when the model has them. */
  qkNormEps?: number;
  /** The q / k norms normalise over all heads at once (OLMo-2), not per head. */
  qkNormAcrossHeads?: boolean;
  /** Scores are divided by this instead of sqrt(dHead) (Gemma 2 / 3). */
  attnScale?: number;
  /** Attention-logit soft-capping (Gemma 2): scores → cap·tanh(scores / cap) before the mask. */
  attnScoresSoftCap?: number;
  /** Sliding window (Mistral): query q also may not see keys k ≤ q − window. Absent: the mask alone. */
  slidingWindow?: number;
}

/** Keys and values of earlier positions (KV cache), per block: [batch, pos, kvHeads, d_head], post-rotary. */
export interface PastKv {
  past?: [Tensor, Tensor];
  /** Receives this block's keys and values for all positions so far. */
  store(k: Tensor, v: Tensor): void;
}

/** Repeats KV heads so each query head has its own: [b, p, kv, e] → [b, p, heads, e]. */
function repeatKv(x: Tensor, heads: number): Tensor {
  const kv = x.shape[2]!;
  if (kv === heads) return x;
  const groups = heads / kv;
  return tf.gather(
    x,
    Array.from({ length: heads }, (_, h) => Math.floor(h / groups)),
    2,
  );
}

/**
 * Projection of x [b, p, d_model] by per-head weights W [heads, d_model, e] + b [heads, e] → [b, p, heads, e]: one
 * product batched over the heads, reading W in its own layout, so no fused copy of q, k and v's weights is kept.
 */
function project(x: Tensor, w: Tensor, b: Tensor): Tensor {
  const [batch, pos, d] = x.shape as [number, number, number];
  const [heads, , e] = w.shape as [number, number, number];
  return chain(
    x.reshape([1, batch * pos, d]), // [1, b·p, d_model]
    (t) => headsMatMul(t, w), // [heads, b·p, e]
    (t) => t.add(b.reshape([heads, 1, e])), // [heads, b·p, e]
    (t) => t.reshape([heads, batch, pos, e]),
    (t) => t.transpose([1, 2, 0, 3]),
  ); // [b, p, heads, e]
}

/** Per-head projection: x [b, p, heads, d_model] · W [heads, d_model, e] + b [heads, e] → [b, p, heads, e]. */
function perHead(x: Tensor, w: Tensor, b: Tensor): Tensor {
  const [batch, pos, heads, d] = x.shape as [number, number, number, number];
  const y = tf.matMul(x.transpose([2, 0, 1, 3]).reshape([heads, batch * pos, d]), w); // [heads, b·p, e]
  return y.reshape([heads, batch, pos, -1]).transpose([1, 2, 0, 3]).add(b);
}

/**
 * Attention on the normalised input x [batch, pos, d_model], or, with split qkv input, on separate per-head inputs
 * {q: [b, p, heads, d_model], k, v: [b, p, kvHeads, d_model]}, through the hook points `at`. Returns [b, p, d_model].
 */
export function attention(
  ctx: HookContext,
  at: PointNames<typeof ATTN_POINTS>,
  x: Tensor | { q: Tensor; k: Tensor; v: Tensor },
  w: AttentionWeights,
  o: AttentionOptions,
  kv?: PastKv,
): Tensor {
  const split = !(x instanceof tf.Tensor);
  const [batch, pos] = split ? x.q.shape : x.shape;
  const position = o.qkPosition;
  let q: Tensor, k: Tensor, v: Tensor; // [b, p, heads or kvHeads, e]
  if (split) {
    // Per-head inputs (a shortformer's q and k also read W_pos).
    const withPos = (t: Tensor) => (position ? t.add(position.expandDims(2)) : t); // [b, p, heads, d_model]
    [q, k, v] = [perHead(withPos(x.q), w.W_Q, w.b_Q), perHead(withPos(x.k), w.W_K, w.b_K), perHead(x.v, w.W_V, w.b_V)];
  } else {
    // q and k read x (a shortformer's read x + W_pos), v reads x.
    const qkIn = position ? (x as Tensor).add(position) : (x as Tensor); // [b, p, d_model]
    [q, k, v] = [project(qkIn, w.W_Q, w.b_Q), project(qkIn, w.W_K, w.b_K), project(x as Tensor, w.W_V, w.b_V)];
  }
  q = ctx.point(at.hook_q, q); // [b, p, heads, e]
  k = ctx.point(at.hook_k, k); // [b, p, kvHeads, e]
  v = ctx.point(at.hook_v, v); // [b, p, kvHeads, e]
  if (o.qkNormEps !== undefined) {
    const qkNorm = o.qkNormAcrossHeads ? normalizeAcrossHeads : normalize;
    q = qkNorm(ctx, at.q_norm, q, "RMS", o.qkNormEps, { w: w.qNorm }); // [b, p, heads, e]
    k = qkNorm(ctx, at.k_norm, k, "RMS", o.qkNormEps, { w: w.kNorm }); // [b, p, kvHeads, e]
  }
  if (o.rotary) {
    const { cos, sin, dim, adjacent } = o.rotary;
    q = ctx.point(at.hook_rot_q, applyRotary(q, cos, sin, dim, adjacent)); // [b, p, heads, e]
    k = ctx.point(at.hook_rot_k, applyRotary(k, cos, sin, dim, adjacent)); // [b, p, kvHeads, e]
  }
  let [keys, values] = [k, v];
  if (kv) {
    if (kv.past) [keys, values] = [tf.concat([kv.past[0], k], 1), tf.concat([kv.past[1], v], 1)]; // [b, past+pos, kv, e]
    kv.store(keys, values);
  }
  const divisor = o.useAttnScale ? (o.attnScale ?? Math.sqrt(o.dHead)) : 1;
  const cap = o.attnScoresSoftCap;
  // Without soft-capping, q is scaled before q·kᵀ (a pass over [b, p, heads, e], not over the scores).
  const qScaled = cap === undefined && divisor !== 1 ? q.mul(1 / divisor) : q; // [b, p, heads, e]
  const qh = qScaled.transpose([0, 2, 1, 3]); // [b, heads, query, e]
  if (qScaled !== q) releaseNow(qScaled);
  const kh = repeatKv(keys, o.nHeads).transpose([0, 2, 1, 3]); // [b, heads, key, e]
  const vh = repeatKv(values, o.nHeads).transpose([0, 2, 1, 3]); // [b, heads, key, e]
  // The raw scores and their soft-capped steps are temporaries (hook_attn_scores holds the masked ones): each is
  // freed once read, so the masked scores can take its memory.
  const raw = tf.matMul(qh, kh, false, true); // [b, heads, query, key]
  releaseNow(qh, kh);
  let scores = raw;
  if (cap !== undefined)
    scores = chain(
      raw,
      (t) => t.div(divisor),
      (t) => t.div(cap),
      (t) => t.tanh(),
      (t) => t.mul(cap),
    ); // Gemma 2: cap·tanh(scores / cap)
  const allowed = o.slidingWindow ? o.mask.logicalAnd(windowMask(pos, keys.shape[1]!, o.slidingWindow)) : o.mask;
  const masked = o.slidingWindow ? tf.where(allowed, scores, tf.scalar(-Infinity)) : scores.add(o.maskBias);
  releaseNow(raw, scores);
  scores = ctx.point(at.hook_attn_scores, masked); // [b, heads, query, key]
  const pattern = ctx.point(at.hook_pattern, o.padded ? paddedSoftmax(scores, allowed) : tf.softmax(scores)); // [b, heads, query, key]
  const headsFirstZ = tf.matMul(pattern, vh); // [b, heads, pos, e]
  releaseNow(vh);
  const z = ctx.point(at.hook_z, headsFirstZ.transpose([0, 2, 1, 3])); // [b, pos, heads, e]
  releaseNow(headsFirstZ);
  if (o.useAttnResult) {
    const written = tf.matMul(z.transpose([2, 0, 1, 3]).reshape([o.nHeads, batch * pos, o.dHead]), w.W_O); // [heads, b·p, d]
    const result = ctx.point(at.hook_result, written.reshape([o.nHeads, batch, pos, -1]).transpose([1, 2, 0, 3])); // [b, p, heads, d]
    return result.sum(2).add(w.b_O);
  }
  return linear(z.reshape([batch, pos, o.nHeads * o.dHead]), w.Wo, w.b_O); // [b, pos, d_model]
}

/**
 * RMSNorm of q or k [batch, pos, heads, d_head] over all heads at once (OLMo-2 normalises the projected width before
 * splitting it into heads), through the hook points `at`: hook_scale [b, p, 1, 1], hook_normalized [b, p, heads,
 * d_head]; `weights.w` is [heads·d_head].
 */
function normalizeAcrossHeads(
  ctx: HookContext,
  at: PointNames<typeof QK_NORM_POINTS>,
  x: Tensor,
  _type: "RMS",
  eps: number,
  weights: { w?: Tensor },
): Tensor {
  const [, , heads, dHead] = x.shape as [number, number, number, number];
  const scale = ctx.point(at.hook_scale, x.square().mean([2, 3], true).add(eps).sqrt()); // [b, p, 1, 1]
  return ctx.point(at.hook_normalized, x.div(scale).mul(weights.w!.reshape([heads, dHead]))); // [b, p, heads, e]
}

/**
 * Softmax over keys of scores [batch, heads, query, key] whose fully masked query rows (padding before a row's first
 * token) get a zero pattern. Those rows are softmaxed as zeros and then zeroed, never as all −inf, so the backward
 * pass gets no NaN from them (0 · NaN would poison every gradient upstream).
 */
function paddedSoftmax(scores: Tensor, allowed: Tensor): Tensor {
  const seesAKey = tf.broadcastTo(tf.any(allowed, -1, true), scores.shape); // [b, heads, query, key]
  const probs = tf.softmax(tf.where(seesAKey, scores, tf.zerosLike(scores))); // [b, heads, query, key]
  return tf.where(seesAKey, probs, tf.zerosLike(probs));
}

/**
 * Sliding-window mask [1, 1, query, key] for `query` positions that are the last of `key` positions: the query at
 * absolute position q sees keys k with k > q − window (causality is the other mask's job).
 */
export function windowMask(query: number, key: number, window: number): Tensor {
  return tf.tidy(() => {
    const offset = key - query;
    const queryPos = tf.range(offset, key, 1, "int32").reshape([query, 1]);
    const keyPos = tf.range(0, key, 1, "int32").reshape([1, key]);
    return keyPos.greater(queryPos.sub(window)).reshape([1, 1, query, key]);
  });
}

/** Causal mask [1, 1, pos, offset + pos]: key ≤ query, where the queries sit after `offset` cached positions. */
export function causalMask(pos: number, offset = 0): Tensor {
  return tf.tidy(() => {
    const query = tf.range(offset, offset + pos, 1, "int32").reshape([pos, 1]);
    const key = tf.range(0, offset + pos, 1, "int32").reshape([1, offset + pos]);
    return key.lessEqual(query).reshape([1, 1, pos, offset + pos]);
  });
}
