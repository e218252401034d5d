/**
 * TransformerConfig: the model description every stage shares (TransformerLens's
 * HookedTransformerConfig in camelCase), and its construction from a Hugging
 * Face config.json or a tslens-native config.
 */

/** Activation functions the MLP supports. */
export type ActFn = "gelu_new" | "gelu" | "gelu_fast" | "silu" | "relu";

/** Normalisation of a block's inputs: LN / RMS (with weights), LNPre / RMSPre (folded), or none. */
export type NormalizationType = "LN" | "LNPre" | "RMS" | "RMSPre" | null;

/** RoPE frequency scaling: none, linear (positions ÷ factor), or Llama 3's NTK-by-parts. */
export type RopeScaling =
  | null
  | { type: "linear"; factor: number }
  | { type: "llama3"; factor: number; lowFreqFactor: number; highFreqFactor: number; originalMaxPositionEmbeddings: number };

/** Everything the forward pass needs to know about a model. */
export interface TransformerConfig {
  nLayers: number;
  nHeads: number;
  dModel: number;
  dHead: number;
  dMlp: number;
  dVocab: number;
  /** Rows of the unembedding (≥ dVocab for padded vocabularies). */
  dVocabOut: number;
  nCtx: number;
  actFn: ActFn;
  normalizationType: NormalizationType;
  /**
   * "standard" adds W_pos to the residual stream; "shortformer" adds it to each attention layer's
   * query and key inputs only (after ln1), so values never carry position; "rotary" rotates q and k.
   */
  positionalEmbeddingType: "standard" | "shortformer" | "rotary";
  attnOnly: boolean;
  /** KV heads for grouped-query attention; null when every head has its own K/V. */
  nKeyValueHeads: number | null;
  rotaryDim: number;
  rotaryBase: number;
  /** Rotary frequency scaling (Llama 3 style long-context models). */
  ropeScaling: RopeScaling;
  /** Rotary pairing: false = halves (GPT-NeoX, Llama), true = adjacent pairs (GPT-J). */
  rotaryAdjacentPairs: boolean;
  /** Attention and MLP both read resid_pre (GPT-NeoX / Pythia); no resid_mid. */
  parallelAttnMlp: boolean;
  gatedMlp: boolean;
  eps: number;
  /** Divide attention scores by sqrt(dHead). */
  useAttnScale: boolean;
  /** Whether toTokens prepends BOS by default (TransformerLens: false for GPT-NeoX). */
  defaultPrependBos: boolean;
  /** The Hugging Face architecture or "tslens" for native models. */
  originalArchitecture: string;
  /** Gated hook points (off by default, as in TransformerLens). */
  useAttnResult: boolean;
  useSplitQkvInput: boolean;
  /** Sliding-window attention (Mistral): query q sees keys k with q − window < k ≤ q. Absent: full causal. */
  slidingWindow?: number;
  /** Qwen3's RMSNorm of each head's q and k over d_head, before rotary (blocks.{l}.attn.q_norm / k_norm). */
  qkNorm?: boolean;
}

/** A config.json we cannot turn into a TransformerConfig; the message names the file and field. */
export class ConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "ConfigError";
  }
}

type Json = Record<string, unknown>;

function num(config: Json, source: string, ...keys: string[]): number {
  for (const key of keys) {
    const value = key.split(".").reduce<unknown>((o, k) => (o as Json | undefined)?.[k], config);
    if (value !== undefined && value !== null) {
      if (typeof value !== "number" || !Number.isFinite(value))
        throw new ConfigError(`${source}: ${key} must be a number, got ${JSON.stringify(value)}`);
      return value;
    }
  }
  throw new ConfigError(`${source}: missing ${keys.join(" / ")}`);
}

function optional(config: Json, key: string): unknown {
  return key.split(".").reduce<unknown>((o, k) => (o as Json | undefined)?.[k], config) ?? undefined;
}

function actFn(value: unknown, source: string): ActFn {
  const known: Record<string, ActFn> = {
    gelu_new: "gelu_new",
    gelu_pytorch_tanh: "gelu_new",
    gelu: "gelu",
    gelu_fast: "gelu_fast",
    silu: "silu",
    swish: "silu",
    relu: "relu",
  };
  const fn = typeof value === "string" ? known[value] : undefined;
  if (!fn)
    throw new ConfigError(
      `${source}: unsupported activation function ${JSON.stringify(value)} (supported: ${Object.keys(known).join(", ")})`,
    );
  return fn;
}

function positiveInts(cfg: TransformerConfig, source: string): TransformerConfig {
  for (const key of ["nLayers", "nHeads", "dModel", "dHead", "dMlp", "dVocab", "nCtx"] as const) {
    if (!Number.isInteger(cfg[key]) || cfg[key] <= 0)
      throw new ConfigError(`${source}: ${key} must be a positive integer, got ${cfg[key]}`);
  }
  if (cfg.nKeyValueHeads !== null && cfg.nHeads % cfg.nKeyValueHeads !== 0) {
    throw new ConfigError(`${source}: num_key_value_heads ${cfg.nKeyValueHeads} must divide num_attention_heads ${cfg.nHeads}`);
  }
  return cfg;
}

