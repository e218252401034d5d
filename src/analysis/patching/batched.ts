/**
 * The batched mode. A patched run differs from the corrupted run only after its patch, so it does
 * much less than a full forward:
 *  - the blocks before the patched layer see the corrupted input: the run starts at its layer, from
 *    the corrupted residual stream entering it;
 *  - attention is causal: a patch at position p leaves every earlier position as in the corrupted
 *    run, so the run computes positions p… only, attending to the corrupted keys and values of the
 *    earlier ones, and the earlier positions' logits are the corrupted run's;
 *  - where the clean and corrupted activations are equal (before the first token the prompts differ
 *    in), patching changes nothing: p is the first position the patch really changes, and a run that
 *    changes nothing is the corrupted run (changes.ts);
 *  - with `metricPositions`, only the logits the metric reads are computed;
 *  - in a padded batch, every block call takes the batch's mask (tiled per run), so padding stays masked and
 *    positions count from each row's first real token, as in the corrupted run.
 * Runs are grouped by the first position they compute. A group goes through the model one block at
 * a time, each run joining the batch at its own layer, so one forward of a block serves many runs.
 */
import type { Tensor } from "@tensorflow/tfjs-core";
import type { ActivationCache } from "../../cache/activationCache";
import type { BlockHookSuffix, HookName } from "../../model/hookPoints";
import type { HookFn } from "../../model/hooks";
import type { PastPositions } from "../../model/kvCache";
import { tf } from "../../tensor";
import { firstChange, LayerDifferences, layerDifferences } from "./changes";
import { queryAxis } from "./kinds";
import { GROUP_LIMITS, planGroups, PlannedRun, RunGroup, UNEMBED_ROWS, unembedWeight } from "./plan";
import type { SweepProgress } from "./progress";
import { checkShape, cleanActivation, hideUnreadLogits, metricValue, patchMask, Sweep } from "./run";

/** Most logits one unembedding step produces (2^26 floats, 256 MB), for very large vocabularies. */
const LOGIT_FLOATS = 2 ** 26;

/**
 * The corrupted run, once per sweep: the stream entering each block, each block's keys and values, the logits,
 * and where each layer's patched activation differs from the clean one.
 */
class CorruptedRun {
  private readonly cache: ActivationCache;
  /** The hook whose keys attention reads: after rotary embedding when there is one. */
  private readonly keysName: BlockHookSuffix;
  /** The corrupted logits [batch, pos, d_vocab_out], NaN at positions the metric does not read. */
  readonly logits: Tensor;
  /** Per layer: where the clean and corrupted activations at the patched hook differ. */
  readonly differences: LayerDifferences[] = [];
  private value?: number;

  constructor(sweep: Sweep) {
    const { model, kind, tokens, metricPositions } = sweep;
    this.keysName = model.cfg.positionalEmbeddingType === "rotary" ? "attn.hook_rot_k" : "attn.hook_k";
    const hooks = ["hook_resid_pre", this.keysName, "attn.hook_v"];
    const patched = new Map(Array.from({ length: model.cfg.nLayers }, (_, l) => [`blocks.${l}.${kind.hook}`, l]));
    const compare: HookFn = (act, { name }) => {
      const l = patched.get(name)!;
      const clean = cleanActivation(sweep, l);
      checkShape(act, clean, name, clean.shape[0]); // the same batch and length, not broadcast
      this.differences[l] = layerDifferences(kind, clean, act);
    };
    const { logits, cache } = model.runWithCache(tokens, {
      attentionMask: sweep.attentionMask,
      namesFilter: (name) => hooks.some((hook) => name.endsWith(`.${hook}`)),
      fwdHooks: [[(name) => patched.has(name), compare]],
    });
    this.cache = cache;
    this.logits = metricPositions ? hideUnreadLogits(logits, metricPositions) : logits;
    if (this.logits !== logits) logits.dispose();
  }

  /** The stream entering block `layer` at positions `first`…: [batch, pos − first, d_model]. */
  residPre(layer: number, first: number): Tensor {
    return this.cache.get(`blocks.${layer}.hook_resid_pre`).slice([0, first, 0], [-1, -1, -1]);
  }

