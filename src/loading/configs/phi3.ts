/**
 * Config maker for Phi-3 (model_type "phi3", Phi3ForCausalLM): the Llama layout with fused qkv_proj and
 * gate_up_proj in the checkpoint (split by keymaps/phi3.ts), a rotary over the first
 * partial_rotary_factor · head_dim features, and a sliding window on every layer when `sliding_window` is set.
 * LongRoPE scaling ("longrope", or its older names "su" and "yarn", which transformers reads as longrope) is
 * refused, naming the key that asks for it.
 */

import { ConfigError, Json, optional, type TransformerConfig } from "./common";
import { llamaLike } from "./llama";

/** The rope scaling key of a Phi-3 config and the type it names, as the file spells them. */
function ropeTypeOf(c: Json): { key: string; type: unknown } | undefined {
  for (const field of ["rope_scaling", "rope_parameters"]) {
    const params = optional(c, field);
    if (params === undefined || typeof params !== "object" || params === null) continue;
    const p = params as Json;
    if (p.rope_type !== undefined) return { key: `${field}.rope_type`, type: p.rope_type };
    if (p.type !== undefined) return { key: `${field}.type`, type: p.type };
  }
  return undefined;
}

/** Phi-3 / Phi-3.5 / Phi-4-mini configs. */
export function fromPhi3(c: Json, source: string): TransformerConfig {
  const rope = ropeTypeOf(c);
  if (rope && ["longrope", "su", "yarn"].includes(rope.type as string)) {
    throw new ConfigError(
      `${source}: ${rope.key} = ${JSON.stringify(rope.type)} (Phi-3's LongRoPE scaling with short_factor / long_factor) ` +
        'is not supported; only unscaled rotary (rope_scaling null, or rope_type "default") loads',
    );
  }
  const cfg = { ...llamaLike(c, source), originalArchitecture: "Phi3ForCausalLM" };
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
  return { ...cfg, rotaryDim, ...(window === undefined ? {} : { slidingWindow: window as number }) };
}