const BASE = {
  attnOnly: false,
  nKeyValueHeads: null,
  rotaryDim: 0,
  rotaryBase: 10000,
  ropeScaling: null,
  rotaryAdjacentPairs: false,
  parallelAttnMlp: false,
  gatedMlp: false,
  useAttnScale: true,
  defaultPrependBos: true,
  useAttnResult: false,
  useSplitQkvInput: false,
} as const;

function fromGpt2(c: Json, source: string): TransformerConfig {
  const dModel = num(c, source, "n_embd");
  const nHeads = num(c, source, "n_head");
  const dVocab = num(c, source, "vocab_size");
  return {
    ...BASE,
    nLayers: num(c, source, "n_layer"),
    nHeads,
    dModel,
    dHead: dModel / nHeads,
    dMlp: (optional(c, "n_inner") as number | undefined) ?? 4 * dModel,
    dVocab,
    dVocabOut: dVocab,
    nCtx: num(c, source, "n_positions", "n_ctx"),
    actFn: actFn(c.activation_function ?? "gelu_new", source),
    normalizationType: "LN",
    positionalEmbeddingType: "standard",
    eps: num(c, source, "layer_norm_epsilon"),
    originalArchitecture: "GPT2LMHeadModel",
  };
}

/** The fields GPT-NeoX and Llama configs name alike (hidden_size, num_attention_heads, …). */
function decoderFields(c: Json, source: string, dHead?: number) {
  const dModel = num(c, source, "hidden_size");
  const nHeads = num(c, source, "num_attention_heads");
  const dVocab = num(c, source, "vocab_size");
  return {
    ...BASE,
    nLayers: num(c, source, "num_hidden_layers"),
    nHeads,
    dModel,
    dHead: dHead ?? dModel / nHeads,
    dMlp: num(c, source, "intermediate_size"),
    dVocab,
    dVocabOut: dVocab,
    nCtx: num(c, source, "max_position_embeddings"),
    positionalEmbeddingType: "rotary" as const,
  };
}

function fromNeox(c: Json, source: string): TransformerConfig {
  const common = decoderFields(c, source);
  const pct = num(c, source, "rotary_pct", "rope_parameters.partial_rotary_factor", "partial_rotary_factor");
  return {
    ...common,
    actFn: actFn(c.hidden_act ?? "gelu", source),
    normalizationType: "LN",
    rotaryDim: Math.round(pct * common.dHead),
    rotaryBase: num(c, source, "rotary_emb_base", "rope_theta", "rope_parameters.rope_theta"),
    parallelAttnMlp: optional(c, "use_parallel_residual") !== false,
    eps: num(c, source, "layer_norm_eps"),
    defaultPrependBos: false,
    originalArchitecture: "GPTNeoXForCausalLM",
  };
}

/** Reads rope scaling from `rope_scaling` (transformers 4) or `rope_parameters` (transformers 5). */
function ropeScalingOf(c: Json, source: string): RopeScaling {
  const params = ((optional(c, "rope_scaling") ?? optional(c, "rope_parameters")) as Json | undefined) ?? {};
  const type = params.rope_type ?? params.type ?? "default";
  if (type === "default") return null;
  const field = (key: string) => {
    const v = params[key];
    if (typeof v !== "number" || !Number.isFinite(v))
      throw new ConfigError(`${source}: rope scaling "${type}" needs a numeric ${key}`);
    return v;
  };
  if (type === "linear") return { type, factor: field("factor") };
  if (type === "llama3") {
    return {
      type,
      factor: field("factor"),
      lowFreqFactor: field("low_freq_factor"),
      highFreqFactor: field("high_freq_factor"),
      originalMaxPositionEmbeddings: field("original_max_position_embeddings"),
    };
  }
  throw new ConfigError(`${source}: rope scaling "${String(type)}" is not supported (supported: default, linear, llama3)`);
}

function fromLlama(c: Json, source: string): TransformerConfig {
  if (optional(c, "attention_bias") === true || optional(c, "mlp_bias") === true) {
    throw new ConfigError(`${source}: Llama models with attention_bias or mlp_bias are not supported yet`);
  }
  return llamaLike(c, source);
}

