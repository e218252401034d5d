/**
 * One transformer block, as TransformerLens's TransformerBlock runs it:
 *   resid_pre                                   → hook_resid_pre
 *   attn_out = Attn(ln1(resid_pre)) + b_O       → hook_attn_out
 *     (split qkv input: q, k and v each read ln1 of their own per-head copy of resid_pre → hook_q/k/v_input)
 *   sequential: resid_mid = resid_pre + attn_out → hook_resid_mid;  mlp_out = MLP(ln2(resid_mid))
 *   parallel:   mlp_out = MLP(ln2(resid_pre))
 *   mlp_out                                     → hook_mlp_out
 *   resid_post = resid_pre + attn_out + mlp_out → hook_resid_post  (attention-only: resid_pre + attn_out)
 * Post-norms (Gemma 2 / 3 around ln1 / ln2, OLMo-2 instead of them): attention's and the MLP's outputs pass through
 * ln1_post / ln2_post (RMSNorm with its weight, never folded) before hook_attn_out / hook_mlp_out, as TransformerLens
 * places them, so those hooks hold what is added to the residual stream.
 */
import type { Tensor } from "@tensorflow/tfjs-core";
import type { TransformerConfig } from "../../loading/config";
import type { PointNames } from "../hookPoints";
import type { HookContext } from "../hooks";
import type { PointTable } from "../pointSpec";
import type { BlockWeights } from "../weights";
import { attention, ATTN_POINTS, AttentionOptions, PastKv } from "./attention";
import { mlp, MLP_POINTS } from "./mlp";
import { normalize, NORM_POINTS } from "./norm";

/** A block's hook points (under blocks.{l}.), its sub-components' among them, in forward order. */
export const BLOCK_POINTS = {
  hook_resid_pre: { shape: "[batch, pos, d_model]", rank: 3 },
  hook_q_input: { shape: "[batch, pos, head_index, d_model]", rank: 4, when: ["useSplitQkvInput"] },
  hook_k_input: { shape: "[batch, pos, head_index, d_model]", rank: 4, when: ["useSplitQkvInput"] },
  hook_v_input: { shape: "[batch, pos, head_index, d_model]", rank: 4, when: ["useSplitQkvInput"] },
  ln1: { points: NORM_POINTS, when: ["norm", "preNorm"], headAxisWhen: "useSplitQkvInput" },
  attn: { points: ATTN_POINTS },
  ln1_post: { points: NORM_POINTS, when: ["postNorm"] },
  hook_attn_out: { shape: "[batch, pos, d_model]", rank: 3 },
  hook_resid_mid: { shape: "[batch, pos, d_model]", rank: 3, when: ["mlp", "sequential"] },
  ln2: { points: NORM_POINTS, when: ["mlp", "norm", "preNorm"] },
  mlp: { points: MLP_POINTS, when: ["mlp"] },
  ln2_post: { points: NORM_POINTS, when: ["mlp", "postNorm"] },
  hook_mlp_out: { shape: "[batch, pos, d_model]", rank: 3, when: ["mlp"] },
  hook_resid_post: { shape: "[batch, pos, d_model]", rank: 3 },
} as const satisfies PointTable;

/** Block `at` on the residual stream entering it, [batch, pos, d_model]; returns the stream leaving it. */
export function block(
  ctx: HookContext,
  at: PointNames<typeof BLOCK_POINTS>,
  cfg: TransformerConfig,
  w: BlockWeights,
  attnOptions: AttentionOptions,
  kv: PastKv | undefined,
  residIn: Tensor,
): Tensor {
  const { eps } = cfg;
  const norm = cfg.normPlacement === "post" ? null : cfg.normalizationType; // OLMo-2 has no pre-norms
  const residPre = ctx.point(at.hook_resid_pre, residIn); // [b, p, d_model]
  const ln1 = (x: Tensor) => normalize(ctx, at.ln1, x, norm, eps, w.ln1);
  const headCopy = (hook: typeof at.hook_q_input, heads: number) =>
    ln1(ctx.point(hook, residPre.expandDims(2).tile([1, 1, heads, 1]))); // [b, p, heads, d_model]
  const kvHeads = attnOptions.nKvHeads;
  const attnIn = cfg.useSplitQkvInput // ln1 then runs three times, as in TransformerLens
    ? { q: headCopy(at.hook_q_input, cfg.nHeads), k: headCopy(at.hook_k_input, kvHeads), v: headCopy(at.hook_v_input, kvHeads) }
    : ln1(residPre); // [b, p, d_model]
  // Post-norms are RMSNorms that keep their weights (weight processing cannot fold them).
  const postNorm = (points: typeof at.ln1_post, x: Tensor, weights: BlockWeights["ln1Post"]) =>
    cfg.normPlacement ? normalize(ctx, points, x, "RMS", eps, weights) : x;
  const attnRaw = attention(ctx, at.attn, attnIn, w.attn, attnOptions, kv); // [b, p, d_model]
  const attnOut = ctx.point(at.hook_attn_out, postNorm(at.ln1_post, attnRaw, w.ln1Post)); // [b, p, d_model]
  if (cfg.attnOnly) return ctx.point(at.hook_resid_post, residPre.add(attnOut)); // [b, p, d_model]
  const mlpInput = cfg.parallelAttnMlp ? residPre : ctx.point(at.hook_resid_mid, residPre.add(attnOut)); // [b, p, d_model]
  const mlpIn = normalize(ctx, at.ln2, mlpInput, norm, eps, w.ln2); // [b, p, d_model]
  const mlpRaw = mlp(ctx, at.mlp, mlpIn, w.mlp!, cfg.actFn); // [b, p, d_model]
  const mlpOut = ctx.point(at.hook_mlp_out, postNorm(at.ln2_post, mlpRaw, w.ln2Post)); // [b, p, d_model]
  const residPost = cfg.parallelAttnMlp ? residPre.add(attnOut).add(mlpOut) : mlpInput.add(mlpOut); // [b, p, d_model]
  return ctx.point(at.hook_resid_post, residPost);
}
