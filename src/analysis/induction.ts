/**
 * Induction diagnostics on repeated random tokens, with TransformerLens's recipes:
 * inductionScores (the "Main Demo": mean attention along the diagonal 1 − seqLen, i.e. from
 * each token to the one after its earlier copy) and inductionLoss (evals.induction_loss: mean
 * next-token loss on the second repeat). Token ids are drawn from [1, dVocab) without the
 * tokenizer's special tokens and SentencePiece byte-fallback pieces ("<0x00>" … "<0xFF>": a lone
 * byte of a multi-byte character is not text, and a Llama 2 model predicts it badly even when
 * repeated) unless `tokenRange` says otherwise (TransformerLens uses GPT-2's [1000, 10000) and
 * [100, 20000)).
 */
import type { ActivationCache } from "../cache/activationCache";
import type { HookedTransformer } from "../model/hookedTransformer";
import { tf } from "../tensor";
import { randomTokens } from "./random";

/** How the repeated sequences are made. */
export interface RepeatedTokensOptions {
  /** Length of the random half (default 50). */
  seqLen?: number;
  /** Rows (default 10). */
  batch?: number;
  /** Seed of the random ids (default 0). */
  seed?: number;
  /** Put BOS in front (default: the model's defaultPrependBos, when its tokenizer has a BOS token). */
  prependBos?: boolean;
  /** Draw every id of [low, high) (default: [1, dVocab) without special tokens and byte-fallback pieces). */
  tokenRange?: [number, number];
}

/** Ids the default draws skip: the tokenizer's special tokens and its byte-fallback pieces "<0x00>" … "<0xFF>". */
function excludedIds(model: HookedTransformer): number[] {
  const t = model.tokenizer;
  return t ? [...t.specialTokenIds(), ...t.byteTokenIds()] : [];
}

function bosOf(model: HookedTransformer, prependBos: boolean | undefined): number | null {
  const bos = model.tokenizer?.bosTokenId ?? null;
  const wanted = prependBos ?? (model.cfg.defaultPrependBos && bos !== null);
  if (!wanted) return null;
  if (bos === null) throw new Error("prependBos needs a tokenizer with a BOS token; this model has none");
  return bos;
}

/** Rows of [BOS?] + seqLen random ids + the same ids again: [batch][(1) + 2·seqLen]. */
export function repeatedRandomTokens(model: HookedTransformer, options: RepeatedTokensOptions = {}): number[][] {
  const seqLen = options.seqLen ?? 50;
  const batch = options.batch ?? 10;
  const bos = bosOf(model, options.prependBos);
  const total = 2 * seqLen + (bos === null ? 0 : 1);
  if (!Number.isInteger(seqLen) || seqLen < 2) throw new Error(`seqLen must be an integer ≥ 2, got ${seqLen}`);
  if (!Number.isInteger(batch) || batch < 1) throw new Error(`batch must be a positive integer, got ${batch}`);
  if (total > model.cfg.nCtx)
    throw new Error(
      `${total} tokens (2 × seqLen ${seqLen}${bos === null ? "" : " + BOS"}) exceed the model's context nCtx = ${model.cfg.nCtx}`,
    );
  const [low, high] = options.tokenRange ?? [1, model.cfg.dVocab];
  if (high > model.cfg.dVocab)
    throw new Error(`tokenRange [${low}, ${high}) goes beyond the vocabulary (${model.cfg.dVocab} ids)`);
  const halves = randomTokens(batch, seqLen, low, high, options.seed ?? 0, options.tokenRange ? [] : excludedIds(model));
  return halves.map((half) => [...(bos === null ? [] : [bos]), ...half, ...half]);
}

/** Options of inductionScores. */
export interface InductionScoresOptions extends RepeatedTokensOptions {
  /** Use these rows (each a sequence repeated once, possibly after BOS) instead of random ones; seqLen is still the half length. */
  tokens?: number[][];
  /**
   * Read the patterns of this run instead of running the model (a runWithCache of such rows, its hook_pattern kept):
   * its tokens are the rows. seqLen is still the half length. The cache stays the caller's.
   */
  cache?: ActivationCache;
}

/**
 * Induction score of every head [nLayers][nHeads]: mean attention along pattern.diagonal(1 − seqLen) over all rows,
 * i.e. from each position to the one seqLen − 1 back — the token after the earlier copy.
 */
export function inductionScores(model: HookedTransformer, options: InductionScoresOptions = {}): number[][] {
  const seqLen = options.seqLen ?? 50;
  if (options.cache && options.tokens) throw new Error("inductionScores takes tokens or a cache, not both");
  const cache =
    options.cache ??
    model.runWithCache(options.tokens ?? repeatedRandomTokens(model, options), {
      namesFilter: (n) => n.endsWith("attn.hook_pattern"),
      returnType: "none",
    }).cache;
  try {
    const n = cache.tokens.shape[1]; // [batch, pos]
    if (n < seqLen) throw new Error(`rows of ${n} tokens are shorter than seqLen ${seqLen}`);
    const stripe = tf.tensor1d(
      Array.from({ length: n - seqLen + 1 }, (_, i) => (i + seqLen - 1) * n + i),
      "int32",
    );
    try {
      return Array.from({ length: model.cfg.nLayers }, (_, l) =>
        tf.tidy(() => {
          const pattern = cache.get(`blocks.${l}.attn.hook_pattern`); // [batch, head, q, k]
          const [b, h] = pattern.shape;
          return tf
            .gather(pattern.reshape([b, h, n * n]), stripe, 2)
            .mean([0, 2])
            .arraySync() as number[]; // [head]
        }),
      );
    } finally {
      stripe.dispose();
    }
  } finally {
    if (cache !== options.cache) cache.dispose();
  }
}

/** Options of inductionLoss. */
export interface InductionLossOptions extends Omit<RepeatedTokensOptions, "seqLen"> {
  /** Length of the random half (default min(384, nCtx / 2), TransformerLens's 384 where it fits). */
  subseqLen?: number;
  /** Use these rows (subseqLen ids repeated, BOS already written over position 0 if wanted) instead of random ones. */
  tokens?: number[][];
}

/**
 * Mean next-token loss on the second repeat (TransformerLens's evals.induction_loss): rows of subseqLen random ids
 * repeated (batch 4 by default), BOS written over position 0 when prepended, loss of predicting tokens subseqLen + 2 … end.
 */
export function inductionLoss(model: HookedTransformer, options: InductionLossOptions = {}): number {
  const subseqLen = options.subseqLen ?? Math.min(384, Math.floor(model.cfg.nCtx / 2));
  let rows = options.tokens;
  if (!rows) {
    const bos = bosOf(model, options.prependBos);
    rows = repeatedRandomTokens(model, { ...options, seqLen: subseqLen, batch: options.batch ?? 4, prependBos: false });
    if (bos !== null) for (const row of rows) row[0] = bos;
  }
  if (rows[0].length <= subseqLen + 1)
    throw new Error(`rows of ${rows[0].length} tokens leave no second repeat after subseqLen ${subseqLen}`);
  const perToken = model.loss(rows, { perToken: true }); // [batch, 2·subseqLen − 1]
  try {
    return tf.tidy(
      () =>
        perToken
          .slice([0, subseqLen + 1], [-1, -1])
          .mean()
          .dataSync()[0],
    );
  } finally {
    perToken.dispose();
  }
}