/** The fields Llama and the families built on it (Qwen, Mistral) share; head_dim may be explicit. */
function llamaLike(c: Json, source: string): TransformerConfig {
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
function refuseQwenWindow(c: Json, source: string): void {
  if (optional(c, "use_sliding_window") === true)
    throw new ConfigError(`${source}: use_sliding_window = true (Qwen's per-layer sliding window) is not supported yet`);
}

/** Qwen2 / Qwen2.5: the Llama layout with biases on q, k and v. */
function fromQwen2(c: Json, source: string): TransformerConfig {
  refuseQwenWindow(c, source);
  return { ...llamaLike(c, source), originalArchitecture: "Qwen2ForCausalLM" };
}

/** Qwen3: no qkv bias, RMSNorm per head on q and k before rotary, head_dim explicit in the config. */
function fromQwen3(c: Json, source: string): TransformerConfig {
  if (optional(c, "attention_bias") === true) throw new ConfigError(`${source}: Qwen3 with attention_bias is not supported yet`);
  refuseQwenWindow(c, source);
  const cfg = llamaLike(c, source);
  return { ...cfg, qkNorm: true, originalArchitecture: "Qwen3ForCausalLM" };
}

/** Mistral: the Llama layout with a sliding window on every layer when `sliding_window` is set. */
function fromMistral(c: Json, source: string): TransformerConfig {
  const cfg = { ...llamaLike(c, source), originalArchitecture: "MistralForCausalLM" };
  const window = optional(c, "sliding_window");
  if (window === undefined) return cfg;
  if (typeof window !== "number" || !Number.isInteger(window) || window <= 0)
    throw new ConfigError(`${source}: sliding_window must be a positive integer or null, got ${JSON.stringify(window)}`);
  return { ...cfg, slidingWindow: window };
}

/**
 * A tslens-native config: TransformerLens-style fields (snake_case or camelCase),
 * marked by `"tslens_format": 1`. Used for models without a Hugging Face class.
 */
function fromNative(c: Json, source: string): TransformerConfig {
  const pick = (snake: string) => c[snake] ?? c[snake.replace(/_([a-z])/g, (_m, ch: string) => ch.toUpperCase())];
  const get = (snake: string, fallback?: unknown) => pick(snake) ?? fallback;
  const must = (snake: string) => {
    const v = get(snake);
    if (typeof v !== "number") throw new ConfigError(`${source}: missing or non-numeric ${snake}`);
    return v;
  };
  const dModel = must("d_model");
  const nHeads = must("n_heads");
  const dVocab = must("d_vocab");
  const attnOnly = get("attn_only", false) === true;
  const posType = get("positional_embedding_type", "standard");
  if (posType !== "standard" && posType !== "shortformer" && posType !== "rotary")
    throw new ConfigError(`${source}: unsupported positional_embedding_type ${JSON.stringify(posType)}`);
  const norm = get("normalization_type", "LN");
  if (!["LN", "LNPre", "RMS", "RMSPre", null].includes(norm as string | null)) {
    throw new ConfigError(`${source}: unsupported normalization_type ${JSON.stringify(norm)}`);
  }
  return {
    ...BASE,
    nLayers: must("n_layers"),
    nHeads,
    dModel,
    dHead: (get("d_head") as number | undefined) ?? dModel / nHeads,
    dMlp: attnOnly ? ((get("d_mlp") as number | undefined) ?? 4 * dModel) : must("d_mlp"),
    dVocab,
    dVocabOut: (get("d_vocab_out") as number | undefined) ?? dVocab,
    nCtx: must("n_ctx"),
    actFn: actFn(get("act_fn", "gelu_new"), source),
    normalizationType: norm as NormalizationType,
    positionalEmbeddingType: posType,
    attnOnly,
    nKeyValueHeads: (get("n_key_value_heads") as number | null | undefined) ?? null,
    rotaryDim: (get("rotary_dim") as number | undefined) ?? 0,
    rotaryBase: (get("rotary_base") as number | undefined) ?? 10000,
    rotaryAdjacentPairs: get("rotary_adjacent_pairs", false) === true,
    parallelAttnMlp: get("parallel_attn_mlp", false) === true,
    gatedMlp: get("gated_mlp", false) === true,
    useAttnScale: get("use_attn_scale", true) !== false,
    eps: (get("eps") as number | undefined) ?? 1e-5,
    defaultPrependBos: get("default_prepend_bos", true) !== false,
    originalArchitecture: "tslens",
  };
}

/** Builds a TransformerConfig from a parsed config.json; `source` (a path) names it in errors. */
export function configFromJson(json: unknown, source: string): TransformerConfig {
  if (json === null || typeof json !== "object" || Array.isArray(json))
    throw new ConfigError(`${source}: config is not a JSON object`);
  const c = json as Json;
  if (c.tslens_format !== undefined) return positiveInts(fromNative(c, source), source);
  const makers: Record<string, (c: Json, s: string) => TransformerConfig> = {
    gpt2: fromGpt2,
    gpt_neox: fromNeox,
    llama: fromLlama,
    qwen2: fromQwen2,
    qwen3: fromQwen3,
    mistral: fromMistral,
  };
  const maker = typeof c.model_type === "string" ? makers[c.model_type] : undefined;
  if (!maker) {
    throw new ConfigError(
      `${source}: unknown model_type ${JSON.stringify(c.model_type)} (supported: ${Object.keys(makers).join(", ")}, or a tslens-native config)`,
    );
  }
  return positiveInts(maker(c, source), source);
}
