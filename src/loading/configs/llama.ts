/** Config makers for Llama and the families built on its layout: Qwen2, Qwen3, Mistral. */

import { actFn, ConfigError, decoderFields, Json, num, optional, ropeScalingOf, type TransformerConfig } from "./common";

export function fromLlama(c: Json, source: string): TransformerConfig {
  if (optional(c, "attention_bias") === true || optional(c, "mlp_bias") === true) {
    throw new ConfigError(`${source}: Llama models with attention_bias or mlp_bias are not supported yet`);
  }
  return llamaLike(c, source);
}

/** The fields Llama and the families built on it (Qwen, Mistral) share; head_dim may be explicit. */
export function llamaLike(c: Json, source: string): TransformerConfig {
  const headDim = optional(c, "head_dim");
  if (headDim !== undefined && (typeof headDim !== "number" || !Number.isInteger(headDim) || headDim <= 0))
    throw new ConfigError(`${source}: head_dim must be a positive integer, got ${JSON.stringify(headDim)}`);
  const common = decoderFields(c, source, headDim as number | undefined);
  const nKv = (optional(c, "num_key_value_heads") as number | undefined) ?? common.nHeads;
  return {
    ...common,
    actFn: actFn(c.hidden_act ?? "silu", source),
    normalizationType: "RMS",
    nKeyValueHeads: nKv === common.nHeads ? null : nKv,
    rotaryDim: common.dHead,
    rotaryBase: num(c, source, "rope_theta", "rope_parameters.rope_theta"),
    ropeScaling: ropeScalingOf(c, source),
    gatedMlp: true,
    eps: num(c, source, "rms_norm_eps"),
    originalArchitecture: "LlamaForCausalLM",
  };
}

/** Qwen's per-layer sliding window (use_sliding_window with max_window_layers) is refused rather than ignored. */
export function refuseQwenWindow(c: Json, source: string): void {
  if (optional(c, "use_sliding_window") === true)
    throw new ConfigError(`${source}: use_sliding_window = true (Qwen's per-layer sliding window) is not supported yet`);
}

/** Qwen2 / Qwen2.5: the Llama layout with biases on q, k and v. */
export function fromQwen2(c: Json, source: string): TransformerConfig {
  refuseQwenWindow(c, source);
  return { ...llamaLike(c, source), originalArchitecture: "Qwen2ForCausalLM" };
}

/** Qwen3: no qkv bias, RMSNorm per head on q and k before rotary, head_dim explicit in the config. */
export function fromQwen3(c: Json, source: string): TransformerConfig {
  if (optional(c, "attention_bias") === true) throw new ConfigError(`${source}: Qwen3 with attention_bias is not supported yet`);
  refuseQwenWindow(c, source);
  const cfg = llamaLike(c, source);
  return { ...cfg, qkNorm: true, originalArchitecture: "Qwen3ForCausalLM" };
}

/** Mistral: the Llama layout with a sliding window on every layer when `sliding_window` is set. */
export function fromMistral(c: Json, source: string): TransformerConfig {
  const cfg = { ...llamaLike(c, source), originalArchitecture: "MistralForCausalLM" };
  const window = optional(c, "sliding_window");
  if (window === undefined) return cfg;
  if (typeof window !== "number" || !Number.isInteger(window) || window <= 0)
    throw new ConfigError(`${source}: sliding_window must be a positive integer or null, got ${JSON.stringify(window)}`);
  return { ...cfg, slidingWindow: window };
}
