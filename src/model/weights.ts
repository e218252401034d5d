/**
 * The weights the forward pass reads: the parameters by role, in TransformerLens's layouts (q, k and v are projected
 * by products batched over the heads, so no fused copy of their weights is kept), with W_O seen as one
 * [heads·d_head, d_model] matrix (a reshape: it shares the parameter's memory).
 */
import type { Tensor } from "@tensorflow/tfjs-core";
import type { TransformerConfig } from "../loading/config";
import type { AttentionWeights } from "./components/attention";
import type { MlpWeights } from "./components/mlp";
import type { NormWeights } from "./components/norm";

/** Parameters of one block, ready for the forward pass. */
export interface BlockWeights {
  ln1: NormWeights;
  ln2: NormWeights;
  /** Norms on the attention / MLP outputs (Gemma 2 / 3, OLMo-2). */
  ln1Post?: NormWeights;
  ln2Post?: NormWeights;
  attn: AttentionWeights;
  mlp?: MlpWeights;
}

/** All parameters the forward pass reads. */
export interface ModelWeights {
  W_E: Tensor; // [d_vocab, d_model]
  W_pos?: Tensor; // [n_ctx, d_model]
  blocks: BlockWeights[];
  lnFinal: NormWeights;
  W_U: Tensor; // [d_model, d_vocab_out]
  /** [d_vocab_out]; undefined when it is all zeros (GPT-2, Llama and Pythia have none), to skip the add. */
  b_U?: Tensor;
}

/**
 * The weights the forward pass reads, from TransformerLens-named parameters. `created` lists the new tensors (W_O's
 * reshape); the rest are the parameters themselves. Differentiable, so training can call it inside a gradient tape.
 */
export function forwardWeights(
  cfg: TransformerConfig,
  params: ReadonlyMap<string, Tensor>,
): { weights: ModelWeights; created: Tensor[] } {
  const p = (name: string) => params.get(name);
  const created: Tensor[] = [];
  const made = (t: Tensor) => (created.push(t), t);
  const blocks: BlockWeights[] = Array.from({ length: cfg.nLayers }, (_, l) => {
    const b = `blocks.${l}.`;
    const kv = (n: string) => p(`${b}attn.${n}`) ?? p(`${b}attn._${n}`)!;
    return {
      ln1: { w: p(`${b}ln1.w`), b: p(`${b}ln1.b`) },
      ln2: { w: p(`${b}ln2.w`), b: p(`${b}ln2.b`) },
      ln1Post: { w: p(`${b}ln1_post.w`) },
      ln2Post: { w: p(`${b}ln2_post.w`) },
      attn: {
        W_Q: p(`${b}attn.W_Q`)!,
        b_Q: p(`${b}attn.b_Q`)!,
        W_K: kv("W_K"),
        b_K: kv("b_K"),
        W_V: kv("W_V"),
        b_V: kv("b_V"),
        W_O: p(`${b}attn.W_O`)!,
        Wo: made(p(`${b}attn.W_O`)!.reshape([cfg.nHeads * cfg.dHead, cfg.dModel])), // [heads·e, d_model]
        b_O: p(`${b}attn.b_O`)!,
        qNorm: p(`${b}attn.q_norm.w`),
        kNorm: p(`${b}attn.k_norm.w`),
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
