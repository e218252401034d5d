/**
 * The composition score that random weights get, to read a model's scores against (Elhage et al. 2021 compare their
 * scores with it, and TransformerLens's demos do too): the mean over `samples` draws of ‖W_A W_B‖_F / (‖W_A‖_F ‖W_B‖_F)
 * where W_A = X Y and W_B = Z W have the shapes of a head's circuits (X, Z [d_model, d_head]; Y, W [d_head, d_model])
 * with independent standard Gaussian entries. Because Z's distribution does not change under a rotation of d_model,
 * the mean of the squared score is exactly 1/d_model; the mean score is a little below 1/√d_model.
 */
import { tf } from "../../tensor";

/** Options of randomCompositionBaseline. */
export interface RandomBaselineOptions {
  /** Draws averaged (default: defaultBaselineSamples, 16 … 200 by size). */
  samples?: number;
  /** Seed of the Gaussian draws (default 0), so a notebook's baseline is the same on every run. */
  seed?: number;
}

/** A positive integer, or an error naming the option. */
function positiveInteger(value: number, name: string): number {
  if (!Number.isInteger(value) || value < 1)
    throw new Error(`randomCompositionBaseline: ${name} must be a positive integer, got ${value}`);
  return value;
}

/**
 * The default number of draws for `dModel` × `dHead`: as many as keep the Gaussian numbers drawn near a million (they
 * are generated in JavaScript), between 16 and 200 — 61 for d_model 128, d_head 32; 16 for GPT-2's 768 × 64. The score
 * of one draw concentrates as the sizes grow, so larger models need fewer.
 */
export function defaultBaselineSamples(dModel: number, dHead: number): number {
  return Math.max(16, Math.min(200, Math.floor(1e6 / (4 * dModel * dHead))));
}

/**
 * The mean composition score of random weights with a model's `dModel` and `dHead`. Norms come from d_head × d_head
 * Gram matrices (as compositionScores), so the cost grows with d_model·d_head², not d_model³.
 */
export function randomCompositionBaseline(dModel: number, dHead: number, options: RandomBaselineOptions = {}): number {
  const [d, e] = [positiveInteger(dModel, "dModel"), positiveInteger(dHead, "dHead")];
  const samples = positiveInteger(options.samples ?? defaultBaselineSamples(d, e), "samples");
  const seed = options.seed ?? 0;
  if (!Number.isInteger(seed) || seed < 0)
    throw new Error(`randomCompositionBaseline: seed must be a whole number ≥ 0, got ${seed}`);
  // Seeds from 1: tfjs draws an unseeded (different every call) stream for seed 0.
  return tf.tidy(() => {
    const x = tf.randomNormal([samples, d, e], 0, 1, "float32", 4 * seed + 1); // [S, d, e]
    const y = tf.randomNormal([samples, e, d], 0, 1, "float32", 4 * seed + 2); // [S, e, d]
    const z = tf.randomNormal([samples, d, e], 0, 1, "float32", 4 * seed + 3); // [S, d, e]
    const w = tf.randomNormal([samples, e, d], 0, 1, "float32", 4 * seed + 4); // [S, e, d]
    const gramX = x.matMul(x, true, false); // [S, e, e]: Xᵀ X
    const gramW = w.matMul(w, false, true); // [S, e, e]: W Wᵀ
    const trace = (a: tf.Tensor, b: tf.Tensor) => a.mul(b).sum([-2, -1]); // [S]: tr(a bᵀ)
    const m = y.matMul(z); // [S, e, e]: Y Z
    const product = trace(gramX.matMul(m), m.matMul(gramW)); // [S]: ‖X Y Z W‖² = tr(Gx M Gw Mᵀ)
    const normA = trace(gramX, y.matMul(y, false, true)); // [S]: ‖X Y‖² = tr(Gx Y Yᵀ)
    const normB = trace(z.matMul(z, true, false), gramW); // [S]: ‖Z W‖² = tr(Zᵀ Z Gw)
    return product.div(normA.mul(normB)).sqrt().mean().dataSync()[0];
  });
}
