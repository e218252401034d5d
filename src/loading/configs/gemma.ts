/**
 * Config makers for Gemma 1, Gemma 2 and Gemma 3 (text) config.json files. Defaults for absent keys are
 * transformers' (Gemma 2: soft-capping 50 / 30, window 4096, query_pre_attn_scalar 256; Gemma 3: no soft-capping,
 * rope bases 1e6 global / 1e4 local, every sixth layer global). Gemma 3's multimodal wrapper (model_type gemma3)
 * loads its text model from text_config, whose Hub copies leave most fields to Gemma3TextConfig's defaults.
 */
import {
  actFn,
  ConfigError,
  decoderFields,
  Json,
  num,
  optional,
  ropeScalingOf,
  type RopeScaling,
  type TransformerConfig,
} from "./common";

/** Refuses the Gemma options tslens does not implement, naming the key. */
function refuseUnsupported(c: Json, source: string, family: string): void {
  for (const key of ["attention_bias", "use_bidirectional_attention"]) {
    if (optional(c, key) === true) throw new ConfigError(`${source}: ${key} = true is not supported for ${family}`);
  }
}

/** A positive number, or undefined when the key is null; `fallback` when the key is absent. */
function optionalPositive(c: Json, source: string, key: string, fallback: number | undefined): number | undefined {
  const value = c[key];
  if (value === undefined) return fallback;
  if (value === null) return undefined;
  if (typeof value !== "number" || !Number.isFinite(value) || value <= 0)
    throw new ConfigError(`${source}: ${key} must be a positive number or null, got ${JSON.stringify(value)}`);
  return value;
}

/** The fields every Gemma shares: explicit head_dim, GQA/MQA, RMS eps, tanh-GELU gated MLP, rotary over d_head. */
function gemmaFields(c: Json, source: string, family: string) {
  refuseUnsupported(c, source, family);
  const headDim = optional(c, "head_dim");
  if (headDim !== undefined && (typeof headDim !== "number" || !Number.isInteger(headDim) || headDim <= 0))
    throw new ConfigError(`${source}: head_dim must be a positive integer, got ${JSON.stringify(headDim)}`);
  const common = decoderFields(c, source, headDim as number | undefined);
  const nKv = (optional(c, "num_key_value_heads") as number | undefined) ?? common.nHeads;
  // Gemma 1's legacy "gelu" meant the tanh approximation (transformers substitutes gelu_pytorch_tanh).
  const act = optional(c, "hidden_activation") ?? optional(c, "hidden_act") ?? "gelu_pytorch_tanh";
  return {
    ...common,
    actFn: act === "gelu" ? ("gelu_new" as const) : actFn(act, source),
    normalizationType: "RMS" as const,
    nKeyValueHeads: nKv === common.nHeads ? null : nKv,
    rotaryDim: common.dHead,
    gatedMlp: true,
    eps: num(c, source, "rms_norm_eps"),
  };
}

/**
 * Which layers are local (sliding-window): `layer_types` when the config has it, else `defaultLocal(layer)`.
 * Only "sliding_attention" and "full_attention" are known.
 */
function localLayers(c: Json, source: string, nLayers: number, defaultLocal: (layer: number) => boolean): boolean[] {
  const types = c.layer_types;
  if (types === undefined || types === null) return Array.from({ length: nLayers }, (_, l) => defaultLocal(l));
  if (!Array.isArray(types) || types.length !== nLayers)
    throw new ConfigError(`${source}: layer_types must list one type per layer (num_hidden_layers = ${nLayers})`);
  return types.map((type, l) => {
    if (type !== "sliding_attention" && type !== "full_attention")
      throw new ConfigError(
        `${source}: layer_types[${l}] = ${JSON.stringify(type)} is not supported (sliding_attention or full_attention)`,
      );
    return type === "sliding_attention";
  });
}

/** The sliding window of the local layers: sliding_window (transformers' default 4096 when absent). */
function windowOf(c: Json, source: string): number | undefined {
  const window = optionalPositive(c, source, "sliding_window", 4096);
  if (window !== undefined && !Number.isInteger(window))
    throw new ConfigError(`${source}: sliding_window must be a positive integer or null, got ${window}`);
  return window;
}

/** Gemma 1: Llama's layout with (1 + w) norms, scaled embeddings, tanh-GELU and tied unembedding (key map). */
export function fromGemma(c: Json, source: string): TransformerConfig {
  const fields = gemmaFields(c, source, "Gemma");
  return {
    ...fields,
    rotaryBase: num(c, source, "rope_theta", "rope_parameters.rope_theta"),
    ropeScaling: ropeScalingOf(c, source),
    originalArchitecture: "GemmaForCausalLM",
  };
}

