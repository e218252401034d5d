/**
 * Config maker for Phi-3 (model_type "phi3", Phi3ForCausalLM): the Llama layout with fused qkv_proj and
 * gate_up_proj in the checkpoint (split by keymaps/phi3.ts), a rotary over the first
 * partial_rotary_factor · head_dim features, a sliding window on every layer when `sliding_window` is set, and
 * LongRoPE scaling (rope type "longrope", or "su" / "yarn", which transformers reads as longrope for Phi-3).
 */

import { ConfigError, Json, optional, type LongRope, type TransformerConfig } from "./common";
import { llamaLike } from "./llama";

/** The rope parameters object (rope_scaling, else rope_parameters) and its key, when the config has one. */
function ropeParams(c: Json): { key: string; params: Json } | undefined {
  for (const key of ["rope_scaling", "rope_parameters"]) {
    const params = optional(c, key);
    if (params !== undefined && typeof params === "object" && params !== null) return { key, params: params as Json };
  }
  return undefined;
}

/**
 * LongRoPE as transformers computes it: factor lists of rotaryDim / 2 numbers, original_max_position_embeddings from
 * the rope parameters or the config's top level, and the attention factor given, or sqrt(1 + ln s / ln original)
 * with s = factor, or max_position_embeddings / original (1 when s ≤ 1).
 */
function longRope(c: Json, source: string, key: string, params: Json, rotaryDim: number): LongRope {
  const list = (name: string) => {
    const v = params[name];
    if (!Array.isArray(v) || v.length !== rotaryDim / 2 || !v.every((x) => typeof x === "number" && Number.isFinite(x) && x > 0))
      throw new ConfigError(
        `${source}: ${key}.${name} must list ${rotaryDim / 2} positive numbers (one per rotary pair), got ${JSON.stringify(v)}`,
      );
    return v as number[];
  };
  const number = (name: string, value: unknown) => {
    if (typeof value !== "number" || !Number.isFinite(value) || value <= 0)
      throw new ConfigError(`${source}: ${name} must be a positive number for LongRoPE, got ${JSON.stringify(value)}`);
    return value;
  };
  const ownOriginal = params.original_max_position_embeddings;
  const original =
    ownOriginal !== undefined && ownOriginal !== null
      ? number(`${key}.original_max_position_embeddings`, ownOriginal)
      : number("original_max_position_embeddings", optional(c, "original_max_position_embeddings"));
  let attentionFactor: number;
  if (params.attention_factor !== undefined && params.attention_factor !== null) {
    attentionFactor = number(`${key}.attention_factor`, params.attention_factor);
  } else {
    const factor =
      params.factor !== undefined && params.factor !== null
        ? number(`${key}.factor`, params.factor)
        : number("max_position_embeddings", optional(c, "max_position_embeddings")) / original;
    attentionFactor = factor <= 1 ? 1 : Math.sqrt(1 + Math.log(factor) / Math.log(original));
  }
  return {
    type: "longrope",
    shortFactor: list("short_factor"),
    longFactor: list("long_factor"),
    originalMaxPositionEmbeddings: original,
    attentionFactor,
  };
}

/** Phi-3 / Phi-3.5 / Phi-4-mini configs. */
export function fromPhi3(c: Json, source: string): TransformerConfig {
  const rope = ropeParams(c);
  const ropeType = rope?.params.rope_type ?? rope?.params.type ?? "default";
  const isLongRope = ["longrope", "su", "yarn"].includes(ropeType as string);
  // Phi-3's LongRoPE is read here (below); llamaLike reads the rest, and any other rope type (refusing what it does not know).
  const common = isLongRope && rope ? { ...c, [rope.key]: { ...rope.params, rope_type: "default", type: undefined } } : c;
  const cfg = { ...llamaLike(common, source), originalArchitecture: "Phi3ForCausalLM" };
  const factorKey = ["partial_rotary_factor", "rope_parameters.partial_rotary_factor"].find((k) => optional(c, k) !== undefined);
  const factor = factorKey === undefined ? 1 : optional(c, factorKey);
  if (typeof factor !== "number" || !(factor > 0 && factor <= 1))
    throw new ConfigError(`${source}: ${factorKey} must be a number in (0, 1], got ${JSON.stringify(factor)}`);
  // transformers rotates int(head_dim · factor) features, paired as halves.
  const rotaryDim = Math.floor(cfg.dHead * factor);
  if (rotaryDim < 2 || rotaryDim % 2 !== 0)
    throw new ConfigError(
      `${source}: ${factorKey} = ${factor} rotates ${rotaryDim} of head_dim ${cfg.dHead} features; it must be a positive even number`,
    );
  const window = optional(c, "sliding_window");
  if (window !== undefined && (typeof window !== "number" || !Number.isInteger(window) || window <= 0))
    throw new ConfigError(`${source}: sliding_window must be a positive integer or null, got ${JSON.stringify(window)}`);
  const ropeScaling = isLongRope && rope ? longRope(c, source, rope.key, rope.params, rotaryDim) : cfg.ropeScaling;
  return { ...cfg, rotaryDim, ropeScaling, ...(window === undefined ? {} : { slidingWindow: window as number }) };
}
