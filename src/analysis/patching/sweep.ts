/**
 * The activation-patching engine. For every layer and index tuple of a PatchKind, the
 * corrupted input runs with that slice of the activation replaced by the clean run's, and the
 * metric of the logits is recorded.
 *
 * "batched" (default): the corrupted residual stream entering layer l is cached once; the runs of
 * layer l then start there (blocks before l are the same for all of them) and go through the
 * model many at a time, each run's rows patched at its own index by one mask. "loop": one full
 * forward per index, as TransformerLens does — the reference the batched mode is tested against.
 */
import type { Tensor } from "@tensorflow/tfjs-core";
import type { ActivationCache } from "../../cache/activationCache";
import type { HookedTransformer, ModelInput } from "../../model/hookedTransformer";
import { tf } from "../../tensor";
import { axisSizes, PatchKind } from "./kinds";
import { PatchProgress, progressReporter } from "./progress";

/** Scores one patched run from its logits [batch, pos, d_vocab] (a scalar tensor or a number). */
export type PatchMetric = (logits: Tensor) => Tensor | number;

/** Options of the patching functions. */
export interface PatchOptions {
  /** "batched" (default) or "loop" (one full forward per index, as TransformerLens). */
  mode?: "batched" | "loop";
  /** Patched runs per forward in batched mode (default: as many as keep the logits near 256 MB, at most 64). */
  batchSize?: number;
  /** Progress bar (default: on stderr for sweeps of 64 runs or more), false, or a callback. */
  progress?: PatchProgress;
}

/** All index tuples over axes of these lengths, first axis slowest. */
function indexTuples(sizes: number[]): number[][] {
  return sizes.reduce<number[][]>(
    (tuples, size) => tuples.flatMap((t) => Array.from({ length: size }, (_, i) => [...t, i])),
    [[]],
  );
}

/** 1 where a run with index `tuple` patches, over an activation's non-batch shape (as a bool tensor). */
function patchMask(kind: PatchKind, shape: number[], tuple: number[]): Tensor {
  return tf.tidy(() => {
    let mask: Tensor = tf.ones(shape.slice(1));
    kind.axes.forEach((axis, i) => {
      const along = shape[axis.actAxis];
      const hot = tf
        .oneHot(tf.tensor1d([tuple[i]], "int32"), along)
        .reshape(shape.slice(1).map((_, a) => (a + 1 === axis.actAxis ? along : 1)));
      mask = mask.mul(hot);
    });
    return mask.cast("bool");
  });
}

function metricValue(metric: PatchMetric, logits: Tensor): number {
  const value = metric(logits);
  if (typeof value === "number") return value;
  const out = value.dataSync();
  if (out.length !== 1) {
    value.dispose();
    throw new Error(`the metric must return a scalar, got a tensor of shape [${value.shape}]`);
  }
  value.dispose();
  return out[0];
}

/** Resolved inputs shared by both modes. */
interface Sweep {
  model: HookedTransformer;
  kind: PatchKind;
  tokens: Tensor; // [batch, pos] corrupted, int32, owned by the sweep
  clean: ActivationCache;
  metric: PatchMetric;
  sizes: number[];
  tuples: number[][];
}

function cleanActivation(sweep: Sweep, layer: number): Tensor {
  const name = `blocks.${layer}.${sweep.kind.hook}`;
  if (!sweep.clean.has(name))
    throw new Error(`the clean cache lacks "${name}": run runWithCache on the clean input without filtering it out`);
  return sweep.clean.get(name);
}

function checkShape(act: Tensor, clean: Tensor, name: string, rows: number): void {
  const expected = [rows, ...clean.shape.slice(1)];
  if (act.shape.join() !== expected.join())
    throw new Error(
      `${name}: the corrupted run's activation is [${act.shape}] but the clean one is [${clean.shape}]: clean and corrupted inputs must have the same batch and length`,
    );
}

/** Frees the event loop between forwards, so progress output and kernel messages go out during long sweeps. */
const breathe = () => new Promise<void>((resolve) => setImmediate(resolve));

