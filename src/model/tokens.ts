/**
 * A model's tokens: text → ids (the tokenizer, BOS, the context length), ids → text, and every model input
 * (text, texts, number[][], a tensor) → checked int32 ids [batch, pos]. Token ids given as numbers are checked
 * before they become int32: an int32 cast truncates 1.5 to 1, turns NaN into 0 and wraps 2^31 to −2^31, so a bad id
 * would run as some other token.
 */
import type { Tensor, Tensor2D } from "@tensorflow/tfjs-core";
import type { TransformerConfig } from "../loading/config";
import { tf } from "../tensor";
import type { Tokenizer } from "../tokenizer";
import { describeValue } from "./hooks";

/** What the model accepts as input: text, a batch of texts, or token ids [batch, pos] (or one row of them). */
export type ModelInput = string | string[] | Tensor | number[][] | number[];

/** Options of toTokens. */
export interface TokenOptions {
  /** Prepend the BOS token (default: cfg.defaultPrependBos, as TransformerLens). */
  prependBos?: boolean;
  /** Cut sequences to nCtx instead of failing (default false). */
  truncate?: boolean;
}

/** "[row, col]" (or "[col]") of flat index `i` in a tensor of `shape`. */
function positionOf(i: number, shape: number[]): string {
  if (shape.length < 2) return `[${i}]`;
  const cols = shape[shape.length - 1];
  return `[${Math.floor(i / cols)}, ${i % cols}]`;
}

/** Why `id` is not a token id of a vocabulary of `dVocab` ids, or null when it is one. */
function badId(id: unknown, dVocab: number): string | null {
  if (typeof id !== "number") return `is ${describeValue(id)}, not a number`;
  if (Number.isNaN(id)) return "is not a number";
  if (!Number.isFinite(id)) return "is not finite";
  if (!Number.isInteger(id)) return "is not an integer";
  if (id < 0 || id >= dVocab) return `is outside the vocabulary [0, ${dVocab})`;
  return null;
}

/** Throws naming the first value of `values` (flat, of `shape`) that is not a token id, and its position. */
export function checkTokenIds(values: ArrayLike<unknown>, shape: number[], dVocab: number): void {
  for (let i = 0; i < values.length; i++) {
    const why = badId(values[i], dVocab);
    if (why === null) continue;
    const shown = typeof values[i] === "number" ? String(values[i]) : describeValue(values[i]);
    throw new Error(`token id ${shown} at ${positionOf(i, shape)} ${why}`);
  }
}

/**
 * Token ids [batch, pos] from rows of numbers (or one row), checked: rows of equal length holding integer ids in
 * [0, dVocab). Returns a new int32 tensor.
 */
export function tokensFromRows(input: number[][] | number[], dVocab: number): Tensor2D {
  const rows = (input.length > 0 && !Array.isArray(input[0]) ? [input] : input) as unknown[];
  rows.forEach((row, i) => {
    if (!Array.isArray(row)) throw new Error(`token row ${i} is ${describeValue(row)}, not a list of token ids`);
  });
  const lists = rows as unknown[][];
  const width = lists[0]?.length ?? 0;
  const ragged = lists.findIndex((row) => row.length !== width);
  if (ragged >= 0)
    throw new Error(
      `token rows must all have the same length: row 0 has ${width} ids, row ${ragged} has ${lists[ragged].length}`,
    );
  checkTokenIds(lists.flat(), [lists.length, width], dVocab);
  return tf.tensor2d(lists as number[][], [lists.length, width], "int32"); // [batch, pos]
}

/** Checked int32 token ids [batch, pos]; `owned`: made for this call (the caller disposes it), else the caller's. */
export interface CheckedTokens {
  tokens: Tensor2D;
  owned: boolean;
}

/** Text and token ids of one model: its tokenizer, its context length and vocabulary. */
export class TokenCodec {
  /** `folder` (where the model was loaded from) names it in the error of a text input when there is no tokenizer. */
  constructor(
    private readonly cfg: TransformerConfig,
    readonly tokenizer: Tokenizer | undefined,
    private readonly folder: string | undefined,
  ) {}

  private tokenizerOrThrow(): Tokenizer {
    if (this.tokenizer) return this.tokenizer;
    const where = this.folder
      ? `${this.folder} has no tokenizer.json (nor a GPT-2 style vocab.json + merges.txt)`
      : "it was built without a tokenizer";
    throw new Error(
      `this model has no tokenizer: ${where}, so it cannot turn text into tokens or tokens into text. ` +
        "Pass token ids instead: a number[][] [batch, pos] or an int32 tensor, e.g. model.forward([[1, 2, 3]])",
    );
  }

