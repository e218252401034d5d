/**
 * LayerNorm and RMSNorm with TransformerLens's hook points:
 *   LN:  xc = x − mean(x);  scale = sqrt(mean(xc²) + eps) → hook_scale;  n = xc / scale → hook_normalized;  out = n·w + b
 *   RMS: scale = sqrt(mean(x²) + eps) → hook_scale;  n = x / scale → hook_normalized;  out = n·w
 * LNPre / RMSPre (after folding) skip w and b.
 */
import type { Tensor } from "@tensorflow/tfjs-core";
import type { NormalizationType } from "../../loading/config";
import type { PointNames } from "../hookPoints";
import type { HookContext } from "../hooks";
import type { PointTable } from "../pointSpec";

/** A norm's hook points (ln1, ln2 and ln_final alike), in forward order. */
export const NORM_POINTS = {
  hook_scale: { shape: "[batch, pos, 1]", rank: 3 },
  hook_normalized: { shape: "[batch, pos, d_model]", rank: 3 },
} as const satisfies PointTable;

/** A norm's weights: w (and b for LN), absent once folded. */
export interface NormWeights {
  w?: Tensor; // [d_model]
  b?: Tensor; // [d_model]
}

/** Applies the model's normalisation to x [batch, pos, (head,) d_model] through the hook points `at`. */
export function normalize(
  ctx: HookContext,
  at: PointNames<typeof NORM_POINTS>,
  x: Tensor,
  type: NormalizationType,
  eps: number,
  weights: NormWeights = {},
): Tensor {
  if (type === null) return x;
  const centred = type === "LN" || type === "LNPre" ? x.sub(x.mean(-1, true)) : x; // [b, p, d_model]
  const scale = ctx.point(at.hook_scale, centred.square().mean(-1, true).add(eps).sqrt()); // [b, p, 1]
  const normalized = ctx.point(at.hook_normalized, centred.div(scale)); // [b, p, d_model]
  if (type === "LN") return normalized.mul(weights.w!).add(weights.b!);
  if (type === "RMS") return normalized.mul(weights.w!);
  return normalized;
}
