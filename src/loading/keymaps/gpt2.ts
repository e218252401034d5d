/**
 * GPT2LMHeadModel → TransformerLens parameters. GPT-2's Conv1D layers store
 * weights as [in, out], so only the fused qkv and the output projection are
 * reshaped; the unembedding is the transposed (tied) token embedding.
 */
import { tf } from "../../tensor";
import type { KeyMap, Params } from "./types";

/** Maps GPT-2 checkpoints (with or without the `transformer.` prefix). */
export const gpt2KeyMap: KeyMap = async (reader, cfg) => {
  const p = reader.has("transformer.wte.weight") ? "transformer." : "";
  const { dModel: d, nHeads: h, dHead: e, dMlp: m, dVocab: v, nCtx } = cfg;
  const params: Params = new Map();
  params.set("embed.W_E", await reader.get(`${p}wte.weight`, [v, d]));
  const wpe = await reader.get(`${p}wpe.weight`, [nCtx, d]);
  params.set("pos_embed.W_pos", wpe);
  for (let l = 0; l < cfg.nLayers; l++) {
    const hp = `${p}h.${l}.`;
    const tl = `blocks.${l}.`;
    for (const [hf, ln] of [
      ["ln_1", "ln1"],
      ["ln_2", "ln2"],
    ]) {
      params.set(`${tl}${ln}.w`, await reader.get(`${hp}${hf}.weight`, [d]));
      params.set(`${tl}${ln}.b`, await reader.get(`${hp}${hf}.bias`, [d]));
    }
    const qkv = await reader.get(`${hp}attn.c_attn.weight`, [d, 3 * d]);
    const qkvBias = await reader.get(`${hp}attn.c_attn.bias`, [3 * d]);
    const weights = tf.split(qkv, 3, 1); // 3 × [d, h·e]
    const biases = tf.split(qkvBias, 3, 0); // 3 × [h·e]
    ["Q", "K", "V"].forEach((name, i) => {
      params.set(
        `${tl}attn.W_${name}`,
        tf.tidy(() => weights[i].reshape([d, h, e]).transpose([1, 0, 2])),
      ); // [h, d, e]
      params.set(`${tl}attn.b_${name}`, biases[i].reshape([h, e])); // [h, e]
    });
    tf.dispose([qkv, qkvBias, ...weights, ...biases]);
    const proj = await reader.get(`${hp}attn.c_proj.weight`, [d, d]);
    params.set(`${tl}attn.W_O`, proj.reshape([h, e, d])); // rows are (head, d_head)
    proj.dispose();
    params.set(`${tl}attn.b_O`, await reader.get(`${hp}attn.c_proj.bias`, [d]));
    params.set(`${tl}mlp.W_in`, await reader.get(`${hp}mlp.c_fc.weight`, [d, m]));
    params.set(`${tl}mlp.b_in`, await reader.get(`${hp}mlp.c_fc.bias`, [m]));
    params.set(`${tl}mlp.W_out`, await reader.get(`${hp}mlp.c_proj.weight`, [m, d]));
    params.set(`${tl}mlp.b_out`, await reader.get(`${hp}mlp.c_proj.bias`, [d]));
  }
  params.set("ln_final.w", await reader.get(`${p}ln_f.weight`, [d]));
  params.set("ln_final.b", await reader.get(`${p}ln_f.bias`, [d]));
  const unembed = reader.has("lm_head.weight") ? await reader.get("lm_head.weight", [v, d]) : params.get("embed.W_E")!.clone();
  params.set("unembed.W_U", unembed.transpose()); // [d, v]
  unembed.dispose();
  params.set("unembed.b_U", tf.zeros([v]));
  return params;
};
