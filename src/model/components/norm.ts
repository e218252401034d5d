/**
 * LayerNorm and RMSNorm with TransformerLens's hook points:
 *   LN:  xc = x − mean(x);  scale = sqrt(mean(xc²) + eps) → hook_scale;  n = xc / scale → hook_normalized;  out = n·w + b
 *   RMS: scale = sqrt(mean(x²) + eps) → hook_scale;  n = x / scale → hook_normalized;  out = n·w
 * LNPre / RMSPre (after folding) skip w and b.
 */
import type { Tensor } from "@tensorflow/tfjs-core";
import type { NormalizationType } from "../../loading/config";
import type { HookContext } from "../hooks";

/** Applies the model's normalisation to x [batch, pos, d_model] under hook prefix `name` ("blocks.0.ln1"). */
export function normalize(
  ctx: HookContext,
  name: string,
  x: Tensor,
  type: NormalizationType,
  eps: number,
  w?: Tensor,
  b?: Tensor,
): Tensor {
  if (type === null) return x;
  const centred = type === "LN" || type === "LNPre" ? x.sub(x.mean(-1, true)) : x;
  const scale = ctx.point(`${name}.hook_scale`, centred.square().mean(-1, true).add(eps).sqrt()); // [b, p, 1]
  const normalized = ctx.point(`${name}.hook_normalized`, centred.div(scale)); // [b, p, d_model]
  if (type === "LN") return normalized.mul(w!).add(b!);
  if (type === "RMS") return normalized.mul(w!);
  return normalized;
}
