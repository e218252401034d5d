/**
 * The loop of `generate`: its options, checked one by one (a negative temperature or a fractional maxNewTokens
 * would otherwise run and give nonsense), and the token-by-token extension of each row, greedy or sampled.
 */
import type { Tensor } from "@tensorflow/tfjs-core";
import type { TransformerConfig } from "../loading/config";
import { tf } from "../tensor";
import { forward, ModelWeights } from "./forward";
import { describeValue, HookContext } from "./hooks";
import { KvCache } from "./kvCache";
import type { ParamStore } from "./params";
import { seededRandom } from "./random";
import type { AttentionMaskInput, ModelInput, PaddingSide, TokenCodec } from "./tokens";

/** Options of generate. */
export interface GenerateOptions {
  /** Prepend the BOS token to text input (default: cfg.defaultPrependBos). */
  prependBos?: boolean;
  /** Cut text input to nCtx instead of failing (default false). */
  truncate?: boolean;
  /** Tokens to add (default 10). */
  maxNewTokens?: number;
  /** 0 = greedy (default 1). */
  temperature?: number;
  /** Sample only among the k most likely tokens. */
  topK?: number;
  /** Seed for sampling, for reproducible output. */
  seed?: number;
  /** Stop a sequence once it produced the EOS token (default true when the tokenizer has one). */
  stopAtEos?: boolean;
  /** Reuse keys/values of earlier positions (default true). */
  useKvCache?: boolean;
  /** Where a batch of texts of different lengths is padded (default "right"); generation continues each row alike. */
  paddingSide?: PaddingSide;
  /** Padding mask of token-id input [batch, pos] (1 = real token, 0 = padding). */
  attentionMask?: AttentionMaskInput;
}

/** The options with their defaults filled in. */
export interface CheckedGenerateOptions {
  maxNewTokens: number;
  temperature: number;
  topK: number | undefined;
  seed: number | undefined;
}

const KNOWN: (keyof GenerateOptions)[] = [
  "prependBos",
  "truncate",
  "maxNewTokens",
  "temperature",
  "topK",
  "seed",
  "stopAtEos",
  "useKvCache",
  "paddingSide",
  "attentionMask",
];

/** Checks every generate option (naming the one that is wrong) for a model of `dVocab` tokens; fills in defaults. */
export function checkGenerateOptions(options: unknown, dVocab: number): CheckedGenerateOptions {
  if (options === null || typeof options !== "object" || Array.isArray(options))
    throw new Error(`generate's options must be an object, got ${describeValue(options)}`);
  const given = options as Record<string, unknown>;
  for (const key of Object.keys(given)) {
    if (!(KNOWN as string[]).includes(key)) throw new Error(`generate has no option "${key}" (its options: ${KNOWN.join(", ")})`);
  }
  const fail = (name: string, rule: string): never => {
    throw new Error(`generate option ${name} must be ${rule}, got ${describeValue(given[name])}`);
  };
  const isInt = (v: unknown): v is number => typeof v === "number" && Number.isSafeInteger(v);
  for (const flag of ["prependBos", "truncate", "stopAtEos", "useKvCache"]) {
    if (given[flag] !== undefined && typeof given[flag] !== "boolean") fail(flag, "true or false");
  }
  const { maxNewTokens = 10, temperature = 1, topK, seed } = given;
  if (!isInt(maxNewTokens) || maxNewTokens < 0) fail("maxNewTokens", "a non-negative integer");
  if (typeof temperature !== "number" || !Number.isFinite(temperature) || temperature < 0)
    fail("temperature", "a finite number ≥ 0 (0 = greedy)");
  if (topK !== undefined && (!isInt(topK) || topK < 1 || topK > dVocab))
    fail("topK", `an integer in 1…${dVocab} (the vocabulary size)`);
  if (seed !== undefined && !isInt(seed)) fail("seed", "an integer");
  return {
    maxNewTokens: maxNewTokens as number,
    temperature: temperature as number,
    topK: topK as number | undefined,
    seed: seed as number | undefined,
  };
}

/** Draws one token per row of probabilities [batch, vocab]. */
export function sampleRows(probs: Tensor, random: () => number): number[] {
  const [batch, vocab] = probs.shape as [number, number];
  const values = probs.dataSync();
  return Array.from({ length: batch }, (_, i) => {
    let u = random();
    for (let j = 0; j < vocab; j++) {
      u -= values[i * vocab + j];
      if (u < 0) return j;
    }
    let last = vocab - 1;
    while (last > 0 && values[i * vocab + last] === 0) last--;
    return last; // rounding left u ≥ 0: the last token with non-zero probability
  });
}

/**
 * Appends up to `options.maxNewTokens` tokens to each of `rows` (in place): greedy at temperature 0, else sampled
 * (seeded, among the topK most likely); a row that produced `eos` is padded with it. With `useKvCache`, each step
 * runs only the newest position. With `mask` (left-padded rows: 1 = real token), padding stays masked out and the
 * mask grows with the rows.
 */
