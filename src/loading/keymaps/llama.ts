/**
 * LlamaForCausalLM → TransformerLens parameters: RMSNorm weights, q/k/v/o
 * projections reshaped per head (K/V with n_key_value_heads under `_W_K`/`_W_V`
 * for grouped-query attention), SwiGLU gate/up/down, tied or untied unembedding.
 * Llama has no biases; zero biases are filled in, as TransformerLens does.
 */
import { tf } from "../../tensor";
import type { TransformerConfig } from "../config";
import type { KeyMap, Params, WeightReader } from "./types";

/** A block's norms: Hugging Face name under model.layers.{l}. → TransformerLens name under blocks.{l}. */
export type LayerNorms = readonly (readonly [string, string])[];

const LLAMA_NORMS: LayerNorms = [
  ["input_layernorm", "ln1"],
  ["post_attention_layernorm", "ln2"],
];

/** Maps Llama checkpoints. */
export const llamaKeyMap: KeyMap = (reader, cfg, hf) => llamaLayout(reader, cfg, hf, LLAMA_NORMS);

/** Maps checkpoints in Llama's layout whose blocks hold the RMSNorm weights `norms` (Gemma 2, OLMo-2 differ). */
export async function llamaLayout(
  reader: WeightReader,
  cfg: TransformerConfig,
  hf: Record<string, unknown>,
  norms: LayerNorms,
): Promise<Params> {
  const { dModel: d, nHeads: h, dHead: e, dMlp: m, dVocab: v } = cfg;
  const kv = cfg.nKeyValueHeads ?? h;
  const kvPrefix = cfg.nKeyValueHeads === null ? "" : "_";
  const params: Params = new Map();
  const perHead = async (key: string, heads: number) => {
    const w = await reader.get(key, [heads * e, d]);
    const out = tf.tidy(() => w.reshape([heads, e, d]).transpose([0, 2, 1])); // [heads, d, e]
    w.dispose();
    return out;
  };
  params.set("embed.W_E", await reader.get("model.embed_tokens.weight", [v, d]));
  for (let l = 0; l < cfg.nLayers; l++) {
    const hp = `model.layers.${l}.`;
    const tl = `blocks.${l}.`;
    for (const [hfNorm, tlNorm] of norms) params.set(`${tl}${tlNorm}.w`, await reader.get(`${hp}${hfNorm}.weight`, [d]));
    params.set(`${tl}attn.W_Q`, await perHead(`${hp}self_attn.q_proj.weight`, h));
    params.set(`${tl}attn.${kvPrefix}W_K`, await perHead(`${hp}self_attn.k_proj.weight`, kv));
    params.set(`${tl}attn.${kvPrefix}W_V`, await perHead(`${hp}self_attn.v_proj.weight`, kv));
    params.set(`${tl}attn.b_Q`, tf.zeros([h, e]));
    params.set(`${tl}attn.${kvPrefix}b_K`, tf.zeros([kv, e]));
    params.set(`${tl}attn.${kvPrefix}b_V`, tf.zeros([kv, e]));
    const o = await reader.get(`${hp}self_attn.o_proj.weight`, [d, h * e]);
    params.set(
      `${tl}attn.W_O`,
      tf.tidy(() => o.transpose().reshape([h, e, d])),
    );
    o.dispose();
    params.set(`${tl}attn.b_O`, tf.zeros([d]));
    for (const [hf, tlName] of [
      ["gate_proj", "W_gate"],
      ["up_proj", "W_in"],
    ]) {
      const w = await reader.get(`${hp}mlp.${hf}.weight`, [m, d]);
      params.set(`${tl}mlp.${tlName}`, w.transpose()); // [d, m]
      w.dispose();
    }
    const down = await reader.get(`${hp}mlp.down_proj.weight`, [d, m]);
    params.set(`${tl}mlp.W_out`, down.transpose()); // [m, d]
    down.dispose();
    params.set(`${tl}mlp.b_in`, tf.zeros([m]));
    params.set(`${tl}mlp.b_out`, tf.zeros([d]));
  }
  params.set("ln_final.w", await reader.get("model.norm.weight", [d]));
  const tied = hf.tie_word_embeddings === true;
  const unembed = tied ? params.get("embed.W_E")!.clone() : await reader.get("lm_head.weight", [v, d]);
  params.set("unembed.W_U", unembed.transpose()); // [d, v]
  unembed.dispose();
  params.set("unembed.b_U", tf.zeros([v]));
  return params;
}
