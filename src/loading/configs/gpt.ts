/** Config makers for GPT-2 and GPT-NeoX (Pythia) config.json files. */

import { actFn, BASE, decoderFields, Json, num, optional, type TransformerConfig } from "./common";

export function fromGpt2(c: Json, source: string): TransformerConfig {
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

export function fromNeox(c: Json, source: string): TransformerConfig {
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
