/**
 * The measurements the model cards report, through the public API only:
 * head scores on repeated random tokens (TransformerLens's demo recipe: BOS,
 * 50 random tokens, the same 50 again; batch 10) and the loss on each repeat.
 * Random tokens are drawn uniformly from the whole vocabulary except the
 * special tokens (the demo draws from a wide band of GPT-2's ids).
 */
import type { HookedTransformer } from "../src/model/hookedTransformer";

/** Scores of one model. */
export interface Evaluation {
  /** [layer][head]: mean attention from each position to the one before it. */
  previousToken: number[][];
  /** [layer][head]: mean of the stripe i → i − (seqLen − 1) (TransformerLens's induction score). */
  induction: number[][];
  /** Mean next-token loss over the first repeat's predictions (BOS → token 50) and the second's (tokens 51–100). */
  lossFirstRepeat: number;
  lossSecondRepeat: number;
  /** [layer][head]: where the head attends from the second repeat's queries, as its three largest offset shares. */
  topOffsets: OffsetShare[][][];
}

/** A share of a head's attention at one offset back (0 = itself), or on BOS, whatever its offset. */
export interface OffsetShare {
  offset: number | "BOS";
  share: number;
}

/**
 * Mean attention by offset (query − key) from queries `fromQuery`… of `pattern` [batch][head][q][k],
 * with position 0 (BOS) counted apart; per head, the `top` largest non-zero shares.
 */
export function offsetProfile(pattern: number[][][][], fromQuery: number, top = 3): OffsetShare[][] {
  return pattern[0].map((_, h) => {
    const shares = new Map<number | "BOS", number>();
    let queries = 0;
    for (const rows of pattern)
      for (let q = fromQuery; q < rows[h].length; q++, queries++)
        rows[h][q].forEach((a, k) => {
          const key = k === 0 ? "BOS" : q - k;
          shares.set(key, (shares.get(key) ?? 0) + a);
        });
    return [...shares]
      .map(([offset, sum]) => ({ offset, share: sum / queries }))
      .filter((s) => s.share > 0)
      .sort((a, b) => b.share - a.share)
      .slice(0, top);
  });
}

/**
 * `batch` rows of BOS followed by `seqLen` seeded random ids, then the same ids again.
 * Ids are drawn uniformly from [0, vocabSize) without `exclude`.
 */
export function repeatedRandomTokens(
  seed: number,
  vocabSize: number,
  bos: number,
  exclude: number[],
  batch = 10,
  seqLen = 50,
): number[][] {
  const allowed = Array.from({ length: vocabSize }, (_, id) => id).filter((id) => !exclude.includes(id));
  let state = seed >>> 0;
  const next = () => {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    return state / 2 ** 32;
  };
  return Array.from({ length: batch }, () => {
    const half = Array.from({ length: seqLen }, () => allowed[Math.floor(next() * allowed.length)]);
    return [bos, ...half, ...half];
  });
}

/** Mean of `pattern[b][h][q][q − offset]` over batch and every query with q − offset ≥ 0, per head. */
export function stripeScores(pattern: number[][][][], offset: number): number[] {
  return pattern[0].map((_, h) => {
    let sum = 0;
    let count = 0;
    for (const rows of pattern)
      for (let q = offset; q < rows[h].length; q++) {
        sum += rows[h][q][q - offset];
        count++;
      }
    return sum / count;
  });
}

/** Measures `model` on repeated random tokens (TransformerLens's demo: BOS + 50 random tokens twice, batch 10). */
export function evaluate(model: HookedTransformer, seed = 1, seqLen = 50): Evaluation {
  const tokenizer = model.tokenizer;
  if (!tokenizer || tokenizer.bosTokenId === null) throw new Error("evaluate() needs a model whose tokenizer has a BOS token");
  const special = [tokenizer.bosTokenId, tokenizer.eosTokenId, tokenizer.padTokenId, tokenizer.unkTokenId];
  const exclude = special.filter((id): id is number => id !== null);
  const rows = repeatedRandomTokens(seed, model.cfg.dVocab, tokenizer.bosTokenId, exclude, 10, seqLen);
  const { cache } = model.runWithCache(rows, { namesFilter: (n) => n.endsWith("hook_pattern"), returnType: "none" });
  const perToken = model.loss(rows, { perToken: true }); // [batch, 2·seqLen]
  const lossRows = perToken.arraySync() as number[][];
  perToken.dispose();
  const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
  const previousToken: number[][] = [];
  const induction: number[][] = [];
  const topOffsets: OffsetShare[][][] = [];
  for (let l = 0; l < model.cfg.nLayers; l++) {
    const pattern = cache.get(`blocks.${l}.attn.hook_pattern`).arraySync() as number[][][][]; // [batch, head, q, k]
    previousToken.push(stripeScores(pattern, 1));
    induction.push(stripeScores(pattern, seqLen - 1));
    topOffsets.push(offsetProfile(pattern, seqLen + 1));
  }
  cache.dispose();
  return {
    previousToken,
    induction,
    lossFirstRepeat: mean(lossRows.flatMap((r) => r.slice(0, seqLen))),
    lossSecondRepeat: mean(lossRows.flatMap((r) => r.slice(seqLen))),
    topOffsets,
  };
}

/** Greedy continuations of `prompts`, `tokens` new tokens each. */
export function continuations(model: HookedTransformer, prompts: string[], tokens = 60): string[] {
  return prompts.map((p) => model.generate(p, { maxNewTokens: tokens, temperature: 0 }));
}

/**
 * Mean next-token loss (nats/token) of `model` on `rows` windows of the tokenised corpus, each BOS + nCtx − 1 tokens
 * at offsets drawn by a seeded PRNG: the same windows for every model given the same corpus and seed. The windows come
 * from the training corpus (there is no held-out split), so this compares models, it does not measure generalisation.
 */
export function corpusLoss(model: HookedTransformer, corpus: Int32Array, bos: number, seed = 7, rows = 16): number {
  let state = seed >>> 0;
  const random = () => (state = (Math.imul(state, 48271) + 11) >>> 0) / 2 ** 32;
  const length = model.cfg.nCtx - 1;
  const windows = Array.from({ length: rows }, () => {
    const start = Math.floor(random() * (corpus.length - length));
    return [bos, ...corpus.subarray(start, start + length)];
  });
  const loss = model.loss(windows); // scalar
  const value = loss.dataSync()[0];
  loss.dispose();
  return value;
}
