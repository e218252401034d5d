/**
 * Qwen2 / Qwen2.5 and Qwen3 → TransformerLens parameters. Both use the Llama layout (see llama.ts); on top of it
 * Qwen2 stores biases on q, k and v (not o), read here into b_Q and (_)b_K / (_)b_V per head, and Qwen3 stores
 * per-head RMSNorm weights for q and k, read into blocks.{l}.attn.q_norm.w / k_norm.w [d_head].
 */
import type { Tensor } from "@tensorflow/tfjs-core";
import { llamaKeyMap } from "./llama";
import type { KeyMap } from "./types";

/** Maps Qwen2 / Qwen2.5 checkpoints: Llama plus q/k/v biases. */
export const qwen2KeyMap: KeyMap = async (reader, cfg, hf) => {
  const params = await llamaKeyMap(reader, cfg, hf);
  const { nHeads: h, dHead: e } = cfg;
  const kv = cfg.nKeyValueHeads ?? h;
  const kvPrefix = cfg.nKeyValueHeads === null ? "" : "_";
  const replace = (name: string, tensor: Tensor) => {
    params.get(name)?.dispose();
    params.set(name, tensor);
  };
  for (let l = 0; l < cfg.nLayers; l++) {
    const hp = `model.layers.${l}.self_attn.`;
    const tl = `blocks.${l}.attn.`;
    for (const [proj, name, heads] of [
      ["q_proj", "b_Q", h],
      ["k_proj", `${kvPrefix}b_K`, kv],
      ["v_proj", `${kvPrefix}b_V`, kv],
    ] as const) {
      const bias = await reader.get(`${hp}${proj}.bias`, [heads * e]);
      replace(`${tl}${name}`, bias.reshape([heads, e])); // [heads, d_head]
      bias.dispose();
    }
  }
  return params;
};

/** Maps Qwen3 checkpoints: Llama plus per-head q_norm / k_norm RMSNorm weights. */
export const qwen3KeyMap: KeyMap = async (reader, cfg, hf) => {
  const params = await llamaKeyMap(reader, cfg, hf);
  for (let l = 0; l < cfg.nLayers; l++) {
    const hp = `model.layers.${l}.self_attn.`;
    params.set(`blocks.${l}.attn.q_norm.w`, await reader.get(`${hp}q_norm.weight`, [cfg.dHead])); // [d_head]
    params.set(`blocks.${l}.attn.k_norm.w`, await reader.get(`${hp}k_norm.weight`, [cfg.dHead])); // [d_head]
  }
  return params;
};