  /** Token ids of `input` as int32 [batch, pos]; BOS prepended by default as TransformerLens does. */
  toTokens(input: string | string[], options: TokenOptions = {}): Tensor2D {
    const ids = this.tokenIds(input, options);
    return tf.tensor2d(ids, [ids.length, ids[0].length], "int32"); // [batch, pos]
  }

  /** Token ids of each text, checked against the context length (or cut to it with `truncate`). */
  tokenIds(input: string | string[], options: TokenOptions = {}): number[][] {
    const tokenizer = this.tokenizerOrThrow();
    const texts = typeof input === "string" ? [input] : input;
    if (texts.length === 0) throw new Error("toTokens needs at least one text");
    const prependBos = options.prependBos ?? this.cfg.defaultPrependBos;
    const { ids } = tokenizer.encodeBatch(texts, { prependBos });
    for (const [i, row] of ids.entries()) {
      if (row.length === 0) throw new Error(`text ${i} is empty: it has no tokens (and prependBos is false)`);
      if (row.length > this.cfg.nCtx) {
        if (!options.truncate)
          throw new Error(`text ${i} has ${row.length} tokens, longer than the model's context nCtx = ${this.cfg.nCtx}`);
        ids[i] = row.slice(0, this.cfg.nCtx);
      }
    }
    return ids;
  }

  /** The text of each token of `input` (a text, or the ids of one sequence). */
  toStrTokens(input: string | number[] | Tensor, options: TokenOptions = {}): string[] {
    const tokenizer = this.tokenizerOrThrow();
    if (typeof input === "string") return tokenizer.tokenStrings(this.tokenIds(input, options)[0]);
    return tokenizer.tokenStrings(this.oneSequence(input, "toStrTokens"));
  }

  /** Decodes token ids (one sequence) to text. */
  toString(tokens: number[] | Tensor): string {
    const tokenizer = this.tokenizerOrThrow();
    return tokenizer.decode(this.oneSequence(tokens, "toString"));
  }

  /** The checked ids of one sequence given as number[], a [pos] tensor or a [1, pos] tensor. */
  private oneSequence(input: number[] | Tensor, method: string): number[] {
    if (Array.isArray(input)) {
      checkTokenIds(input, [input.length], this.cfg.dVocab);
      return input;
    }
    if (!(input instanceof tf.Tensor)) throw new Error(`${method} takes token ids or a text, got ${describeValue(input)}`);
    if (input.rank > 2 || (input.rank === 2 && input.shape[0] !== 1))
      throw new Error(`${method} takes one sequence, got tokens of shape [${input.shape}]`);
    const values = Array.from(input.dataSync());
    checkTokenIds(values, input.shape, this.cfg.dVocab);
    return values;
  }

  /** Validated int32 tokens [batch, pos] for any model input; `owned` says whether the caller must dispose it. */
  checked(input: ModelInput, options: TokenOptions): CheckedTokens {
    let tokens: Tensor;
    let owned = true;
    if (typeof input === "string" || (Array.isArray(input) && (input.length === 0 || typeof input[0] === "string"))) {
      tokens = this.toTokens(input as string | string[], options);
    } else if (Array.isArray(input)) {
      tokens = tokensFromRows(input as number[][] | number[], this.cfg.dVocab); // checked before the int32 cast
    } else if (input instanceof tf.Tensor) {
      tokens = input;
      owned = false;
    } else {
      throw new Error(`the model takes a text, a list of texts or token ids, got ${describeValue(input)}`);
    }
    const fail = (why: string): never => {
      if (owned) tokens.dispose();
      throw new Error(why);
    };
    if (tokens.rank === 1) {
      tokens = owned ? tokens : tokens.expandDims(0); // [1, pos]
      if (!owned) owned = true;
    }
    if (tokens.rank !== 2) fail(`tokens must be [batch, pos], got shape [${tokens.shape}]`);
    const [, pos] = tokens.shape;
    if (pos === 0) fail("the prompt is empty: no tokens to run");
    if (pos > this.cfg.nCtx) fail(`the prompt has ${pos} tokens, longer than the model's context nCtx = ${this.cfg.nCtx}`);
    try {
      checkTokenIds(tokens.dataSync(), tokens.shape, this.cfg.dVocab);
    } catch (err) {
      fail((err as Error).message);
    }
    if (tokens.dtype !== "int32") {
      const cast = tokens.cast("int32") as Tensor2D; // [batch, pos]
      if (owned) tokens.dispose();
      return { tokens: cast, owned: true };
    }
    return { tokens: tokens as Tensor2D, owned };
  }
}