export function extendRows(
  cfg: TransformerConfig,
  weights: ModelWeights,
  rows: number[][],
  options: CheckedGenerateOptions,
  eos: number | null,
  useKvCache: boolean,
  mask?: number[][],
): void {
  const { maxNewTokens, temperature, topK, seed } = options;
  const cache = useKvCache ? new KvCache(cfg.nLayers) : undefined;
  const finished = rows.map(() => false);
  const random = seededRandom(seed ?? Math.floor(Math.random() * 2 ** 32));
  try {
    for (let step = 0; step < maxNewTokens && !finished.every(Boolean); step++) {
      const fresh = cache && step > 0 ? rows.map((r) => r.slice(-1)) : rows;
      const next = tf.tidy(() => {
        const input = tf.tensor2d(fresh, [fresh.length, fresh[0].length], "int32");
        const padding = mask && tf.tensor2d(mask, [mask.length, mask[0].length], "int32"); // [b, past + p]
        const logits = forward(cfg, weights, new HookContext(), input, undefined, cache, padding); // [b, p, vocab]
        const last = logits.slice([0, fresh[0].length - 1, 0], [-1, 1, -1]).reshape([fresh.length, -1]);
        const vocab = last.slice([0, 0], [-1, cfg.dVocab]); // [b, d_vocab]: padded vocabularies, only real tokens
        if (temperature === 0) return vocab.argMax(-1);
        let scaled = vocab.div(temperature);
        if (topK !== undefined) {
          const kth = tf.topk(scaled, topK).values.slice([0, topK - 1], [-1, 1]);
          scaled = tf.where(scaled.less(kth), tf.fill(scaled.shape, -Infinity), scaled);
        }
        return tf.softmax(scaled); // [b, d_vocab]
      });
      cache?.commit(fresh[0].length);
      const ids = temperature === 0 ? Array.from(next.dataSync()) : sampleRows(next, random);
      next.dispose();
      rows.forEach((row, i) => {
        row.push(finished[i] && eos !== null ? eos : ids[i]);
        mask?.[i].push(1);
        if (eos !== null && ids[i] === eos) finished[i] = true;
      });
    }
  } finally {
    cache?.dispose();
  }
}

/**
 * Continues `input` with the model of `cfg`, `store` and `codec` (see HookedTransformer.generate): text in → text
 * out (prompt included, the prepended BOS left out), texts in → texts; tokens in → tokens [batch, pos + new]
 * (caller disposes).
 */
export function generate(
  cfg: TransformerConfig,
  store: ParamStore,
  codec: TokenCodec,
  input: ModelInput,
  options: GenerateOptions,
): string | string[] | Tensor {
  store.checkAlive();
  const checked = checkGenerateOptions(options, cfg.dVocab);
  const maxNew = checked.maxNewTokens;
  const eos = options.stopAtEos === false ? null : (codec.tokenizer?.eosTokenId ?? null);
  const { tokens, owned, attentionMask } = codec.checkedBatch(input, options);
  let rows = tokens.arraySync(); // [batch][pos]
  const given = attentionMask?.arraySync(); // [batch][pos]
  if (owned) tokens.dispose();
  attentionMask?.dispose();
  // A padded batch continues left-padded: each row's real tokens end at the last position, where new tokens go.
  const padded = given && leftPadded(rows, given);
  if (padded) rows = padded.rows;
  if (rows[0].length + maxNew > cfg.nCtx) {
    throw new Error(
      `the prompt (${rows[0].length} tokens) plus ${maxNew} new tokens exceed the model's context nCtx = ${cfg.nCtx}`,
    );
  }
  extendRows(cfg, store.compiled(), rows, checked, eos, options.useKvCache !== false, padded?.mask);
  if (typeof input === "string" || isTextList(input)) {
    const bos = (options.prependBos ?? cfg.defaultPrependBos) ? (codec.tokenizer?.bosTokenId ?? null) : null;
    const real = padded ? rows.map((row, i) => row.filter((_, j) => padded.mask[i][j] === 1)) : rows;
    const texts = real.map((row) => codec.toString(withoutLeadingBos(row, bos)));
    return typeof input === "string" ? texts[0] : texts;
  }
  return tf.tensor2d(rows, [rows.length, rows[0].length], "int32"); // [batch, pos + new]
}

/**
 * `rows` with their real tokens (mask 1) moved to the end of each row, the padding before them (its first id), and
 * the mask of the result.
 */
function leftPadded(rows: number[][], mask: number[][]): { rows: number[][]; mask: number[][] } {
  const width = rows[0].length;
  const out = rows.map((row, i) => {
    const real = row.filter((_, j) => mask[i][j] === 1);
    const padId = row[mask[i].indexOf(0)];
    return { row: [...new Array<number>(width - real.length).fill(padId), ...real], real: real.length };
  });
  return {
    rows: out.map((o) => o.row),
    mask: out.map((o) => [...new Array<number>(width - o.real).fill(0), ...new Array<number>(o.real).fill(1)]),
  };
}

/** Whether `input` is a list of texts (not token ids). */
function isTextList(input: ModelInput): input is string[] {
  return Array.isArray(input) && input.length > 0 && typeof input[0] === "string";
}

/**
 * `row` without the BOS that tokenisation prepended (the first BOS, after any padding before it), as
 * TransformerLens's string result leaves it out; `bos` null: nothing was prepended, the row is returned as is.
 */
export function withoutLeadingBos(row: number[], bos: number | null): number[] {
  if (bos === null) return row;
  const at = row.indexOf(bos);
  return at < 0 ? row : [...row.slice(0, at), ...row.slice(at + 1)];
}
