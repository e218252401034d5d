/**
 * Token and position embeddings, as TransformerLens's Embed and PosEmbed:
 *   embed     = W_E[tokens]              → hook_embed       [batch, pos, d_model]
 *   pos_embed = W_pos[offset … offset+p] → hook_pos_embed   [batch, pos, d_model]
 * "standard" positions join the residual stream; "shortformer" ones join only the query and key inputs of every
 * layer; rotary models have no W_pos (their positions rotate q and k inside attention).
 */
import type { Tensor } from "@tensorflow/tfjs-core";
import type { TransformerConfig } from "../../loading/config";
import { tf } from "../../tensor";
import type { PointNames } from "../hookPoints";
import type { HookContext } from "../hooks";
import type { PointTable } from "../pointSpec";

/** The embeddings' hook points (top-level names), in forward order. */
export const EMBED_POINTS = {
  hook_embed: { shape: "[batch, pos, d_model]", rank: 3 },
  hook_pos_embed: { shape: "[batch, pos, d_model]", rank: 3, when: ["notRotary"] },
} as const satisfies PointTable;

/** The residual stream entering block 0, and (shortformer) the positions the query and key inputs add. */
export interface Embedded {
  resid: Tensor; // [batch, pos, d_model]
  qkPosition?: Tensor; // [batch, pos, d_model]
}

/**
 * W_pos rows offset … offset+pos−1 for every batch row, or the rows `positionIds` [batch, pos] names (a padded
 * batch), as [batch, pos, d_model]; undefined for rotary models.
 */
export function positions(
  cfg: TransformerConfig,
  W_pos: Tensor | undefined,
  batch: number,
  pos: number,
  offset: number,
  positionIds?: Tensor,
): Tensor | undefined {
  if (cfg.positionalEmbeddingType === "rotary") return undefined;
  if (positionIds) return tf.gather(W_pos!, positionIds); // [b, p, d_model]
  return W_pos!.slice([offset, 0], [pos, cfg.dModel]).expandDims(0).tile([batch, 1, 1]); // [b, p, d_model]
}

/**
 * Embeds tokens [batch, pos] (int32) that follow `offset` earlier positions, through the hook points `at`; with
 * `positionIds` [batch, pos] (a padded batch), each token's position is its row's id there.
 */
export function embed(
  ctx: HookContext,
  at: PointNames<typeof EMBED_POINTS>,
  cfg: TransformerConfig,
  weights: { W_E: Tensor; W_pos?: Tensor },
  tokens: Tensor,
  offset: number,
  positionIds?: Tensor,
): Embedded {
  const [batch, pos] = tokens.shape;
  const resid = ctx.point(at.hook_embed, tf.gather(weights.W_E, tokens)); // [b, p, d_model]
  const posEmbed = positions(cfg, weights.W_pos, batch, pos, offset, positionIds);
  if (posEmbed === undefined) return { resid };
  const hooked = ctx.point(at.hook_pos_embed, posEmbed); // [b, p, d_model]
  return cfg.positionalEmbeddingType === "standard" ? { resid: resid.add(hooked) } : { resid, qkPosition: hooked };
}
