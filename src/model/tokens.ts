/**
 * A model's tokens: text → ids (the tokenizer, BOS, the context length), ids → text, and every model input
 * (text, texts, number[][], a tensor) → checked int32 ids [batch, pos]. Token ids given as numbers are checked
 * before they become int32: an int32 cast truncates 1.5 to 1, turns NaN into 0 and wraps 2^31 to −2^31, so a bad id
 * would run as some other token.
 */
import type { Tensor, Tensor2D } from "@tensorflow/tfjs-core";
import type { TransformerConfig } from "../loading/config";
import { tf } from "../tensor";
import { padBatch, type Tokenizer } from "../tokenizer";
import { describeValue } from "./hooks";

/** What the model accepts as input: text, a batch of texts, or token ids [batch, pos] (or one row of them). */
export type ModelInput = string | string[] | Tensor | number[][] | number[];

/** Options of toTokens. */
export interface TokenOptions {
  /** Prepend the BOS token (default: cfg.defaultPrependBos, as TransformerLens). */
  prependBos?: boolean;
  /** Cut sequences to nCtx instead of failing (default false). */
  truncate?: boolean;
  /** Where a batch of texts of different lengths is padded (default "right", as TransformerLens). */
  paddingSide?: PaddingSide;
}

/** The side padding goes on in a batch of texts of different lengths. */
export type PaddingSide = "left" | "right";

/** Token ids [batch, pos] of a batch of texts and its mask [batch, pos] (1 = a real token, BOS included; 0 = padding). */
export interface TokensWithMask {
  tokens: Tensor2D;
  attentionMask: Tensor2D;
}

/** The paddingSide option, checked: "left" or "right" (default "right"). */
export function checkPaddingSide(side: unknown): PaddingSide {
  if (side === undefined) return "right";
  if (side === "left" || side === "right") return side;
  throw new Error(`paddingSide must be "left" or "right", got ${describeValue(side)}`);
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

/** Checked tokens with the padding mask of the batch: int32 [batch, pos], owned by the caller; undefined: no padding. */
export interface CheckedBatch extends CheckedTokens {
  attentionMask?: Tensor2D;
}

/** What a run accepts as a padding mask of token-id input: [batch, pos] of 1 (real token) and 0 (padding). */
export type AttentionMaskInput = Tensor | number[][];

/**
 * The padding mask `mask` checked against tokens of `shape` [batch, pos]: same shape, only 0 and 1, at least one real
 * token per row. Returns a new int32 tensor [batch, pos], or undefined when every position is real.
 */
export function checkAttentionMask(mask: unknown, shape: number[]): Tensor2D | undefined {
  let values: unknown[];
  let maskShape: number[];
  if (mask instanceof tf.Tensor) {
    values = Array.from(mask.dataSync());
    maskShape = mask.shape;
  } else if (Array.isArray(mask) && mask.every((row) => Array.isArray(row))) {
    const rows = mask as unknown[][];
    values = rows.flat();
    const widths = new Set(rows.map((row) => row.length));
    maskShape = widths.size > 1 ? [rows.length, NaN] : [rows.length, rows[0]?.length ?? 0];
  } else {
    throw new Error(`attentionMask must be a [batch, pos] tensor or number[][] of 0 and 1, got ${describeValue(mask)}`);
  }
  const [batch, pos] = shape;
  if (maskShape.length !== 2 || maskShape[0] !== batch || maskShape[1] !== pos)
    throw new Error(
      `attentionMask must have the tokens' shape [${batch}, ${pos}], got ${Number.isNaN(maskShape[1]) ? "rows of different lengths" : `[${maskShape}]`}`,
    );
  const bad = values.findIndex((v) => v !== 0 && v !== 1 && v !== true && v !== false);
  if (bad >= 0)
    throw new Error(`attentionMask holds only 0 and 1, got ${describeValue(values[bad])} at ${positionOf(bad, shape)}`);
  const flags = values.map((v) => (v === 1 || v === true ? 1 : 0));
  for (let row = 0; row < batch; row++)
    if (!flags.slice(row * pos, (row + 1) * pos).includes(1))
      throw new Error(`attentionMask row ${row} is all padding: a row needs at least one real token`);
  if (!flags.includes(0)) return undefined;
  return tf.tensor2d(flags, [batch, pos], "int32"); // [batch, pos]
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

  /** Token ids of `input` padded on `options.paddingSide`, with the mask of its real tokens (both int32 [batch, pos]). */
  toTokensWithMask(input: string | string[], options: TokenOptions = {}): TokensWithMask {
    const { ids, attentionMask } = this.encode(input, options);
    const shape: [number, number] = [ids.length, ids[0].length];
    return { tokens: tf.tensor2d(ids, shape, "int32"), attentionMask: tf.tensor2d(attentionMask, shape, "int32") }; // [batch, pos] each
  }

  /** Token ids of each text, padded on `options.paddingSide`, checked against the context length (or cut to it). */
  tokenIds(input: string | string[], options: TokenOptions = {}): number[][] {
    return this.encode(input, options).ids;
  }

  /** Ids and mask of each text: each cut to nCtx first (with `truncate`), then padded to the longest. */
  private encode(input: string | string[], options: TokenOptions): { ids: number[][]; attentionMask: number[][] } {
    const side = checkPaddingSide(options.paddingSide);
    const tokenizer = this.tokenizerOrThrow();
    const texts = typeof input === "string" ? [input] : input;
    if (texts.length === 0) throw new Error("toTokens needs at least one text");
    const prependBos = options.prependBos ?? this.cfg.defaultPrependBos;
    const rows = texts.map((text) => tokenizer.encodeBatch([text], { prependBos }).ids[0]);
    for (const [i, row] of rows.entries()) {
      if (row.length === 0) throw new Error(`text ${i} is empty: it has no tokens (and prependBos is false)`);
      if (row.length > this.cfg.nCtx) {
        if (!options.truncate)
          throw new Error(`text ${i} has ${row.length} tokens, longer than the model's context nCtx = ${this.cfg.nCtx}`);
        rows[i] = row.slice(0, this.cfg.nCtx);
      }
    }
    return padBatch(rows, tokenizer.padTokenId, side);
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

  /**
   * Validated tokens for any model input with their padding mask: the tokenizer's for a batch of texts (padded on
   * `paddingSide`), the checked `attentionMask` for token ids; undefined when no position is padding.
   */
  checkedBatch(input: ModelInput, options: TokenOptions & { attentionMask?: AttentionMaskInput }): CheckedBatch {
    const isText = typeof input === "string" || (Array.isArray(input) && typeof input[0] === "string");
    if (isText && options.attentionMask !== undefined)
      throw new Error("attentionMask is for token-id input: a text batch gets its mask from the tokenizer (use paddingSide)");
    if (isText) {
      const { ids, attentionMask } = this.encode(input as string | string[], options);
      const shape: [number, number] = [ids.length, ids[0].length];
      const tokens = tf.tensor2d(ids, shape, "int32"); // [batch, pos]
      const padded = attentionMask.some((row) => row.includes(0));
      return { tokens, owned: true, attentionMask: padded ? tf.tensor2d(attentionMask, shape, "int32") : undefined };
    }
    const checked = this.checked(input, options);
    if (options.attentionMask === undefined) return checked;
    try {
      return { ...checked, attentionMask: checkAttentionMask(options.attentionMask, checked.tokens.shape) };
    } catch (err) {
      if (checked.owned) checked.tokens.dispose();
      throw err;
    }
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
