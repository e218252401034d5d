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
import { rotaryTables } from "./components/rotary";
import { modelPointNames } from "./hookPoints";
import type { HookContext } from "./hooks";
import type { PastPositions } from "./kvCache";
import type { ModelWeights } from "./weights";

export { fuseWeights } from "./weights";
export type { BlockWeights, ModelWeights } from "./weights";

/** A forward that starts inside the model: `resid` [batch, pos, d_model] is the input of block `layer`. */
export interface StartAtLayer {
  layer: number;
  resid: Tensor;
}

/** What every block's attention shares in one forward: head counts, the mask, rotary tables, shortformer positions. */
function attentionOptions(cfg: TransformerConfig, pos: number, offset: number, qkPosition?: Tensor): AttentionOptions {
  const rotary =
    cfg.positionalEmbeddingType === "rotary"
      ? (() => {
          const [cos, sin] = rotaryTables(pos, cfg.rotaryDim, cfg.rotaryBase, cfg.rotaryAdjacentPairs, offset, cfg.ropeScaling);
          return { cos, sin, dim: cfg.rotaryDim, adjacent: cfg.rotaryAdjacentPairs }; // cos, sin: [1, pos, 1, rotaryDim]
        })()
      : undefined;
  return {
    nHeads: cfg.nHeads,
    nKvHeads: cfg.nKeyValueHeads ?? cfg.nHeads,
    dHead: cfg.dHead,
    useAttnScale: cfg.useAttnScale,
    useAttnResult: cfg.useAttnResult,
    rotary,
    qkPosition,
    mask: causalMask(pos, offset), // [1, 1, pos, offset + pos]
    slidingWindow: cfg.slidingWindow,
  };
}

/**
 * Runs tokens [batch, pos] (int32) through the model; returns logits [batch, pos, d_vocab_out],
 * or the residual stream before `stopAtLayer` when given. With `{ layer, resid }` instead of tokens it
 * starts at block `layer` (TransformerLens's start_at_layer; the embedding hooks do not run). With a KV
 * cache, the tokens follow the cached positions and their keys/values are added to it. Call inside
 * tf.tidy; cached activations are tf.keep()-ed (the caller owns them, also when the forward throws).
 */
export function forward(
  cfg: TransformerConfig,
  w: ModelWeights,
  ctx: HookContext,
  input: Tensor | StartAtLayer,
  stopAtLayer?: number,
  kvCache?: PastPositions,
): Tensor {
  const at = modelPointNames(cfg.nLayers);
  const start = "resid" in input ? input : undefined;
  const [batch, pos] = start ? start.resid.shape : (input as Tensor).shape;
  const offset = kvCache?.length ?? 0;
  let resid: Tensor; // [b, p, d_model]
  let qkPosition: Tensor | undefined; // [b, p, d_model], shortformer only
  if (start) {
    resid = start.resid;
    if (cfg.positionalEmbeddingType === "shortformer") qkPosition = positions(cfg, w.W_pos, batch, pos, offset);
  } else ({ resid, qkPosition } = embed(ctx, at, cfg, w, input as Tensor, offset));
  const attnOptions = attentionOptions(cfg, pos, offset, qkPosition);
  const layers = stopAtLayer ?? cfg.nLayers;
  for (let l = start?.layer ?? 0; l < layers; l++) {
    // One tidy per block: its intermediates are freed before the next block runs (cached ones are kept).
    const blockIn = resid;
    resid = tf.tidy(() => block(ctx, at.blocks[l], cfg, w.blocks[l], attnOptions, kvCache?.forLayer(l), blockIn));
  }
  if (stopAtLayer !== undefined) return resid;
  const normalized = normalize(ctx, at.ln_final, resid, cfg.normalizationType, cfg.eps, w.lnFinal); // [b, p, d_model]
  return linear(normalized, w.W_U, w.b_U); // [b, p, d_vocab_out]
}
