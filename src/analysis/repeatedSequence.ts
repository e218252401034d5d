/**
 * A repeated sequence and what every head does on it: the input of the induction-head picture (`[A][B] … [A] → [B]`
 * needs a sequence that repeats). `repeatedSequence` makes one — a prompt followed by itself, or random tokens twice —
 * and `repeatedSequenceScores` runs the model on it once and returns every head's previous-token and induction scores
 * (detectHead on that run) with the attention patterns they summarise.
 */
import type { Tensor4D } from "@tensorflow/tfjs-core";
import type { HookedTransformer } from "../model/hookedTransformer";
import { detectHead } from "./detectHead";
import { repeatedRandomTokens } from "./induction";

/** Options of repeatedSequence and repeatedSequenceScores. */
export interface RepeatedSequenceOptions {
  /** A prompt to repeat: its tokens (BOS first, as the model's default), then the same tokens again without BOS. */
  prompt?: string;
  /** Without a prompt: length of the random half (default 20), after BOS when the model prepends one. */
  seqLen?: number;
  /** Without a prompt: seed of the random ids (default 0). */
  seed?: number;
}

/** The token ids of a prompt (or, without one, random tokens) followed by itself: one row [1][pos], fitted to the context. */
export function repeatedSequence(model: HookedTransformer, options: RepeatedSequenceOptions = {}): number[][] {
  const { prompt } = options;
  if (prompt === undefined)
    return repeatedRandomTokens(model, { seqLen: options.seqLen ?? 20, batch: 1, seed: options.seed ?? 0 });
  if (typeof prompt !== "string" || prompt.trim() === "")
    throw new Error(`prompt must be a text with at least one token, got ${JSON.stringify(prompt)}`);
  const ids = (prependBos?: boolean) => {
    const tokens = model.toTokens(prompt, { prependBos }); // [1, pos]
    const row = tokens.arraySync()[0];
    tokens.dispose();
    return row;
  };
  const row = [...ids(), ...ids(false)];
  if (row.length > model.cfg.nCtx)
    throw new Error(`the prompt repeated is ${row.length} tokens, more than the model's context (${model.cfg.nCtx})`);
  return [row];
}

/** Every head's scores on one repeated sequence, and the patterns they summarise. */
export interface RepeatedSequenceScores {
  /** The sequence's token ids [pos]: the half, then the half again. */
  tokens: number[];
  /** Their text [pos] (undefined when the model has no tokenizer). */
  strTokens?: string[];
  /** detectHead(…, "previous_token_head") of every head [layer][head]. */
  previousToken: number[][];
  /** detectHead(…, "induction_head") of every head [layer][head]. */
  induction: number[][];
  /** Every layer's blocks.{l}.attn.hook_pattern [1, head, pos, pos]: new tensors, yours to dispose (lens.tf.dispose). */
  patterns: Tensor4D[];
}

/**
 * Runs the model once on `repeatedSequence(model, options)` and scores every head on that run: how much it attends
 * to the previous token and to the token after the earlier copy of the current one (detectHead's named patterns),
 * with every layer's attention pattern. Dispose `patterns` when done.
 */
export function repeatedSequenceScores(model: HookedTransformer, options: RepeatedSequenceOptions = {}): RepeatedSequenceScores {
  const rows = repeatedSequence(model, options);
  const { cache } = model.runWithCache(rows, { namesFilter: (n) => n.endsWith("attn.hook_pattern"), returnType: "none" });
  try {
    const previousToken = detectHead(model, cache, "previous_token_head");
    const induction = detectHead(model, cache, "induction_head");
    const patterns = Array.from({ length: model.cfg.nLayers }, (_, l) => cache.get(`blocks.${l}.attn.hook_pattern`).clone());
    return { tokens: rows[0], strTokens: model.tokenizer ? cache.strTokens[0] : undefined, previousToken, induction, patterns };
  } finally {
    cache.dispose();
  }
}
