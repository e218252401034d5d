/**
 * What every patched run shares, in both modes: the inputs of a sweep, the mask that says which
 * slice of an activation a run patches, the clean activation it patches in, and its metric value.
 */
import type { Tensor, Tensor2D } from "@tensorflow/tfjs-core";
import type { ActivationCache } from "../../cache/activationCache";
import type { HookedTransformer } from "../../model/hookedTransformer";
import type { HookName } from "../../model/hookPoints";
import { describeValue, isTensor } from "../../model/hooks";
import { tf } from "../../tensor";
import { PatchKind, queryAxis } from "./kinds";

/** Scores one patched run from its logits [batch, pos, d_vocab] (a scalar tensor or a number). */
export type PatchMetric = (logits: Tensor) => Tensor | number;

/** Resolved inputs of a sweep. */
export interface Sweep {
  model: HookedTransformer;
  kind: PatchKind;
  tokens: Tensor; // [batch, pos] corrupted, int32, owned by the sweep
  /** The padding mask of the corrupted (and clean) batch, int32 [batch, pos], owned by the sweep; undefined: no padding. */
  attentionMask?: Tensor2D;
  clean: ActivationCache;
  metric: PatchMetric;
  /** Length of each index axis after the layer. */
  sizes: number[];
  /** Every index tuple, first axis slowest; run (layer l, tuple t) is value l·tuples.length + t. */
  tuples: number[][];
  /** The positions whose logits the metric reads (ascending), when the caller says so; the others are NaN. */
  metricPositions?: number[];
}

/**
 * 1 where a run with index `tuple` patches, over an activation's non-batch shape (a bool tensor), for an
 * activation whose query positions start at `firstPos` (positions before it were not computed).
 */
export function patchMask(kind: PatchKind, shape: number[], tuple: number[], firstPos = 0): Tensor {
  return tf.tidy(() => {
    let mask: Tensor = tf.ones(shape.slice(1), "bool");
    kind.axes.forEach((axis, i) => {
      const along = shape[axis.actAxis];
      const index = axis.actAxis === queryAxis(kind) ? tuple[i] - firstPos : tuple[i];
      const hot = tf
        .range(0, along, 1, "int32")
        .equal(tf.scalar(index, "int32"))
        .reshape(shape.slice(1).map((_, a) => (a + 1 === axis.actAxis ? along : 1)));
      mask = tf.logicalAnd(mask, hot);
    });
    return mask;
  });
}

/** The number a metric's result stands for; throws unless it is a number or a one-element tensor. */
function scalarOf(value: unknown): number {
  if (typeof value === "number") return value;
  if (!isTensor(value)) throw new Error(`the metric must return a scalar tf.Tensor or a number, got ${describeValue(value)}`);
  if (value.isDisposed) throw new Error("the metric returned a disposed tensor; return a scalar tf.Tensor or a number");
  if (value.size !== 1) throw new Error(`the metric must return a scalar, got a tensor of shape [${value.shape}]`);
  return value.dataSync()[0];
}

/**
 * The metric of one run's logits, as a number; throws unless the metric gives a scalar (and, with
 * `metricPositions`, unless it is a number: NaN means it read the hidden positions). The metric is the caller's
 * code and need not tidy: every tensor it makes (its result too) is freed here, also when it throws.
 */
export function metricValue(sweep: Sweep, logits: Tensor): number {
  const out = tf.tidy(() => scalarOf(sweep.metric(logits)));
  if (sweep.metricPositions && Number.isNaN(out))
    throw new Error(
      `the metric gave NaN: with metricPositions [${sweep.metricPositions}], the logits of every other position are NaN, so the metric must read only those positions`,
    );
  return out;
}

/** `logits` [batch, pos, vocab] with NaN at every position the metric does not read (a new tensor). */
export function hideUnreadLogits(logits: Tensor, readPositions: number[]): Tensor {
  return tf.tidy(() => {
    const nPos = logits.shape[1]!;
    const read = tf.tensor1d(
      Array.from({ length: nPos }, (_, p) => (readPositions.includes(p) ? 1 : 0)),
      "bool",
    );
    return tf.where(read.reshape([1, nPos, 1]), logits, tf.scalar(NaN));
  });
}

/** The clean run's activation that layer `layer`'s runs patch in (the cache's tensor, not a copy). */
export function cleanActivation(sweep: Sweep, layer: number): Tensor {
  const name: HookName = `blocks.${layer}.${sweep.kind.hook}`;
  if (!sweep.clean.has(name))
    throw new Error(`the clean cache lacks "${name}": run runWithCache on the clean input without filtering it out`);
  return sweep.clean.get(name);
}

/** Throws unless the corrupted activation `act` (of `rows` batch rows) has the clean one's shape. */
export function checkShape(act: Tensor, clean: Tensor, name: string, rows: number): void {
  const expected = [rows, ...clean.shape.slice(1)];
  if (act.shape.join() !== expected.join())
    throw new Error(
      `${name}: the corrupted run's activation is [${act.shape}] but the clean one is [${clean.shape}]: clean and corrupted inputs must have the same batch and length`,
    );
}

/** Frees the event loop between forwards, so progress output and kernel messages go out during long sweeps. */
export const breathe = () => new Promise<void>((resolve) => setImmediate(resolve));
