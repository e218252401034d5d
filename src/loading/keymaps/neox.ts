/**
 * GPTNeoXForCausalLM (Pythia) → TransformerLens parameters. nn.Linear stores
 * [out, in]; the fused qkv rows are interleaved per head as (head, qkv, d_head).
 */
import { tf } from "../../tensor";
import type { KeyMap, Params } from "./types";

/** Maps GPT-NeoX checkpoints. */
export const neoxKeyMap: KeyMap = async (reader, cfg) => {
  const { dModel: d, nHeads: h, dHead: e, dMlp: m, dVocab: v } = cfg;
  const params: Params = new Map();
  params.set("embed.W_E", await reader.get("gpt_neox.embed_in.weight", [v, d]));
  for (let l = 0; l < cfg.nLayers; l++) {
    const hp = `gpt_neox.layers.${l}.`;
    const tl = `blocks.${l}.`;
    for (const [hf, ln] of [
      ["input_layernorm", "ln1"],
      ["post_attention_layernorm", "ln2"],
    ]) {
      params.set(`${tl}${ln}.w`, await reader.get(`${hp}${hf}.weight`, [d]));
      params.set(`${tl}${ln}.b`, await reader.get(`${hp}${hf}.bias`, [d]));
    }
    const qkv = await reader.get(`${hp}attention.query_key_value.weight`, [3 * d, d]);
    const qkvBias = await reader.get(`${hp}attention.query_key_value.bias`, [3 * d]);
    ["Q", "K", "V"].forEach((name, j) => {
      // rows (head, qkv, d_head) → [h, 3, e, d] → pick j → [h, e, d] → [h, d, e]
      params.set(
        `${tl}attn.W_${name}`,
        tf.tidy(() => qkv.reshape([h, 3, e, d]).gather([j], 1).reshape([h, e, d]).transpose([0, 2, 1])),
      );
      params.set(
        `${tl}attn.b_${name}`,
        tf.tidy(() => qkvBias.reshape([h, 3, e]).gather([j], 1).reshape([h, e])),
      );
    });
    tf.dispose([qkv, qkvBias]);
    const dense = await reader.get(`${hp}attention.dense.weight`, [d, d]);
    params.set(
      `${tl}attn.W_O`,
      tf.tidy(() => dense.transpose().reshape([h, e, d])),
    ); // input columns are (head, d_head)
    dense.dispose();
    params.set(`${tl}attn.b_O`, await reader.get(`${hp}attention.dense.bias`, [d]));
    const wIn = await reader.get(`${hp}mlp.dense_h_to_4h.weight`, [m, d]);
    params.set(`${tl}mlp.W_in`, wIn.transpose()); // [d, m]
    params.set(`${tl}mlp.b_in`, await reader.get(`${hp}mlp.dense_h_to_4h.bias`, [m]));
    const wOut = await reader.get(`${hp}mlp.dense_4h_to_h.weight`, [d, m]);
    params.set(`${tl}mlp.W_out`, wOut.transpose()); // [m, d]
    params.set(`${tl}mlp.b_out`, await reader.get(`${hp}mlp.dense_4h_to_h.bias`, [d]));
    tf.dispose([wIn, wOut]);
  }
  params.set("ln_final.w", await reader.get("gpt_neox.final_layer_norm.weight", [d]));
  params.set("ln_final.b", await reader.get("gpt_neox.final_layer_norm.bias", [d]));
  const unembed = await reader.get("embed_out.weight", [cfg.dVocabOut, d]);
  params.set("unembed.W_U", unembed.transpose()); // [d, vocab]
  unembed.dispose();
  params.set("unembed.b_U", tf.zeros([cfg.dVocabOut]));
  return params;
};
