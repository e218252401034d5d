/**
 * The TransformerConfig type, ConfigError and the field readers every family's config maker shares.
 */

/** Activation functions the MLP supports. */
export type ActFn = "gelu_new" | "gelu" | "gelu_fast" | "silu" | "relu";

/** Normalisation of a block's inputs: LN / RMS (with weights), LNPre / RMSPre (folded), or none. */
export type NormalizationType = "LN" | "LNPre" | "RMS" | "RMSPre" | null;

/** RoPE frequency scaling: none, linear (positions ÷ factor), Llama 3's NTK-by-parts, or Phi-3's LongRoPE. */
export type RopeScaling =
  | null
  | { type: "linear"; factor: number }
  | { type: "llama3"; factor: number; lowFreqFactor: number; highFreqFactor: number; originalMaxPositionEmbeddings: number }
  | LongRope;

/**
 * Phi-3's LongRoPE: inverse frequencies divided per pair by shortFactor, or by longFactor once a run reaches past
 * originalMaxPositionEmbeddings; cos and sin multiplied by attentionFactor.
 */
export interface LongRope {
  type: "longrope";
  shortFactor: number[];
  longFactor: number[];
  originalMaxPositionEmbeddings: number;
  attentionFactor: number;
}

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
  /**
   * Sliding-window attention: query q sees keys k with q − window < k ≤ q, on every layer (Mistral) or on the local
   * layers when localLayers is set (Gemma 2 / 3). Absent: full causal.
   */
  slidingWindow?: number;
  /** RMSNorm of q and k before rotary (blocks.{l}.attn.q_norm / k_norm): per head over d_head (Qwen3, Gemma 3). */
  qkNorm?: boolean;
  /** OLMo-2: the q / k norms normalise each position over every head at once (weights [heads·d_head]). */
  qkNormAcrossHeads?: boolean;
  /**
   * Where a block's norms sit. Absent: before attention and MLP (ln1, ln2). "sandwich" (Gemma 2 / 3): also after them,
   * on their outputs before the residual add (ln1_post, ln2_post). "post" (OLMo-2): only after them.
   */
  normPlacement?: "sandwich" | "post";
  /** Divide attention scores by this instead of sqrt(dHead) (Gemma 2 / 3: sqrt(query_pre_attn_scalar)). */
  attnScale?: number;
  /** Attention-logit soft-capping (Gemma 2): scores → cap·tanh(scores / cap), before the mask. */
  attnScoresSoftCap?: number;
  /** Final-logit soft-capping (Gemma 2): logits → cap·tanh(logits / cap). */
  outputLogitsSoftCap?: number;
  /** Per layer, true for a local (sliding-window) layer (Gemma 2 / 3's layer_types); absent: every layer alike. */
  localLayers?: boolean[];
  /** Rotary base of the local layers (Gemma 3); global layers use rotaryBase and ropeScaling, local ones no scaling. */
  rotaryBaseLocal?: number;
}

/** A config.json we cannot turn into a TransformerConfig; the message names the file and field. */
export class ConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "ConfigError";
  }
}

export type Json = Record<string, unknown>;

export function num(config: Json, source: string, ...keys: string[]): number {
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

export function optional(config: Json, key: string): unknown {
  return key.split(".").reduce<unknown>((o, k) => (o as Json | undefined)?.[k], config) ?? undefined;
}

export function actFn(value: unknown, source: string): ActFn {
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

export const BASE = {
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

/** The fields GPT-NeoX and Llama configs name alike (hidden_size, num_attention_heads, …). */
export function decoderFields(c: Json, source: string, dHead?: number) {
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

/** Reads rope scaling from `rope_scaling` (transformers 4) or `rope_parameters` (transformers 5). */
export function ropeScalingOf(c: Json, source: string): RopeScaling {
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
