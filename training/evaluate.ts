/**
 * The measurements the model cards report, through the public API only:
 * head scores on repeated random tokens (TransformerLens's demo recipe: 50
 * random tokens repeated, batch 10, no BOS) and the loss on each repeat.
 * Random tokens are printable ASCII bytes (32–126), the byte-level analogue of
 * the demo's "ids 1000–10000": tokens the model has seen in training.
 */
import type { HookedTransformer } from "../src/model/hookedTransformer";

/** Scores of one model. */
export interface Evaluation {
  /** [layer][head]: mean attention from position i to i−1. */
  previousToken: number[][];
  /** [layer][head]: mean attention from position i to i−(seqLen−1) over the repeat (TransformerLens's induction score). */
  induction: number[][];
  /** Mean next-token loss predicting the first repeat's tokens 2…50, and the second repeat's 51…100. */
  lossFirstRepeat: number;
  lossSecondRepeat: number;
}

/** `batch` rows of `seqLen` seeded random printable bytes, each followed by itself. */
export function repeatedRandomTokens(seed: number, batch = 10, seqLen = 50): number[][] {
  let state = seed >>> 0;
  const next = () => {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    return state / 2 ** 32;
  };
  return Array.from({ length: batch }, () => {
    const half = Array.from({ length: seqLen }, () => 32 + Math.floor(next() * 95));
    return [...half, ...half];
  });
}

/** Measures `model` on repeated random tokens. */
export function evaluate(model: HookedTransformer, seed = 1, seqLen = 50): Evaluation {
  const rows = repeatedRandomTokens(seed, 10, seqLen);
  const { cache, loss } = model.runWithCache(rows, { namesFilter: (n) => n.endsWith("hook_pattern"), returnType: "loss" });
  loss?.dispose();
  const perToken = model.loss(rows, { perToken: true }); // [batch, 2·seqLen − 1]
  const lossRows = perToken.arraySync() as number[][];
  perToken.dispose();
  const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
  const previousToken: number[][] = [];
  const induction: number[][] = [];
  for (let l = 0; l < model.cfg.nLayers; l++) {
    const pattern = cache.get(`blocks.${l}.attn.hook_pattern`).arraySync() as number[][][][]; // [batch, head, q, k]
    previousToken.push(pattern[0].map((_, h) => mean(pattern.flatMap((b) => b[h].slice(1).map((row, i) => row[i])))));
    induction.push(pattern[0].map((_, h) => mean(pattern.flatMap((b) => b[h].slice(seqLen - 1).map((row, i) => row[i])))));
  }
  cache.dispose();
  return {
    previousToken,
    induction,
    lossFirstRepeat: mean(lossRows.flatMap((r) => r.slice(0, seqLen - 1))),
    lossSecondRepeat: mean(lossRows.flatMap((r) => r.slice(seqLen - 1))),
  };
}

/** Greedy continuations of `prompts`, `tokens` bytes each. */
export function continuations(model: HookedTransformer, prompts: string[], tokens = 60): string[] {
  return prompts.map((p) => model.generate(p, { maxNewTokens: tokens, temperature: 0 }));
}