/** Gemma 2: Gemma 1 plus post-norms, soft-capping, query_pre_attn_scalar and sliding windows on alternate layers. */
export function fromGemma2(c: Json, source: string): TransformerConfig {
  const fields = gemmaFields(c, source, "Gemma 2");
  const window = windowOf(c, source);
  const attnCap = optionalPositive(c, source, "attn_logit_softcapping", 50);
  const finalCap = optionalPositive(c, source, "final_logit_softcapping", 30);
  return {
    ...fields,
    rotaryBase: num(c, source, "rope_theta", "rope_parameters.rope_theta"),
    ropeScaling: ropeScalingOf(c, source),
    normPlacement: "sandwich",
    attnScale: Math.sqrt(optionalPositive(c, source, "query_pre_attn_scalar", 256)!),
    ...(attnCap === undefined ? {} : { attnScoresSoftCap: attnCap }),
    ...(finalCap === undefined ? {} : { outputLogitsSoftCap: finalCap }),
    localLayers: localLayers(c, source, fields.nLayers, (l) => l % 2 === 0),
    ...(window === undefined ? {} : { slidingWindow: window }),
    originalArchitecture: "Gemma2ForCausalLM",
  };
}

/**
 * Gemma 3's two rope settings: transformers 5 nests them as rope_parameters.{full_attention, sliding_attention};
 * transformers 4 has rope_theta + rope_scaling (global) and rope_local_base_freq (local).
 */
function gemma3Rope(c: Json, source: string): { global: number; scaling: RopeScaling; local: number } {
  const params = optional(c, "rope_parameters") as Json | undefined;
  if (params && typeof params === "object" && ("full_attention" in params || "sliding_attention" in params)) {
    const full = (params.full_attention ?? {}) as Json;
    const sliding = (params.sliding_attention ?? {}) as Json;
    const localType = sliding.rope_type ?? "default";
    if (localType !== "default")
      throw new ConfigError(
        `${source}: rope_parameters.sliding_attention.rope_type ${JSON.stringify(localType)} is not supported`,
      );
    return {
      global: (optional(c, "rope_parameters.full_attention.rope_theta") as number | undefined) ?? 1e6,
      scaling: ropeScalingOf({ rope_scaling: full }, `${source} (rope_parameters.full_attention)`),
      local: (optional(c, "rope_parameters.sliding_attention.rope_theta") as number | undefined) ?? 1e4,
    };
  }
  const global = optional(c, "rope_theta") ?? 1e6;
  const local = optional(c, "rope_local_base_freq") ?? 1e4;
  for (const [key, value] of [
    ["rope_theta", global],
    ["rope_local_base_freq", local],
  ] as const) {
    if (typeof value !== "number" || !(value > 0)) throw new ConfigError(`${source}: ${key} must be a positive number`);
  }
  return {
    global: global as number,
    scaling: ropeScalingOf({ rope_scaling: c.rope_scaling ?? null }, source),
    local: local as number,
  };
}

/** Gemma 3 (text): Gemma 2 without soft-capping by default, per-head q/k norms, separate local / global rope. */
export function fromGemma3Text(c: Json, source: string): TransformerConfig {
  const fields = gemmaFields(c, source, "Gemma 3");
  const window = windowOf(c, source);
  const attnCap = optionalPositive(c, source, "attn_logit_softcapping", undefined);
  const finalCap = optionalPositive(c, source, "final_logit_softcapping", undefined);
  const pattern = optionalPositive(c, source, "sliding_window_pattern", undefined) ?? 6;
  const rope = gemma3Rope(c, source);
  return {
    ...fields,
    rotaryBase: rope.global,
    ropeScaling: rope.scaling,
    rotaryBaseLocal: rope.local,
    qkNorm: true,
    normPlacement: "sandwich",
    attnScale: Math.sqrt(optionalPositive(c, source, "query_pre_attn_scalar", 256)!),
    ...(attnCap === undefined ? {} : { attnScoresSoftCap: attnCap }),
    ...(finalCap === undefined ? {} : { outputLogitsSoftCap: finalCap }),
    localLayers: localLayers(c, source, fields.nLayers, (l) => (l + 1) % pattern !== 0),
    ...(window === undefined ? {} : { slidingWindow: window }),
    originalArchitecture: "Gemma3ForCausalLM",
  };
}

/** Gemma3TextConfig's defaults (transformers) for the fields Hub configs of Gemma 3 often leave out. */
const GEMMA3_TEXT_DEFAULTS: Json = {
  vocab_size: 262208,
  hidden_size: 2304,
  intermediate_size: 9216,
  num_hidden_layers: 26,
  num_attention_heads: 8,
  num_key_value_heads: 4,
  head_dim: 256,
  max_position_embeddings: 131072,
  rms_norm_eps: 1e-6,
};

/** Gemma 3's multimodal wrapper (Gemma3ForConditionalGeneration): its text model, from text_config; no vision. */
export function fromGemma3(c: Json, source: string): TransformerConfig {
  const text = c.text_config;
  if (text === null || typeof text !== "object" || Array.isArray(text))
    throw new ConfigError(`${source}: model_type "gemma3" needs a text_config object (the text model's config)`);
  const merged = { ...GEMMA3_TEXT_DEFAULTS, ...(text as Json) };
  return { ...fromGemma3Text(merged, `${source} (text_config)`), originalArchitecture: "Gemma3ForConditionalGeneration" };
}
