/**
 * Padding a batch of token id rows into a rectangle with an attention mask,
 * as transformers pads for TransformerLens (pad_token_id, right side by default).
 */

/** Which end of a row the padding goes on. */
export type PadSide = "right" | "left";

/** A padded batch: every row of `ids` and `attentionMask` has the same length. */
export interface BatchEncoding {
  /** Token ids, padded with the pad token id. */
  ids: number[][];
  /** 1 for a real token (BOS included), 0 for padding. */
  attentionMask: number[][];
  /** Number of real tokens in each row (BOS included). */
  lengths: number[];
}

/**
 * Pads `rows` to the longest row's length with `padTokenId` on `padSide`.
 * Throws when rows differ in length and `padTokenId` is null.
 */
export function padBatch(rows: number[][], padTokenId: number | null, padSide: PadSide): BatchEncoding {
  const lengths = rows.map((row) => row.length);
  const width = lengths.reduce((a, b) => Math.max(a, b), 0);
  if (padTokenId === null && lengths.some((n) => n !== width)) {
    throw new Error("Cannot pad the batch: the tokenizer has no pad (or eos) token; pass padTokenId");
  }
  const ids: number[][] = [];
  const attentionMask: number[][] = [];
  for (const row of rows) {
    const pad = new Array<number>(width - row.length).fill(padTokenId ?? 0);
    const zeros = new Array<number>(pad.length).fill(0);
    const ones = new Array<number>(row.length).fill(1);
    ids.push(padSide === "left" ? [...pad, ...row] : [...row, ...pad]);
    attentionMask.push(padSide === "left" ? [...zeros, ...ones] : [...ones, ...zeros]);
  }
  return { ids, attentionMask, lengths };
}
