/**
 * TransformerConfig: the model description every stage shares (TransformerLens's
 * HookedTransformerConfig in camelCase), and its construction from a Hugging
 * Face config.json or a tslens-native config.
 */

import { ConfigError, Json, type TransformerConfig } from "./configs/common";
import { fromGpt2, fromNeox } from "./configs/gpt";
import { fromLlama, fromMistral, fromQwen2, fromQwen3 } from "./configs/llama";
import { fromGemma, fromGemma2, fromGemma3, fromGemma3Text } from "./configs/gemma";
import { fromNative } from "./configs/native";
import { fromOlmo2 } from "./configs/olmo";
import { fromPhi3 } from "./configs/phi3";

export { ConfigError } from "./configs/common";
export type { ActFn, NormalizationType, RopeScaling, TransformerConfig } from "./configs/common";

/** One config maker per Hugging Face model_type; a new family adds one line here. */
const MAKERS: Record<string, (c: Json, source: string) => TransformerConfig> = {
  gpt2: fromGpt2,
  gpt_neox: fromNeox,
  llama: fromLlama,
  qwen2: fromQwen2,
  qwen3: fromQwen3,
  mistral: fromMistral,
  gemma: fromGemma,
  gemma2: fromGemma2,
  gemma3_text: fromGemma3Text,
  gemma3: fromGemma3,
  olmo2: fromOlmo2,
  phi3: fromPhi3,
};

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

/** Builds a TransformerConfig from a parsed config.json; `source` (a path) names it in errors. */
export function configFromJson(json: unknown, source: string): TransformerConfig {
  if (json === null || typeof json !== "object" || Array.isArray(json))
    throw new ConfigError(`${source}: config is not a JSON object`);
  const c = json as Json;
  if (c.tslens_format !== undefined) return positiveInts(fromNative(c, source), source);
  const maker = typeof c.model_type === "string" ? MAKERS[c.model_type] : undefined;
  if (!maker) {
    throw new ConfigError(
      `${source}: unknown model_type ${JSON.stringify(c.model_type)} (supported: ${Object.keys(MAKERS).join(", ")}, or a tslens-native config)`,
    );
  }
  return positiveInts(maker(c, source), source);
}
