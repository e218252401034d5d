/**
 * The forward pass, block by block, as TransformerLens's HookedTransformer runs it:
 *
 *   resid = W_E[tokens] (+ W_pos)                       hook_embed, hook_pos_embed
 *   for each block:
 *     resid_pre                                          blocks.l.hook_resid_pre
 *     attn_out = Attn(ln1(resid_pre))                    blocks.l.hook_attn_out
 *       (shortformer: W_pos is not in resid; q and k read ln1(resid_pre) + W_pos, v reads ln1(resid_pre))
 *     sequential: resid_mid = resid_pre + attn_out;  mlp_out = MLP(ln2(resid_mid))
 *     parallel:   mlp_out = MLP(ln2(resid_pre))
 *     resid_post = resid_pre + attn_out + mlp_out        blocks.l.hook_resid_post
 *   logits = ln_final(resid)·W_U + b_U
 */
import type { Tensor } from "@tensorflow/tfjs-core";
import { tf } from "../tensor";
import type { TransformerConfig } from "../loading/config";
import { attention, AttentionWeights, causalMask } from "./components/attention";
import type { PastPositions } from "./kvCache";
import { linear, mlp, MlpWeights } from "./components/mlp";
import { normalize } from "./components/norm";
import { rotaryTables } from "./components/rotary";
import type { HookContext } from "./hooks";

/** Parameters of one block, ready for the forward pass. */
export interface BlockWeights {
  ln1: { w?: Tensor; b?: Tensor };
  ln2: { w?: Tensor; b?: Tensor };
  attn: AttentionWeights;
  mlp?: MlpWeights;
}

/** All parameters the forward pass reads. */
export interface ModelWeights {
  W_E: Tensor; // [d_vocab, d_model]
  W_pos?: Tensor; // [n_ctx, d_model]
  blocks: BlockWeights[];
  lnFinal: { w?: Tensor; b?: Tensor };
  W_U: Tensor; // [d_model, d_vocab_out]
  /** [d_vocab_out]; undefined when it is all zeros (GPT-2, Llama and Pythia have none), to skip the add. */
  b_U?: Tensor;
}

/** A forward that starts inside the model: `resid` [batch, pos, d_model] is the input of block `layer`. */
export interface StartAtLayer {
  layer: number;
  resid: Tensor;
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
  const start = "resid" in input ? input : undefined;
  const [batch, pos] = start ? start.resid.shape : (input as Tensor).shape;
  const offset = kvCache?.length ?? 0;
  let resid = start ? start.resid : ctx.point("hook_embed", tf.gather(w.W_E, input as Tensor)); // [b, p, d_model]
  let qkPosition: Tensor | undefined;
  if (cfg.positionalEmbeddingType !== "rotary") {
    const posEmbed = w.W_pos!.slice([offset, 0], [pos, cfg.dModel]).expandDims(0).tile([batch, 1, 1]); // [b, p, d_model]
    if (start) qkPosition = cfg.positionalEmbeddingType === "shortformer" ? posEmbed : undefined;
    else {
      const hooked = ctx.point("hook_pos_embed", posEmbed);
      if (cfg.positionalEmbeddingType === "standard") resid = resid.add(hooked);
      else qkPosition = hooked;
    }
  }
  const mask = causalMask(pos, offset);
  const rotary =
    cfg.positionalEmbeddingType === "rotary"
      ? (() => {
          const [cos, sin] = rotaryTables(pos, cfg.rotaryDim, cfg.rotaryBase, cfg.rotaryAdjacentPairs, offset, cfg.ropeScaling);
          return { cos, sin, dim: cfg.rotaryDim, adjacent: cfg.rotaryAdjacentPairs };
        })()
      : undefined;
  const attnOptions = {
    nHeads: cfg.nHeads,
    nKvHeads: cfg.nKeyValueHeads ?? cfg.nHeads,
    dHead: cfg.dHead,
    useAttnScale: cfg.useAttnScale,
    useAttnResult: cfg.useAttnResult,
    rotary,
    qkPosition,
    mask,
  };
  const kvHeads = cfg.nKeyValueHeads ?? cfg.nHeads;
  const layers = stopAtLayer === undefined ? cfg.nLayers : stopAtLayer;
  const block = (l: number, residIn: Tensor): Tensor => {
    const name = `blocks.${l}`;
    const bw = w.blocks[l];
    const residPre = ctx.point(`${name}.hook_resid_pre`, residIn);
    const ln1 = (x: Tensor) => normalize(ctx, `${name}.ln1`, x, cfg.normalizationType, cfg.eps, bw.ln1.w, bw.ln1.b);
    const perHeadInput = (hook: string, heads: number) =>
      ln1(ctx.point(`${name}.${hook}`, residPre.expandDims(2).tile([1, 1, heads, 1])));
    const attnIn = cfg.useSplitQkvInput // [b, p, heads, d_model] each; ln1 then runs three times, as in TransformerLens
      ? {
          q: perHeadInput("hook_q_input", cfg.nHeads),
          k: perHeadInput("hook_k_input", kvHeads),
          v: perHeadInput("hook_v_input", kvHeads),
        }
      : ln1(residPre);
    const attnOut = ctx.point(`${name}.hook_attn_out`, attention(ctx, name, attnIn, bw.attn, attnOptions, kvCache?.forLayer(l)));
    if (cfg.attnOnly) return ctx.point(`${name}.hook_resid_post`, residPre.add(attnOut));
    const mlpInput = cfg.parallelAttnMlp ? residPre : ctx.point(`${name}.hook_resid_mid`, residPre.add(attnOut));
    const mlpIn = normalize(ctx, `${name}.ln2`, mlpInput, cfg.normalizationType, cfg.eps, bw.ln2.w, bw.ln2.b);
    const mlpOut = ctx.point(`${name}.hook_mlp_out`, mlp(ctx, name, mlpIn, bw.mlp!, cfg.actFn));
    return ctx.point(`${name}.hook_resid_post`, cfg.parallelAttnMlp ? residPre.add(attnOut).add(mlpOut) : mlpInput.add(mlpOut));
  };
  for (let l = start?.layer ?? 0; l < layers; l++) {
    // One tidy per block: its intermediates are freed before the next block runs (cached ones are kept).
    resid = tf.tidy(() => block(l, resid));
  }
  if (stopAtLayer !== undefined) return resid;
  const normalized = normalize(ctx, "ln_final", resid, cfg.normalizationType, cfg.eps, w.lnFinal.w, w.lnFinal.b);
  return linear(normalized, w.W_U, w.b_U); // [b, p, d_vocab_out]
}

