/**
 * FLOP and parameter accounting per component of a model, for one forward pass of one
 * sequence of `nCtx` tokens. A multiply-add counts as 2 FLOPs. Attention scores and
 * pattern·V count the full nCtx × nCtx matrix, as tslens (and TransformerLens) compute it;
 * a causal kernel could skip the masked half.
 */
import type { TransformerConfig } from "../loading/config";

/** The components FLOPs and parameters are attributed to. */
export type FlopComponent = "embed" | "QK" | "OV" | "MLP" | "norms" | "unembed";

/** One component's share of a forward pass. */
export interface ComponentCount {
  component: FlopComponent;
  /** FLOPs of one forward pass over nCtx tokens (all layers). */
  flops: number;
  /** Parameters (all layers), as the model stores them (W_U separate from W_E). */
  params: number;
  /** flops / total flops. */
  flopShare: number;
}

/** FLOPs and parameters of a model at one context length. */
export interface FlopReport {
  nCtx: number;
  components: ComponentCount[];
  totalFlops: number;
  totalParams: number;
  /** totalFlops / nCtx. */
  flopsPerToken: number;
}

/** Element-wise FLOPs of one normalisation per d_model entry: LN centres, squares, averages, scales, shifts; RMS skips centring and shift. */
const NORM_FLOPS_PER_ELEMENT = { LN: 8, LNPre: 6, RMS: 4, RMSPre: 3 } as const;

/**
 * Counts FLOPs and parameters per component (embed, QK, OV, MLP, norms, unembed) for a model
 * (or its config) at context length `nCtx` (default: the model's nCtx).
 * QK = W_Q, W_K and the scores q·kᵀ (plus the softmax); OV = W_V, pattern·v and W_O.
 */
export function countFlops(model: TransformerConfig | { cfg: TransformerConfig }, nCtx?: number): FlopReport {
  const cfg = "cfg" in model ? model.cfg : model;
  nCtx ??= cfg.nCtx;
  if (!Number.isInteger(nCtx) || nCtx < 1 || nCtx > cfg.nCtx)
    throw new Error(`nCtx must be an integer in 1…${cfg.nCtx} (the model's context), got ${nCtx}`);
  const n = nCtx;
  const L = cfg.nLayers;
  const d = cfg.dModel;
  const heads = cfg.nHeads;
  const kvHeads = cfg.nKeyValueHeads ?? cfg.nHeads;
  const qWidth = heads * cfg.dHead;
  const kvWidth = kvHeads * cfg.dHead;
  const hasNorm = cfg.normalizationType !== null;
  const normWeights = cfg.normalizationType === "LN" ? 2 * d : cfg.normalizationType === "RMS" ? d : 0;
  const normFlops = hasNorm ? NORM_FLOPS_PER_ELEMENT[cfg.normalizationType!] * n * d : 0;
  const normsPerLayer = cfg.attnOnly ? 1 : 2;
  const mlpMatrices = cfg.gatedMlp ? 3 : 2;

  const counts: Omit<ComponentCount, "flopShare">[] = [
    {
      component: "embed",
      flops: cfg.positionalEmbeddingType === "standard" ? n * d : 0, // adding W_pos; the W_E lookup is a gather
      params: cfg.dVocab * d + (cfg.positionalEmbeddingType === "rotary" ? 0 : cfg.nCtx * d),
    },
    {
      component: "QK",
      flops: L * (2 * n * d * (qWidth + kvWidth) + 2 * n * n * qWidth + 5 * heads * n * n), // projections, scores, softmax
      params: L * ((d + 1) * qWidth + (d + 1) * kvWidth),
    },
    {
      component: "OV",
      flops: L * (2 * n * d * kvWidth + 2 * n * n * qWidth + 2 * n * qWidth * d),
      params: L * ((d + 1) * kvWidth + qWidth * d + d),
    },
    {
      component: "MLP",
      flops: cfg.attnOnly ? 0 : L * 2 * n * d * cfg.dMlp * mlpMatrices,
      params: cfg.attnOnly ? 0 : L * (d * cfg.dMlp * mlpMatrices + cfg.dMlp + d),
    },
    {
      component: "norms",
      flops: (L * normsPerLayer + 1) * normFlops,
      params: (L * normsPerLayer + 1) * normWeights,
    },
    { component: "unembed", flops: 2 * n * d * cfg.dVocabOut, params: d * cfg.dVocabOut + cfg.dVocabOut },
  ];
  const totalFlops = counts.reduce((s, c) => s + c.flops, 0);
  const totalParams = counts.reduce((s, c) => s + c.params, 0);
  return {
    nCtx: n,
    components: counts.map((c) => ({ ...c, flopShare: c.flops / totalFlops })),
    totalFlops,
    totalParams,
    flopsPerToken: totalFlops / n,
  };
}
