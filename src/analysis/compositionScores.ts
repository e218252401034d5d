/**
 * Composition scores (Elhage et al. 2021, "A Mathematical Framework for Transformer Circuits"): how much a head of a
 * later layer reads, through its query (Q), key (K) or value (V) input, what a head of an earlier layer writes.
 *
 * For an earlier head with OV circuit W_A = W_V W_O [d_model, d_model] and a later head's W_B, the score is
 * ‖W_A W_B‖_F / (‖W_A‖_F ‖W_B‖_F), with W_B = W_Q W_Kᵀ (Q), W_K W_Qᵀ (K) or W_V W_O (V): TransformerLens's
 * `model.all_composition_scores(mode)`. Norms are computed from d_head × d_head Gram matrices, never forming a
 * d_model × d_model product, so the cost grows with d_head² rather than d_model².
 */
import type { Tensor } from "@tensorflow/tfjs-core";
import type { HookedTransformer } from "../model/hookedTransformer";
import { tf } from "../tensor";

/** Which input of the later head reads the earlier head's output: its query, its key or its value. */
export type CompositionMode = "Q" | "K" | "V";

const MODES: readonly CompositionMode[] = ["Q", "K", "V"];

/** Options of compositionScores. */
export interface CompositionScoresOptions {
  /** One mode: return only its tensor, like TransformerLens's `all_composition_scores(mode)`. */
  mode?: CompositionMode;
}

/** Q-, K- and V-composition of every pair of heads, with the heads' labels. */
export interface CompositionScores {
  /** [n_layers, n_heads, n_layers, n_heads]: Q[l1][h1][l2][h2] scores earlier head l1.h1 into later head l2.h2. */
  Q: Tensor;
  /** [n_layers, n_heads, n_layers, n_heads], as Q but through the later head's key. */
  K: Tensor;
  /** [n_layers, n_heads, n_layers, n_heads], as Q but through the later head's value. */
  V: Tensor;
  /** "L0H0", "L0H1", …: the heads in the order of a score tensor reshaped to [n_layers·n_heads, n_layers·n_heads]. */
  labels: string[];
  /** Frees Q, K and V. */
  dispose(): void;
}

/** The weights one mode reads: left factors O (W_O) with Gram G = W_Vᵀ W_V, right factors C with H = D Dᵀ. */
interface Factors {
  /** W_O of every head [n_heads_total, d_head, d_model]. */
  wO: Tensor;
  /** W_Vᵀ W_V of every head [n_heads_total, d_head, d_head]. */
  gramV: Tensor;
  /** C of every head [n_heads_total, d_model, d_head]: W_Q (Q), W_K (K) or W_V (V). */
  right: Tensor;
  /** D Dᵀ of every head [n_heads_total, d_head, d_head]: W_Kᵀ W_K (Q), W_Qᵀ W_Q (K) or W_O W_Oᵀ (V). */
  rightGram: Tensor;
}

/** Σ over the last two axes of a ∘ b: tr(a bᵀ), which for symmetric b is tr(a b). */
function traceOfProduct(a: Tensor, b: Tensor): Tensor {
  return a.mul(b).sum([-2, -1]);
}

/** a / b where b > 0, else 0 (a head whose weights are all zero composes with nothing). */
function safeDivide(a: Tensor, b: Tensor): Tensor {
  const positive = b.greater(0);
  return tf.where(positive, a.div(tf.where(positive, b, tf.onesLike(b))), tf.zerosLike(a));
}

/**
 * Scores of the heads of layer `layer` into every head of the later layers [n_heads, (n_layers − layer − 1)·n_heads].
 * ‖A B C D‖² = tr(Mᵀ G M H) with M = B C [d_head, d_head], G = AᵀA, H = D Dᵀ.
 */
function layerScores(f: Factors, layer: number, nHeads: number, leftNorms: Tensor, rightNorms: Tensor): Tensor {
  const [, dHead, dModel] = f.wO.shape;
  const first = (layer + 1) * nHeads; // first head of a later layer
  const nLater = f.right.shape[0] - first;
  const wO = f.wO.slice([layer * nHeads, 0, 0], [nHeads, -1, -1]); // [H, e, d]
  const gram = f.gramV.slice([layer * nHeads, 0, 0], [nHeads, -1, -1]); // [H, e, e]
  const right = f.right.slice([first, 0, 0], [nLater, -1, -1]); // [N', d, e]
  const rightGram = f.rightGram.slice([first, 0, 0], [nLater, -1, -1]); // [N', e, e]
  const rightFlat = right.transpose([1, 0, 2]).reshape([dModel, nLater * dHead]); // [d, N'·e]
  const m = wO
    .reshape([nHeads * dHead, dModel])
    .matMul(rightFlat)
    .reshape([nHeads, dHead, nLater * dHead]); // [H, e, N'·e]
  const gm = gram.matMul(m); // [H, e, N'·e]: G_a M_ab
  const byRight = (t: Tensor) =>
    t
      .reshape([nHeads, dHead, nLater, dHead])
      .transpose([2, 0, 1, 3])
      .reshape([nLater, nHeads * dHead, dHead]); // [N', H·e, e]
  const gmh = byRight(gm).matMul(rightGram); // [N', H·e, e]: G_a M_ab H_b
  const crossSquared = byRight(m)
    .mul(gmh)
    .reshape([nLater, nHeads, dHead * dHead])
    .sum(-1)
    .transpose(); // [H, N']
  const cross = crossSquared.relu().sqrt(); // rounding can leave −ε where the product is 0
  const denominator = leftNorms
    .slice([layer * nHeads], [nHeads])
    .reshape([nHeads, 1])
    .mul(rightNorms.slice([first], [nLater]));
  return safeDivide(cross, denominator); // [H, N']
}

