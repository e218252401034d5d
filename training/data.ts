/**
 * Training batches for the embedded models: windows of the tokenised corpus,
 * mixed with sequences that repeat a span to the end of the context, so that a
 * short run on two cores sees enough in-context repetition to learn copying.
 */
import { tf } from "../src/tensor";
import type { Tensor } from "../src/tensor";

/** How a batch is drawn. Shares are fractions of the sequences; the rest are plain corpus windows. */
export interface DataMix {
  batch: number;
  nCtx: number;
  /** Share of sequences that repeat a corpus span to the end of the context. */
  repeatedCorpusShare: number;
  /** Share of sequences that repeat a span of uniformly random token ids to the end of the context. */
  repeatedRandomShare: number;
  /** Repeated spans are minSpan…maxSpan tokens long (uniform). */
  minSpan: number;
  maxSpan: number;
  /** Rows of a second, short batch per step: BOS + random ids repeated (0 = none). */
  copyBatch: number;
  /** Length of those rows, BOS included. */
  copyLen: number;
  /** Share of the copy rows that are instead triples [u v u] of fresh random ids: their last token is the one two back. */
  tripleShare: number;
  /**
   * "fill": a copy row repeats one span to the end of the row, so heads at a fixed offset (a multiple of the period)
   * also predict it. "pairs": the row is a run of fresh spans, each written twice in a row ([s1 s1][s2 s2]…, cut at
   * the row's end): only looking up the earlier copy predicts the second.
   */
  copyLayout: "fill" | "pairs";
}

/** Deterministic PRNG (mulberry32): the same seed gives the same stream on every machine. */
export function rng(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = Math.imul(state ^ (state >>> 15), state | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 2 ** 32;
  };
}

/** A uniformly random id in [0, vocabSize) other than `bos`. */
function randomNonBos(vocabSize: number, bos: number, random: () => number): number {
  const id = Math.floor(random() * (vocabSize - 1));
  return id >= bos ? id + 1 : id;
}

/**
 * One batch of token ids [batch, nCtx]: each row is BOS followed by nCtx − 1
 * tokens — a corpus window at a random offset, or a span (corpus or random ids
 * other than BOS) repeated until the row is full.
 */
export function sampleBatch(corpus: Int32Array, vocabSize: number, bos: number, mix: DataMix, random: () => number): Tensor {
  const { batch, nCtx } = mix;
  const ids = new Int32Array(batch * nCtx);
  const randomId = () => randomNonBos(vocabSize, bos, random);
  for (let b = 0; b < batch; b++) {
    const kind = random();
    const repeats = kind < mix.repeatedCorpusShare + mix.repeatedRandomShare;
    const span = repeats ? mix.minSpan + Math.floor(random() * (mix.maxSpan - mix.minSpan + 1)) : nCtx - 1;
    const start = Math.floor(random() * (corpus.length - span));
    const source =
      kind < mix.repeatedRandomShare ? Int32Array.from({ length: span }, randomId) : corpus.subarray(start, start + span);
    ids[b * nCtx] = bos;
    for (let p = 1; p < nCtx; p++) ids[b * nCtx + p] = source[(p - 1) % span];
  }
  return tf.tensor2d(ids, [batch, nCtx], "int32");
}

/**
 * The short copying batch [copyBatch, copyLen]: each row is BOS followed by a span
 * of random ids (minSpan…min(maxSpan, half the row)) repeated to the end of the row
 * ("fill"), or by fresh spans each written twice ("pairs"), or (tripleShare of the rows)
 * by triples [u v u] of fresh random ids, whose last token only a head attending to the
 * previous position can predict.
 */
export function sampleCopyBatch(vocabSize: number, bos: number, mix: DataMix, random: () => number): Tensor {
  const { copyBatch, copyLen } = mix;
  const ids = new Int32Array(copyBatch * copyLen);
  const maxSpan = Math.min(mix.maxSpan, Math.floor((copyLen - 1) / 2));
  const randomId = () => randomNonBos(vocabSize, bos, random);
  for (let b = 0; b < copyBatch; b++) {
    ids[b * copyLen] = bos;
    if (random() < mix.tripleShare) {
      // A random phase, so that no position tells where a triple starts: a head that predicts by position mod 3
      // learns nothing, and one that attends to the previous token helps everywhere.
      const phase = Math.floor(random() * 3);
      let u = randomId();
      for (let p = 1; p < copyLen; p++) {
        const slot = (p - 1 + phase) % 3;
        if (slot === 0) u = randomId();
        ids[b * copyLen + p] = slot === 1 ? randomId() : u;
      }
      continue;
    }
    const freshSpan = () => Array.from({ length: mix.minSpan + Math.floor(random() * (maxSpan - mix.minSpan + 1)) }, randomId);
    let span = freshSpan();
    for (let p = 1, at = 0; p < copyLen; p++, at++) {
      if (mix.copyLayout === "pairs" && at === 2 * span.length) [span, at] = [freshSpan(), 0];
      ids[b * copyLen + p] = span[at % span.length];
    }
  }
  return tf.tensor2d(ids, [copyBatch, copyLen], "int32");
}
