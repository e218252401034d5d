/**
 * The forward pass, as TransformerLens's HookedTransformer runs it:
 *
 *   resid = W_E[tokens] (+ W_pos)                       hook_embed, hook_pos_embed          (components/embed.ts)
 *   for each block l:  resid = Block_l(resid)           blocks.l.hook_resid_pre … post      (components/block.ts)
 *   logits = ln_final(resid)·W_U + b_U                  ln_final.hook_scale, hook_normalized
 *
 * Every hook point name comes from the components' tables (hookPoints.ts), so the names fired here and those
 * `hookNames(cfg)` lists are one declaration.
 */
import type { Tensor } from "@tensorflow/tfjs-core";
import type { TransformerConfig } from "../loading/config";
import { tf } from "../tensor";
import { AttentionOptions, causalMask } from "./components/attention";
import { block } from "./components/block";
import { embed, positions } from "./components/embed";
import { linear } from "./components/mlp";
import { normalize } from "./components/norm";
import { rotaryTables, rotaryTablesAt } from "./components/rotary";
import { modelPointNames } from "./hookPoints";
import type { HookContext } from "./hooks";
import type { PastPositions } from "./kvCache";
import type { ModelWeights } from "./weights";

export { forwardWeights } from "./weights";
export type { BlockWeights, ModelWeights } from "./weights";

/** A forward that starts inside the model: `resid` [batch, pos, d_model] is the input of block `layer`. */
export interface StartAtLayer {
  layer: number;
  resid: Tensor;
}

/** A padded batch: its mask [batch, pos] (1 = real token) and each token's position id [batch, pos]. */
interface Padding {
  mask: Tensor;
  positionIds: Tensor;
}

/**
 * The padding of a batch from its mask [batch, past + pos] (1 = real token, 0 = padding) for the last `pos`
 * positions: a token's position is the number of real tokens before it in its row (TransformerLens: cumulative sum of
 * the mask − 1, at least 0).
 */
function paddingOf(mask: Tensor, pos: number): Padding {
  const [batch, keys] = mask.shape as [number, number];
  const allIds = tf.maximum(tf.cumsum(mask.cast("int32"), 1).sub(1), 0).cast("int32"); // [b, past + p]
  return { mask, positionIds: allIds.slice([0, keys - pos], [batch, pos]) }; // [b, p]
}

/** What every block's attention shares in one forward: head counts, the mask, rotary tables, shortformer positions. */
function attentionOptions(
  cfg: TransformerConfig,
  pos: number,
  offset: number,
  qkPosition?: Tensor,
  padding?: Padding,
  local = false,
): AttentionOptions {
  const rotary =
    cfg.positionalEmbeddingType === "rotary"
      ? (() => {
          const { rotaryDim, rotaryAdjacentPairs } = cfg;
          // Gemma 3's local layers rotate with their own base and no scaling.
          const ownLocalRope = local && cfg.rotaryBaseLocal !== undefined;
          const rotaryBase = ownLocalRope ? cfg.rotaryBaseLocal! : cfg.rotaryBase;
          const ropeScaling = ownLocalRope ? null : cfg.ropeScaling;
          const [cos, sin] = padding
            ? rotaryTablesAt(padding.positionIds, rotaryDim, rotaryBase, rotaryAdjacentPairs, ropeScaling) // [b, pos, 1, rotaryDim]
            : rotaryTables(pos, rotaryDim, rotaryBase, rotaryAdjacentPairs, offset, ropeScaling); // [1, pos, 1, rotaryDim]
          return { cos, sin, dim: rotaryDim, adjacent: rotaryAdjacentPairs };
        })()
      : undefined;
  const causal = causalMask(pos, offset); // [1, 1, pos, offset + pos]
  const realKeys = padding?.mask.cast("bool").reshape([-1, 1, 1, offset + pos]); // [b, 1, 1, offset + pos]
  const mask = realKeys ? causal.logicalAnd(realKeys) : causal; // [1 or b, 1, pos, offset + pos]
  return {
    nHeads: cfg.nHeads,
    nKvHeads: cfg.nKeyValueHeads ?? cfg.nHeads,
    dHead: cfg.dHead,
    useAttnScale: cfg.useAttnScale,
    useAttnResult: cfg.useAttnResult,
    rotary,
    qkPosition,
    mask,
    maskBias: tf.where(mask, tf.zeros(mask.shape), tf.fill(mask.shape, -Infinity)), // [1 or b, 1, pos, offset + pos]
    padded: padding !== undefined,
    // With localLayers (Gemma 2 / 3) only the local layers slide; otherwise every layer does (Mistral).
    slidingWindow: cfg.localLayers && !local ? undefined : cfg.slidingWindow,
    qkNormEps: cfg.qkNorm ? cfg.eps : undefined,
    qkNormAcrossHeads: cfg.qkNormAcrossHeads,
    attnScale: cfg.attnScale,
    attnScoresSoftCap: cfg.attnScoresSoftCap,
  };
}