/**
 * The weights the forward pass reads, from TransformerLens-named parameters: per-head
 * matrices fused into [d_model, heads·d_head] for one matMul per projection. `created`
 * lists the new (fused) tensors; the rest are the parameters themselves. Differentiable,
 * so training can call it inside a gradient tape.
 */
export function fuseWeights(
  cfg: TransformerConfig,
  params: ReadonlyMap<string, Tensor>,
): { weights: ModelWeights; created: Tensor[] } {
  const p = (name: string) => params.get(name);
  const created: Tensor[] = [];
  const made = (t: Tensor) => (created.push(t), t);
  const kvHeads = cfg.nKeyValueHeads ?? cfg.nHeads;
  const blocks: BlockWeights[] = Array.from({ length: cfg.nLayers }, (_, l) => {
    const b = `blocks.${l}.`;
    const kv = (n: string) => p(`${b}attn.${n}`) ?? p(`${b}attn._${n}`)!;
    const flat = (w: Tensor, heads: number) => made(w.transpose([1, 0, 2]).reshape([cfg.dModel, heads * cfg.dHead])); // [d_model, heads·e]
    const flatBias = (t: Tensor) => made(t.reshape([-1]));
    return {
      ln1: { w: p(`${b}ln1.w`), b: p(`${b}ln1.b`) },
      ln2: { w: p(`${b}ln2.w`), b: p(`${b}ln2.b`) },
      attn: {
        W_Q: p(`${b}attn.W_Q`)!,
        b_Q: p(`${b}attn.b_Q`)!,
        W_K: kv("W_K"),
        b_K: kv("b_K"),
        W_V: kv("W_V"),
        b_V: kv("b_V"),
        Wq: flat(p(`${b}attn.W_Q`)!, cfg.nHeads),
        bq: flatBias(p(`${b}attn.b_Q`)!),
        Wk: flat(kv("W_K"), kvHeads),
        bk: flatBias(kv("b_K")),
        Wv: flat(kv("W_V"), kvHeads),
        bv: flatBias(kv("b_V")),
        W_O: p(`${b}attn.W_O`)!,
        Wo: made(p(`${b}attn.W_O`)!.reshape([cfg.nHeads * cfg.dHead, cfg.dModel])), // [heads·e, d_model]
        b_O: p(`${b}attn.b_O`)!,
      },
      mlp: cfg.attnOnly
        ? undefined
        : {
            W_in: p(`${b}mlp.W_in`)!,
            b_in: p(`${b}mlp.b_in`)!,
            W_out: p(`${b}mlp.W_out`)!,
            b_out: p(`${b}mlp.b_out`)!,
            W_gate: p(`${b}mlp.W_gate`),
          },
    };
  });
  const weights: ModelWeights = {
    W_E: p("embed.W_E")!,
    W_pos: p("pos_embed.W_pos"),
    blocks,
    lnFinal: { w: p("ln_final.w"), b: p("ln_final.b") },
    W_U: p("unembed.W_U")!,
    b_U: p("unembed.b_U")!,
  };
  return { weights, created };
}
