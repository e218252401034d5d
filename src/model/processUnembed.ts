/**
 * The unembedding's share of weight processing: ln_final folded into W_U (and b_U), then W_U centred over the
 * vocabulary. W_U is usually the largest tensor (d_model × vocab), so it is rebuilt in column slices into one
 * array the backend adopts, instead of through whole-tensor operations whose inputs, intermediates and output
 * would all be resident at once. When W_U is exactly the transpose of the embedding (tied weights), the old W_U is
 * freed first and the slices are read from the embedding, so processing needs no second copy of it.
 */
import type { Tensor } from "@tensorflow/tfjs-core";
import { adoptableFloat32, collectGarbage, GarbagePacer, tensorFromValues } from "../loading/tensorMemory";
import { tf } from "../tensor";

/** The parameter access processUnembed needs (processWeights's edits). */
export interface UnembedEdits {
  has(name: string): boolean;
  get(name: string): Tensor;
  /** Replaces a parameter now, freeing the old tensor. */
  set(name: string, value: Tensor): void;
  /** Frees a parameter now (it is set again before processing ends). */
  free(name: string): void;
}

/** What to do to the unembedding. */
export interface UnembedSteps {
  /** Fold ln_final's weight (and, for LayerNorm, bias) into W_U and b_U. */
  foldLn: boolean;
  /** ln_final is a LayerNorm (its folded readers are centred over d_model, its bias moves into b_U). */
  isLn: boolean;
  /** Centre W_U and b_U over the vocabulary. */
  centre: boolean;
  /** Values per slice of W_U (default about 16 MB of fp32). */
  sliceValues?: number;
}

/** Values per slice of W_U (about 16 MB of fp32). */
const SLICE_VALUES = 1 << 22;

/** True when `W_U` [d, v] equals the transpose of `W_E` [v, d] value for value (compared `width` columns at a time). */
function isTransposeOf(W_U: Tensor, W_E: Tensor, width: number): boolean {
  const [d, v] = W_U.shape;
  if (W_E.shape.length !== 2 || W_E.shape[0] !== v || W_E.shape[1] !== d) return false;
  for (let first = 0; first < v; first += width) {
    const n = Math.min(width, v - first);
    const differs = tf.tidy(() => {
      const fromEmbed = W_E.slice([first, 0], [n, d]).transpose(); // [d, n]
      return fromEmbed
        .notEqual(W_U.slice([0, first], [d, n]))
        .any()
        .dataSync()[0];
    });
    if (differs) return false;
  }
  return true;
}

/** Folds ln_final into W_U / b_U and centres them over the vocabulary, as `steps` say (see the file comment). */
export function processUnembed(e: UnembedEdits, steps: UnembedSteps): void {
  if (!e.has("unembed.W_U")) return;
  const lnWeight = steps.foldLn && e.has("ln_final.w") ? e.get("ln_final.w") : undefined; // [d]
  const lnBias = lnWeight && steps.isLn && e.has("ln_final.b") ? e.get("ln_final.b") : undefined; // [d]
  if (!lnWeight && !steps.centre) return;
  const oldW_U = e.get("unembed.W_U"); // [d, v]
  const [d, v] = oldW_U.shape;
  const W_E = e.has("embed.W_E") ? e.get("embed.W_E") : undefined; // [v, d]
  const width = Math.max(1, Math.floor((steps.sliceValues ?? SLICE_VALUES) / d));
  const tied = W_E !== undefined && isTransposeOf(oldW_U, W_E, width);
  let embed = W_E;
  if (tied) {
    // The old W_U goes first. The embedding is copied into the backend memory it leaves (its own array, when the
    // backend adopted one, is then collected), so the new W_U below reuses that rather than adding to the peak.
    e.free("unembed.W_U");
    embed = tf.mul(W_E!, 1); // [v, d]; exact
    e.set("embed.W_E", embed);
    collectGarbage();
  }
  const slices: [number, number][] = [];
  for (let first = 0; first < v; first += width) slices.push([first, Math.min(width, v - first)]);
  /** Columns first … first+n of the original W_U (call inside a tidy): [d, n]. */
  const original = (first: number, n: number): Tensor =>
    tied ? embed!.slice([first, 0], [n, d]).transpose() : oldW_U.slice([0, first], [d, n]); // [d, n]
  /** The same columns with ln_final folded in: [d, n]. */
  const folded = (first: number, n: number): Tensor => {
    let columns = original(first, n); // [d, n]
    if (lnWeight) {
      columns = columns.mul(lnWeight.reshape([-1, 1]));
      if (steps.isLn) columns = columns.sub(columns.mean(0, true)); // a LayerNorm's readers are centred over d
    }
    return columns;
  };
  // First pass: ln_final's bias through the original W_U, and W_U's row sums for centring over the vocabulary.
  let extraBias: Tensor | undefined; // [v]
  if (lnBias) {
    const pieces = slices.map(([first, n]) =>
      tf.tidy(() => tf.matMul(lnBias.reshape([1, -1]), original(first, n)).reshape([-1])),
    ); // each [n]
    extraBias = tf.concat(pieces);
    tf.dispose(pieces);
  }
  let rowMeans: Tensor | undefined; // [d, 1]
  if (steps.centre) {
    let sums = tf.zeros([d]); // [d]
    for (const [first, n] of slices) {
      const next = tf.tidy(() => sums.add(folded(first, n).sum(1)));
      sums.dispose();
      sums = next;
    }
    rowMeans = tf.tidy(() => sums.div(v).reshape([-1, 1]));
    sums.dispose();
  }
  // Second pass: the processed columns, written into one array the new W_U takes over.
  const values = adoptableFloat32(d * v);
  const pacer = new GarbagePacer(256 * 1024 * 1024);
  for (const [first, n] of slices) {
    const processed = tf.tidy(() => (rowMeans ? folded(first, n).sub(rowMeans) : folded(first, n))); // [d, n]
    const columns = processed.dataSync(); // read outside tidy, which would walk a returned array value by value
    processed.dispose();
    pacer.allocated(columns.byteLength);
    for (let row = 0; row < d; row++) values.set(columns.subarray(row * n, (row + 1) * n), row * v + first);
  }
  rowMeans?.dispose();
  e.set("unembed.W_U", tensorFromValues(values, [d, v])); // [d, v]
  if (e.has("unembed.b_U")) {
    tf.tidy(() => {
      let b_U = e.get("unembed.b_U"); // [v]
      if (extraBias) b_U = b_U.add(extraBias);
      if (steps.centre) b_U = b_U.sub(b_U.mean(0, true));
      e.set("unembed.b_U", b_U);
    });
  }
  extraBias?.dispose();
}
