/**
 * Token ids given as numbers (number[][], number[] or a tensor) are checked before they become int32: an int32 cast
 * truncates 1.5 to 1, turns NaN into 0 and wraps 2^31 to −2^31, so a bad id would run as some other token.
 */
import type { Tensor } from "@tensorflow/tfjs-core";
import { tf } from "../tensor";
import { describeValue } from "./hooks";

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
export function tokensFromRows(input: number[][] | number[], dVocab: number): Tensor {
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