/**
 * Runs tokens [batch, pos] (int32) through the model; returns logits [batch, pos, d_vocab_out],
 * or the residual stream before `stopAtLayer` when given. With `{ layer, resid }` instead of tokens it
 * starts at block `layer` (TransformerLens's start_at_layer; the embedding hooks do not run). With a KV
 * cache, the tokens follow the cached positions and their keys/values are added to it. With `attentionMask`
 * [batch, past + pos] (1 = real token, 0 = padding; checked by the caller), padding keys are masked out of attention and
 * each row's positions count from its first real token. Call inside tf.tidy; cached activations are tf.keep()-ed
 * (the caller owns them, also when the forward throws).
 */
export function forward(
  cfg: TransformerConfig,
  w: ModelWeights,
  ctx: HookContext,
  input: Tensor | StartAtLayer,
  stopAtLayer?: number,
  kvCache?: PastPositions,
  attentionMask?: Tensor,
): Tensor {
  const at = modelPointNames(cfg.nLayers);
  const start = "resid" in input ? input : undefined;
  const [batch, pos] = start ? start.resid.shape : (input as Tensor).shape;
  const offset = kvCache?.length ?? 0;
  if (attentionMask && attentionMask.shape[1] !== offset + pos)
    throw new Error(`attentionMask must cover the ${offset} cached and ${pos} new positions, got [${attentionMask.shape}]`);
  const padding = attentionMask ? paddingOf(attentionMask, pos) : undefined;
  let resid: Tensor; // [b, p, d_model]
  let qkPosition: Tensor | undefined; // [b, p, d_model], shortformer only
  if (start) {
    resid = start.resid;
    if (cfg.positionalEmbeddingType === "shortformer")
      qkPosition = positions(cfg, w.W_pos, batch, pos, offset, padding?.positionIds);
  } else ({ resid, qkPosition } = embed(ctx, at, cfg, w, input as Tensor, offset, padding?.positionIds));
  const globalOptions = attentionOptions(cfg, pos, offset, qkPosition, padding);
  const localOptions = cfg.localLayers ? attentionOptions(cfg, pos, offset, qkPosition, padding, true) : globalOptions;
  const layers = stopAtLayer ?? cfg.nLayers;
  for (let l = start?.layer ?? 0; l < layers; l++) {
    // One tidy per block: its intermediates are freed before the next block runs (cached ones are kept).
    const blockIn = resid;
    const options = cfg.localLayers?.[l] ? localOptions : globalOptions;
    resid = tf.tidy(() => block(ctx, at.blocks[l], cfg, w.blocks[l], options, kvCache?.forLayer(l), blockIn));
  }
  if (stopAtLayer !== undefined) return resid;
  const normalized = normalize(ctx, at.ln_final, resid, cfg.normalizationType, cfg.eps, w.lnFinal); // [b, p, d_model]
  const logits = linear(normalized, w.W_U, w.b_U); // [b, p, d_vocab_out]
  const cap = cfg.outputLogitsSoftCap; // Gemma 2: cap·tanh(logits / cap)
  return cap === undefined ? logits : logits.div(cap).tanh().mul(cap);
}
