/**
 * Which patches change anything. A patch swaps the corrupted run's activation for the clean run's; where
 * the two are equal it changes nothing. Clean and corrupted prompts usually share a prefix (they differ
 * in a name or a fact), and before the first differing token every activation of the two runs is the
 * same. Attention is causal, so a run that patches a slice changes nothing before the first query
 * position where its slice differs, and a run whose slice is equal everywhere is the corrupted run.
 */
import type { Tensor } from "@tensorflow/tfjs-core";
import { tf } from "../../tensor";
import { firstChangedPosition, PatchKind, queryAxis } from "./kinds";

/** Where the clean and corrupted activations of one layer differ, over the axes a run's index and query position fix. */
export interface LayerDifferences {
  /** The activation axes kept (ascending; the batch axis and the rest are reduced with "any"). */
  axes: number[];
  /** Their lengths. */
  shape: number[];
  /** Row-major over `shape`: 1 where some element of the slice differs (NaN counts as differing). */
  data: Uint8Array;
}

/** The activation axes a run of `kind` fixes: its index axes and the query-position axis. */
function keptAxes(kind: PatchKind): number[] {
  return [...new Set([...kind.axes.map((axis) => axis.actAxis), queryAxis(kind)])].sort((a, b) => a - b);
}

/** Where `clean` and `corrupted` (the same shape, batch first) differ, per slice a run of `kind` can patch. */
export function layerDifferences(kind: PatchKind, clean: Tensor, corrupted: Tensor): LayerDifferences {
  const axes = keptAxes(kind);
  const reduced = clean.shape.map((_, a) => a).filter((a) => !axes.includes(a));
  const differs = tf.tidy(() => tf.notEqual(clean, corrupted).any(reduced)); // [...kept axis lengths], bool
  try {
    return { axes, shape: differs.shape, data: Uint8Array.from(differs.dataSync()) };
  } finally {
    differs.dispose();
  }
}

/**
 * The first position a run with index `tuple` changes, given where its layer's activations differ; undefined when
 * it changes nothing. It is at least the run's own first position (its "pos" or "dest" index, else 0).
 */
export function firstChange(kind: PatchKind, differences: LayerDifferences, tuple: number[]): number | undefined {
  const query = queryAxis(kind);
  const fixed = new Map(kind.axes.map((axis, i) => [axis.actAxis, tuple[i]]));
  const { axes, shape, data } = differences;
  const strides = shape.map((_, i) => shape.slice(i + 1).reduce((a, b) => a * b, 1));
  const start = firstChangedPosition(kind, tuple);
  const end = fixed.has(query) ? start + 1 : shape[axes.indexOf(query)];
  for (let p = start; p < end; p++) {
    const offset = axes.reduce((sum, axis, i) => sum + (axis === query ? p : fixed.get(axis)!) * strides[i], 0);
    if (data[offset]) return p;
  }
  return undefined;
}