  /** Keys and values of positions before `first`, repeated for `runs` runs; undefined when there are none. */
  past(first: number, runs: number): PastPositions | undefined {
    if (first === 0) return undefined;
    const before = (name: HookName) => this.cache.get(name).slice([0, 0, 0, 0], [-1, first, -1, -1]).tile([runs, 1, 1, 1]);
    return {
      length: first,
      forLayer: (l) => ({
        past: [before(`blocks.${l}.${this.keysName}`), before(`blocks.${l}.attn.hook_v`)], // [runs·batch, first, kv, e]
        store: () => {},
      }),
    };
  }

  /** The metric of the corrupted logits: the value of every run that changes nothing the metric reads (computed once). */
  metricValue(sweep: Sweep): number {
    return (this.value ??= metricValue(sweep, this.logits));
  }

  dispose(): void {
    this.cache.dispose();
    this.logits.dispose();
  }
}

/** The hook of block `layer` in a group: the runs that join there (the last `joiners.length` of `joined`) get patched. */
function patchJoiners(sweep: Sweep, layer: number, joiners: PlannedRun[], first: number, joined: number): HookFn {
  const { kind, tokens } = sweep;
  const clean = cleanActivation(sweep, layer); // its shape was checked against the corrupted run's (CorruptedRun)
  const axis = queryAxis(kind);
  const batch = tokens.shape[0]!;
  return (act) => {
    return tf.tidy(() => {
      const begin = clean.shape.map((_, a) => (a === axis ? first : 0));
      const cleanPart = clean.slice(
        begin,
        clean.shape.map(() => -1),
      ); // [batch, …] over the computed positions
      const ones = cleanPart.shape.slice(1).map(() => 1);
      const masks = tf.stack(joiners.map((run) => patchMask(kind, cleanPart.shape, run.tuple, first))); // [joiners, …]
      const mask = masks
        .expandDims(1)
        .tile([1, batch, ...ones])
        .reshape([joiners.length * batch, ...cleanPart.shape.slice(1)]);
      const earlier = (joined - joiners.length) * batch;
      const mine = act.slice(
        act.shape.map((_, a) => (a === 0 ? earlier : 0)),
        act.shape.map(() => -1),
      );
      const patched = tf.where(mask, cleanPart.tile([joiners.length, ...ones]), mine);
      return earlier === 0 ? patched : tf.concat([act.slice(0, earlier), patched]);
    });
  };
}

/** Runs a group's blocks; returns the final residual stream [runs·batch, pos − first, d_model], runs in layer order. */
function runBlocks(sweep: Sweep, corrupted: CorruptedRun, group: RunGroup): Tensor {
  const { model, kind } = sweep;
  const { first, runs } = group;
  let resid: Tensor | undefined; // [joined·batch, pos − first, d_model]: the runs joined so far, in joining order
  let joined = 0;
  try {
    for (let l = runs[0].layer; l < model.cfg.nLayers; l++) {
      const joiners = runs.filter((run) => run.layer === l);
      if (joiners.length > 0) {
        const grown: Tensor = tf.tidy(() => {
          const start = corrupted.residPre(l, first).tile([joiners.length, 1, 1]);
          return resid ? tf.concat([resid, start]) : start;
        });
        resid?.dispose();
        resid = grown;
        joined += joiners.length;
      }
      const hooks: [HookName, HookFn][] =
        joiners.length > 0 ? [[`blocks.${l}.${kind.hook}`, patchJoiners(sweep, l, joiners, first, joined)]] : [];
      // A padded batch's mask over the earlier and computed positions, for each joined run: [joined·batch, pos].
      const attentionMask = sweep.attentionMask?.tile([joined, 1]);
      try {
        const past = corrupted.past(first, joined);
        const next = model.runFromLayer(resid!, l, { stopAtLayer: l + 1, fwdHooks: hooks, past, attentionMask });
        resid!.dispose();
        resid = next;
      } finally {
        attentionMask?.dispose();
      }
    }
    return resid!;
  } catch (error) {
    resid?.dispose();
    throw error;
  }
}

/**
 * A run's logits [batch, pos, vocab]: `own` [batch, positions.length, vocab] at `positions` (ascending), the
 * corrupted run's (`base`) everywhere else.
 */
function spliceLogits(base: Tensor, positions: number[], own: Tensor): Tensor {
  return tf.tidy(() => {
    const pieces: Tensor[] = [];
    let [at, i] = [0, 0]; // next base position, next own position
    while (i < positions.length) {
      let j = i;
      while (j + 1 < positions.length && positions[j + 1] === positions[j] + 1) j++;
      if (positions[i] > at) pieces.push(base.slice([0, at, 0], [-1, positions[i] - at, -1]));
      pieces.push(own.slice([0, i, 0], [-1, j - i + 1, -1]));
      [at, i] = [positions[j] + 1, j + 1];
    }
    if (at < base.shape[1]!) pieces.push(base.slice([0, at, 0], [-1, -1, -1]));
    return pieces.length === 1 ? pieces[0] : tf.concat(pieces, 1);
  });
}

