/**
 * LayerNorm and RMSNorm with TransformerLens's hook points:
 *   LN:  xc = x − mean(x);  scale = sqrt(mean(xc²) + eps) → hook_scale;  out = (xc / scale)·w + b → hook_normalized
 *   RMS: scale = sqrt(mean(x²) + eps) → hook_scale;  out = (x / scale)·w → hook_normalized
 * LNPre / RMSPre (after folding) skip w and b. As in TransformerLens, hook_normalized is the norm's output: it holds
 * the weight (and bias) whenever they are not folded, so it equals Hugging Face's norm output.
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
  const unit = centred.div(scale); // [b, p, d_model]
  if (type === "LN") return ctx.point(at.hook_normalized, unit.mul(weights.w!).add(weights.b!)); // [b, p, d_model]
  if (type === "RMS") return ctx.point(at.hook_normalized, unit.mul(weights.w!)); // [b, p, d_model]
  return ctx.point(at.hook_normalized, unit); // [b, p, d_model]
}
