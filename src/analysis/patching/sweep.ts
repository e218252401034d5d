/**
 * The activation-patching engine. For every layer and index tuple of a PatchKind, the
 * corrupted input runs with that slice of the activation replaced by the clean run's, and the
 * metric of the logits is recorded. Two modes give the same values: "batched" (default; see
 * batched.ts) does only the work a patch can change, many runs per forward; "loop" (loop.ts) runs
 * one full forward per index, as TransformerLens does.
 */
import type { Tensor } from "@tensorflow/tfjs-core";
import type { ActivationCache } from "../../cache/activationCache";
import type { HookedTransformer, ModelInput } from "../../model/hookedTransformer";
import { describeValue } from "../../model/hooks";
import type { RunInputOptions } from "../../model/run";
import { tf } from "../../tensor";
import { runBatched } from "./batched";
import { axisSizes, PatchKind } from "./kinds";
import { runLoop } from "./loop";
import { corruptedBatch, checkSamePadding } from "./padding";
import { PatchProgress, sweepProgress } from "./progress";
import { PatchMetric, Sweep } from "./run";

export type { PatchMetric } from "./run";

/**
 * Options of the patching functions. The corrupted input takes the options of `model.forward`: a batch of texts is
 * padded on `paddingSide`, token ids take their padding mask as `attentionMask` (e.g. `toTokensWithMask`'s). A padded
 * batch must be padded exactly as the clean cache's run was; every patched run then masks the padding and counts
 * positions from each row's first real token, as the unpatched run does.
 */
export interface PatchOptions extends RunInputOptions {
  /** "batched" (default) or "loop" (one full forward per index, as TransformerLens). */
  mode?: "batched" | "loop";
  /** Most patched runs that go through the model together in batched mode (default: up to 1024 rows of stream). */
  batchSize?: number;
  /**
   * Progress bar (default: for sweeps of 64 runs or more, a widget with a Cancel button in a notebook cell, a text
   * bar on stderr elsewhere), false, or a callback. Cancel, or interrupting the cell, stops the sweep after the
   * batch it is in; it then rejects with a SweepCancelledError.
   */
  progress?: PatchProgress;
  /**
   * The positions whose logits the metric reads (negative ones count from the end; e.g. [-1] for a metric on the
   * last token). Logits at other positions are then not computed, and the metric sees NaN there — a metric that
   * reads them gives NaN, which is an error. Default: every position.
   */
  metricPositions?: number[];
}

/** `positions` as ascending, distinct, non-negative indices below `nPos`; throws on anything else. */
function readPositions(positions: number[], nPos: number): number[] {
  if (
    !Array.isArray(positions) ||
    positions.length === 0 ||
    !positions.every((p) => Number.isInteger(p) && p >= -nPos && p < nPos)
  )
    throw new Error(
      `metricPositions must be a non-empty list of integers in ${-nPos}…${nPos - 1}, got ${JSON.stringify(positions)}`,
    );
  return [...new Set(positions.map((p) => (p < 0 ? nPos + p : p)))].sort((a, b) => a - b);
}

/** All index tuples over axes of these lengths, first axis slowest. */
function indexTuples(sizes: number[]): number[][] {
  return sizes.reduce<number[][]>(
    (tuples, size) => tuples.flatMap((t) => Array.from({ length: size }, (_, i) => [...t, i])),
    [[]],
  );
}

/**
 * Runs the patching sweep of `kind`: for every layer and index tuple, the corrupted input with that slice of the
 * activation taken from `cleanCache`, scored by `metric`. Returns [n_layers, ...axis lengths] (caller disposes).
 */
export async function patchSweep(
  model: HookedTransformer,
  corrupted: ModelInput,
  cleanCache: ActivationCache,
  metric: PatchMetric,
  kind: PatchKind,
  label: string,
  options: PatchOptions = {},
): Promise<Tensor> {
  if (typeof metric !== "function")
    throw new Error(`the metric must be a function (logits) => scalar tf.Tensor or number, got ${describeValue(metric)}`);
  const mode = options.mode ?? "batched";
  if (mode !== "batched" && mode !== "loop") throw new Error(`mode must be "batched" or "loop", got ${JSON.stringify(mode)}`);
  const { tokens, attentionMask } = corruptedBatch(model, corrupted, options); // [batch, pos] int32 each
  try {
    checkSamePadding(cleanCache, tokens.shape, attentionMask);
    const sizes = axisSizes(kind, model.cfg, tokens.shape[1]!);
    const nPos = tokens.shape[1]!;
    const metricPositions = options.metricPositions === undefined ? undefined : readPositions(options.metricPositions, nPos);
    const tuples = indexTuples(sizes);
    const sweep: Sweep = { model, kind, tokens, attentionMask, clean: cleanCache, metric, sizes, tuples, metricPositions };
    const total = model.cfg.nLayers * sweep.tuples.length;
    const progress = sweepProgress(options.progress, label, total);
    let values: number[];
    try {
      values = mode === "loop" ? await runLoop(sweep, progress) : await runBatched(sweep, progress, options.batchSize);
    } catch (error) {
      progress.fail(error);
      throw error;
    }
    progress.finish();
    return tf.tensor(values, [model.cfg.nLayers, ...sizes]);
  } finally {
    tokens.dispose();
    attentionMask?.dispose();
  }
}
