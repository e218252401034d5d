/** Config maker for OLMo-2 config.json files. */
import { ConfigError, Json, optional, type TransformerConfig } from "./common";
import { llamaLike } from "./llama";

/**
 * OLMo-2: the Llama layout with its norms after attention and after the MLP only (on their outputs, before the
 * residual add), and RMSNorms of q and k over the whole projected width (all heads at once), before rotary.
 */
export function fromOlmo2(c: Json, source: string): TransformerConfig {
  if (optional(c, "attention_bias") === true)
    throw new ConfigError(`${source}: attention_bias = true is not supported for OLMo-2`);
  return {
    ...llamaLike(c, source),
    qkNorm: true,
    qkNormAcrossHeads: true,
    normPlacement: "post",
    originalArchitecture: "Olmo2ForCausalLM",
  };
}
