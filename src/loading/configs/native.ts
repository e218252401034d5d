/** Config maker for tslens-native configs (TransformerLens-style fields). */

import { actFn, BASE, ConfigError, Json, NormalizationType, type TransformerConfig } from "./common";

/**
 * A tslens-native config: TransformerLens-style fields (snake_case or camelCase),
 * marked by `"tslens_format": 1`. Used for models without a Hugging Face class.
 */
export function fromNative(c: Json, source: string): TransformerConfig {
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