/** The full [n_layers, n_heads, n_layers, n_heads] tensor of one mode, 0 wherever the later layer is not after the earlier. */
function modeScores(f: Factors, nLayers: number, nHeads: number): Tensor {
  const leftNorms = traceOfProduct(f.gramV, f.wO.matMul(f.wO, false, true))
    .relu()
    .sqrt(); // [N]: ‖W_V W_O‖_F
  const rightNorms = traceOfProduct(f.right.matMul(f.right, true, false), f.rightGram)
    .relu()
    .sqrt(); // [N]: ‖C D‖_F
  const rows: Tensor[] = [];
  for (let layer = 0; layer < nLayers; layer++) {
    const zeros = tf.zeros([nHeads, (layer + 1) * nHeads]); // [H, (layer + 1)·H]: same or earlier layers
    rows.push(layer === nLayers - 1 ? zeros : tf.concat([zeros, layerScores(f, layer, nHeads, leftNorms, rightNorms)], 1));
  }
  return tf.stack(rows).reshape([nLayers, nHeads, nLayers, nHeads]); // [L, H, L, H]
}

function checkModel(model: HookedTransformer): void {
  const { nLayers } = model.cfg;
  if (nLayers < 2) {
    throw new Error(
      `compositionScores: the model has ${nLayers} layer${nLayers === 1 ? "" : "s"}; composition needs a head in a later layer ` +
        `reading a head of an earlier one, so at least 2 layers`,
    );
  }
  const missing = ["W_Q", "W_K", "W_V", "W_O"].filter(
    (w) => !model.paramNames().some((name) => name === `blocks.0.attn.${w}` || name === `blocks.0.attn._${w}`),
  );
  if (missing.length > 0)
    throw new Error(`compositionScores: the model has no attention weights ${missing.join(", ")} (blocks.0.attn)`);
}

/**
 * Q-, K- and V-composition scores between every head and every head of a later layer, from the model's current weights
 * (as TransformerLens's `all_composition_scores`, which reads its loaded weights: with the default loading, LayerNorm is
 * folded into W_Q, W_K, W_V and writing weights are centred, except for shortformer models; `processWeights: false`
 * gives the raw weights' scores). Grouped-query models use each head's shared W_K and W_V.
 *
 * Returns `{ Q, K, V, labels, dispose }` with three [n_layers, n_heads, n_layers, n_heads] tensors, or with
 * `{ mode }` only that tensor. scores[l1][h1][l2][h2] is how much head l2.h2 reads head l1.h1; it is 0 when l2 ≤ l1
 * (as TransformerLens) and 0 for a head whose weights are all zero (TransformerLens gives NaN there).
 * Every score lies in [0, 1]. The caller disposes the tensors.
 */
export function compositionScores(
  model: HookedTransformer,
  options: CompositionScoresOptions & { mode: CompositionMode },
): Tensor;
export function compositionScores(model: HookedTransformer, options?: CompositionScoresOptions): CompositionScores;
export function compositionScores(model: HookedTransformer, options: CompositionScoresOptions = {}): Tensor | CompositionScores {
  const { mode } = options;
  if (mode !== undefined && !MODES.includes(mode))
    throw new Error(`compositionScores: mode must be one of Q, K, V, got ${JSON.stringify(mode)}`);
  checkModel(model);
  const { nLayers, nHeads } = model.cfg;
  const modes = mode === undefined ? MODES : [mode];
  const scores = tf.tidy(() => {
    const flat = (t: Tensor) => t.reshape([nLayers * nHeads, t.shape[2]!, t.shape[3]!]);
    const wQ = flat(model.W_Q); // [N, d, e]
    const wK = flat(model.W_K); // [N, d, e]
    const wV = flat(model.W_V); // [N, d, e]
    const wO = flat(model.W_O); // [N, e, d]
    const gram = (w: Tensor) => w.matMul(w, true, false); // [N, e, e]: wᵀ w
    const gramV = gram(wV);
    const out: Partial<Record<CompositionMode, Tensor>> = {};
    for (const m of modes) {
      const right = m === "Q" ? wQ : m === "K" ? wK : wV;
      const rightGram = m === "Q" ? gram(wK) : m === "K" ? gram(wQ) : wO.matMul(wO, false, true); // [N, e, e]
      out[m] = modeScores({ wO, gramV, right, rightGram }, nLayers, nHeads);
    }
    return out as Record<string, Tensor>;
  });
  if (mode !== undefined) return scores[mode];
  const labels = Array.from({ length: nLayers * nHeads }, (_, i) => `L${Math.floor(i / nHeads)}H${i % nHeads}`);
  return {
    Q: scores.Q,
    K: scores.K,
    V: scores.V,
    labels,
    dispose: () => tf.dispose([scores.Q, scores.K, scores.V]),
  };
}
