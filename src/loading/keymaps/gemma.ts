/**
 * Gemma 1 / 2 / 3 (text) and OLMo-2 → TransformerLens parameters, on the Llama layout (see llama.ts).
 *
 * Gemma, as TransformerLens's conversion: every RMSNorm computes norm(x)·(1 + w), so each weight becomes the ordinary
 * RMS weight w + 1 here (ln1, ln2, ln1_post, ln2_post, ln_final and Gemma 3's per-head attn.q_norm / k_norm), and the
 * rest of the engine, weight processing included, sees plain RMSNorms. The embedding is multiplied by sqrt(d_model)
 * into W_E (so hook_embed and resid_pre hold the scaled embedding, as Hugging Face's first hidden state); the tied
 * unembedding W_U reads the unscaled matrix. Gemma 2 / 3 norms: input_layernorm → ln1, post_attention_layernorm →
 * ln1_post, pre_feedforward_layernorm → ln2, post_feedforward_layernorm → ln2_post.
 *
 * Gemma 3's multimodal wrapper stores the text model under language_model.model. (or model.language_model.); its
 * vision tower and projector are not read.
 *
 * OLMo-2: post_attention_layernorm → ln1_post, post_feedforward_layernorm → ln2_post (no pre-norms); q_norm / k_norm
 * weights over the whole projected width → attn.q_norm.w [heads·d_head], attn.k_norm.w [kvHeads·d_head].
 */
import type { Tensor } from "@tensorflow/tfjs-core";
import { tf } from "../../tensor";
import { LayerNorms, llamaLayout } from "./llama";
import type { KeyMap, Params, WeightReader } from "./types";

const GEMMA1_NORMS: LayerNorms = [
  ["input_layernorm", "ln1"],
  ["post_attention_layernorm", "ln2"],
];

const SANDWICH_NORMS: LayerNorms = [
  ["input_layernorm", "ln1"],
  ["post_attention_layernorm", "ln1_post"],
  ["pre_feedforward_layernorm", "ln2"],
  ["post_feedforward_layernorm", "ln2_post"],
];

const OLMO2_NORMS: LayerNorms = [
  ["post_attention_layernorm", "ln1_post"],
  ["post_feedforward_layernorm", "ln2_post"],
];

/** Replaces parameter `name` by `make(old)`, disposing the old tensor. */
function update(params: Params, name: string, make: (old: Tensor) => Tensor): void {
  const old = params.get(name)!;
  params.set(
    name,
    tf.tidy(() => make(old)),
  );
  old.dispose();
}

/** Maps Gemma 1, 2 and 3 (text) checkpoints; the config says which (normPlacement, qkNorm). */
export const gemmaKeyMap: KeyMap = async (reader, cfg, hf) => {
  // Gemma ties its unembedding unless the config says otherwise (transformers' default).
  const tiedHf = { ...hf, tie_word_embeddings: hf.tie_word_embeddings !== false };
  const params = await llamaLayout(reader, cfg, tiedHf, cfg.normPlacement === "sandwich" ? SANDWICH_NORMS : GEMMA1_NORMS);
  for (let l = 0; l < cfg.nLayers && cfg.qkNorm; l++) {
    const hp = `model.layers.${l}.self_attn.`;
    params.set(`blocks.${l}.attn.q_norm.w`, await reader.get(`${hp}q_norm.weight`, [cfg.dHead])); // [d_head]
    params.set(`blocks.${l}.attn.k_norm.w`, await reader.get(`${hp}k_norm.weight`, [cfg.dHead])); // [d_head]
  }
  for (const name of [...params.keys()].filter((n) => /(^|\.)(ln1|ln2|ln1_post|ln2_post|ln_final|q_norm|k_norm)\.w$/.test(n)))
    update(params, name, (w) => w.add(1)); // (1 + w) as an ordinary RMS weight
  update(params, "embed.W_E", (w) => w.mul(Math.sqrt(cfg.dModel))); // [d_vocab, d_model]
  return params;
};

/** Maps OLMo-2 checkpoints: post-norms only, q/k norms across all heads. */
export const olmo2KeyMap: KeyMap = async (reader, cfg, hf) => {
  const params = await llamaLayout(reader, cfg, hf, OLMO2_NORMS);
  const kvHeads = cfg.nKeyValueHeads ?? cfg.nHeads;
  for (let l = 0; l < cfg.nLayers; l++) {
    const hp = `model.layers.${l}.self_attn.`;
    params.set(`blocks.${l}.attn.q_norm.w`, await reader.get(`${hp}q_norm.weight`, [cfg.nHeads * cfg.dHead])); // [heads·d_head]
    params.set(`blocks.${l}.attn.k_norm.w`, await reader.get(`${hp}k_norm.weight`, [kvHeads * cfg.dHead])); // [kvHeads·d_head]
  }
  return params;
};

/**
 * A reader that finds the text model's tensors of a Gemma 3 multimodal checkpoint: "model.X" is read as
 * "language_model.model.X" (the Hub layout) or "model.language_model.X" (transformers 5's), "lm_head.weight" as itself
 * or "language_model.lm_head.weight".
 */
function textModelReader(reader: WeightReader): WeightReader {
  const located = (key: string): string => {
    const inner = key.startsWith("model.") ? key.slice("model.".length) : undefined;
    const candidates = inner
      ? [`language_model.model.${inner}`, `model.language_model.${inner}`]
      : [key, `language_model.${key}`];
    return candidates.find((name) => reader.has(name)) ?? candidates[0];
  };
  return { has: (key) => reader.has(located(key)), get: (key, shape) => reader.get(located(key), shape) };
}

/** Maps the text model of a Gemma 3 multimodal (Gemma3ForConditionalGeneration) checkpoint. */
export const gemma3MultimodalKeyMap: KeyMap = (reader, cfg, hf) => gemmaKeyMap(textModelReader(reader), cfg, hf);