async function runLoop(sweep: Sweep, report: (done: number) => void): Promise<number[]> {
  const { model, kind, tokens, metric } = sweep;
  const values: number[] = [];
  for (let l = 0; l < model.cfg.nLayers; l++) {
    const clean = cleanActivation(sweep, l);
    const name = `blocks.${l}.${kind.hook}`;
    for (const tuple of sweep.tuples) {
      const logits = model.runWithHooks(tokens, {
        fwdHooks: [
          [
            name,
            (act) => {
              checkShape(act, clean, name, clean.shape[0]);
              const mask = patchMask(kind, act.shape, tuple);
              const patched = tf.where(mask, clean, act);
              mask.dispose();
              return patched;
            },
          ],
        ],
      });
      try {
        values.push(metricValue(metric, logits));
      } finally {
        logits.dispose();
      }
      report(values.length);
      await breathe();
    }
  }
  return values;
}

function defaultBatchSize(model: HookedTransformer, rows: number, pos: number): number {
  const floatsPerRun = rows * pos * model.cfg.dVocabOut;
  return Math.max(1, Math.min(64, Math.floor(2 ** 26 / floatsPerRun)));
}

async function runBatched(sweep: Sweep, report: (done: number) => void, batchSize?: number): Promise<number[]> {
  const { model, kind, tokens, metric, tuples } = sweep;
  const [rows, pos] = tokens.shape;
  const chunk = batchSize ?? defaultBatchSize(model, rows, pos);
  if (!Number.isInteger(chunk) || chunk < 1) throw new Error(`batchSize must be a positive integer, got ${batchSize}`);
  const { cache } = model.runWithCache(tokens, { namesFilter: (n) => n.endsWith("hook_resid_pre"), returnType: "none" });
  const values: number[] = [];
  try {
    for (let l = 0; l < model.cfg.nLayers; l++) {
      const clean = cleanActivation(sweep, l);
      const name = `blocks.${l}.${kind.hook}`;
      const start = cache.get(`blocks.${l}.hook_resid_pre`); // [rows, pos, d_model]: the corrupted stream entering layer l
      for (let first = 0; first < tuples.length; first += chunk) {
        const group = tuples.slice(first, first + chunk);
        const n = group.length;
        const input = tf.tidy(() => start.tile([n, 1, 1])); // [n·rows, pos, d_model], run r in rows r·rows …
        let logits: Tensor;
        try {
          logits = model.runFromLayer(input, l, {
            fwdHooks: [
              [
                name,
                (act) => {
                  checkShape(act, clean, name, n * rows);
                  return tf.tidy(() => {
                    const masks = tf.stack(group.map((tuple) => patchMask(kind, act.shape, tuple))); // [n, ...act[1:]]
                    const perRow = masks.expandDims(1).tile([1, rows, ...act.shape.slice(1).map(() => 1)]); // [n, rows, …]
                    const cleanRows = clean.tile([n, ...clean.shape.slice(1).map(() => 1)]); // [n·rows, …]
                    return tf.where(perRow.reshape(act.shape), cleanRows, act);
                  });
                },
              ],
            ],
          });
        } finally {
          input.dispose();
        }
        try {
          for (let r = 0; r < n; r++) {
            const runLogits = logits.slice([r * rows, 0, 0], [rows, -1, -1]);
            try {
              values.push(metricValue(metric, runLogits));
            } finally {
              runLogits.dispose();
            }
          }
        } finally {
          logits.dispose();
        }
        report(values.length);
        await breathe();
      }
    }
  } finally {
    cache.dispose();
  }
  return values;
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
  const mode = options.mode ?? "batched";
  if (mode !== "batched" && mode !== "loop") throw new Error(`mode must be "batched" or "loop", got ${JSON.stringify(mode)}`);
  const tokens = model.inputTokens(corrupted); // [batch, pos] int32
  try {
    const sizes = axisSizes(kind, model.cfg, tokens.shape[1]!);
    const sweep: Sweep = { model, kind, tokens, clean: cleanCache, metric, sizes, tuples: indexTuples(sizes) };
    const total = model.cfg.nLayers * sweep.tuples.length;
    const report = progressReporter(options.progress, label, total);
    const values = mode === "loop" ? await runLoop(sweep, report) : await runBatched(sweep, report, options.batchSize);
    return tf.tensor(values, [model.cfg.nLayers, ...sizes]);
  } finally {
    tokens.dispose();
  }
}
