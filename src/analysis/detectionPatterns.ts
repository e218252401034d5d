/**
 * The detection patterns of TransformerLens's head detector, as [query, key] 0/1 matrices
 * over one sequence of token ids (row i = query position i; all lower-triangular).
 */

/** Names of the built-in patterns. */
export type HeadName = "previous_token_head" | "duplicate_token_head" | "induction_head";

export const HEAD_NAMES: readonly HeadName[] = ["previous_token_head", "duplicate_token_head", "induction_head"];

const square = (n: number, cell: (i: number, j: number) => boolean): number[][] =>
  Array.from({ length: n }, (_, i) => Array.from({ length: n }, (_, j) => (j <= i && cell(i, j) ? 1 : 0)));

/** Each position attends to the one before it. */
export function previousTokenPattern(length: number): number[][] {
  return square(length, (i, j) => j === i - 1);
}

/** Each position attends to earlier positions holding the same token. */
export function duplicateTokenPattern(tokens: number[]): number[][] {
  return square(tokens.length, (i, j) => j < i && tokens[j] === tokens[i]);
}

/** Each position attends to the token after an earlier copy of its own token ([A][B] … [A] → [B]). */
export function inductionPattern(tokens: number[]): number[][] {
  return square(tokens.length, (i, j) => j >= 1 && j - 1 < i && tokens[j - 1] === tokens[i]);
}

/** The named pattern for `tokens`. */
export function detectionPattern(name: HeadName, tokens: number[]): number[][] {
  if (name === "previous_token_head") return previousTokenPattern(tokens.length);
  if (name === "duplicate_token_head") return duplicateTokenPattern(tokens);
  if (name === "induction_head") return inductionPattern(tokens);
  throw new Error(`unknown head pattern ${JSON.stringify(name)}: use one of ${HEAD_NAMES.join(", ")} or a [pos, pos] matrix`);
}