/**
 * Unembeds the positions a group's runs changed and the metric reads, from their final stream `resid`
 * [runs·batch, pos − first, d_model], and stores each run's metric value at its index in `values`.
 */
function scoreRuns(sweep: Sweep, corrupted: CorruptedRun, group: RunGroup, resid: Tensor, values: number[]): void {
  const { model, tokens } = sweep;
  const [batch, nPos] = tokens.shape as [number, number];
  const { first, runs } = group;
  const read = sweep.metricPositions ?? Array.from({ length: nPos }, (_, p) => p);
  const positions = read.filter((p) => p >= first); // changed and read
  if (positions.length === 0) {
    const value = corrupted.metricValue(sweep); // no run changed what the metric reads
    runs.forEach((run) => (values[run.index] = value));
    return;
  }
  const rowsPerRun = batch * positions.length;
  const perStep = Math.max(1, Math.floor(Math.min(UNEMBED_ROWS, LOGIT_FLOATS / model.cfg.dVocabOut) / rowsPerRun));
  const offsets =
    positions.length === nPos - first
      ? undefined
      : tf.tensor1d(
          positions.map((p) => p - first),
          "int32",
        );
  try {
    for (let start = 0; start < runs.length; start += perStep) {
      const count = Math.min(perStep, runs.length - start);
      const logits: Tensor = tf.tidy(() => {
        const part = resid.slice([start * batch, 0, 0], [count * batch, -1, -1]);
        return model.runFromLayer(offsets ? tf.gather(part, offsets, 1) : part, model.cfg.nLayers); // [count·batch, positions, vocab]
      });
      try {
        for (let r = 0; r < count; r++) {
          const runLogits = tf.tidy(() =>
            spliceLogits(corrupted.logits, positions, logits.slice([r * batch, 0, 0], [batch, -1, -1])),
          );
          try {
            values[runs[start + r].index] = metricValue(sweep, runLogits);
          } finally {
            runLogits.dispose();
          }
        }
      } finally {
        logits.dispose();
      }
    }
  } finally {
    offsets?.dispose();
  }
}

/** Every run's metric value, in the sweep's order; `progress.step(done)` after each group (it throws to cancel). */
export async function runBatched(sweep: Sweep, progress: SweepProgress, batchSize?: number): Promise<number[]> {
  const { model, kind, tokens, tuples } = sweep;
  if (batchSize !== undefined && (!Number.isInteger(batchSize) || batchSize < 1))
    throw new Error(`batchSize must be a positive integer, got ${batchSize}`);
  const limits = batchSize === undefined ? GROUP_LIMITS : { maxRows: Infinity, maxRuns: batchSize };
  const corrupted = new CorruptedRun(sweep);
  try {
    // Runs whose patch changes nothing score the corrupted run; the others start at their first changed position.
    const runs: PlannedRun[] = [];
    const unchanged: number[] = [];
    for (let l = 0; l < model.cfg.nLayers; l++)
      tuples.forEach((tuple, t) => {
        const [index, first] = [l * tuples.length + t, firstChange(kind, corrupted.differences[l], tuple)];
        if (first === undefined) unchanged.push(index);
        else runs.push({ index, layer: l, tuple, first });
      });
    const values: number[] = new Array(unchanged.length + runs.length);
    if (unchanged.length > 0) {
      const value = corrupted.metricValue(sweep);
      unchanged.forEach((index) => (values[index] = value));
      await progress.step(unchanged.length);
    }
    const [batch, nPos] = tokens.shape as [number, number];
    const shape = { batch, nPos, nLayers: model.cfg.nLayers, unembedWeight: unembedWeight(model.cfg) };
    let done = unchanged.length;
    for (const group of planGroups(runs, shape, limits)) {
      const resid = runBlocks(sweep, corrupted, group);
      try {
        scoreRuns(sweep, corrupted, group, resid, values);
      } finally {
        resid.dispose();
      }
      done += group.runs.length;
      await progress.step(done);
    }
    return values;
  } finally {
    corrupted.dispose();
  }
}
