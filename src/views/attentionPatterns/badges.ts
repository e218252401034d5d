/**
 * The per-head score badges of the attention view, from the exact weights: how much of each query's attention
 * goes to the previous position, to itself, to position 0, and — for a query whose token occurred earlier — to the
 * positions right after those earlier copies (the induction move [A][B] … [A] → [B]).
 *
 * These are detectHead's named patterns (src/analysis/detectionPatterns.ts) read per query: on a square pattern
 * whose rows sum to 1, detectHead(…, "previous_token_head") = previous · (n − 1) / n and
 * detectHead(…, "induction_head") = induction · m / n, where m is the number of queries whose token repeats — detectHead
 * averages over every query, the badge only over the queries that have such a key, so a weak signal on a few
 * repeated tokens still reads as what the head does there.
 */
import type { HeadBadge } from "./spec";

/** A mean, or null when there was nothing to average or a value was not finite. */
function meanOrNull(sum: number, count: number): number | null {
  if (count === 0) return null;
  const mean = sum / count;
  return Number.isFinite(mean) ? mean : null;
}

/**
 * The badges of every head of `values` ([heads, queries, keys], queries at the last `queries` key positions);
 * `tokenKeys` says which key positions hold the same token (ids, or the token text).
 */
export function headBadges(
  values: Float32Array,
  heads: number,
  queries: number,
  keys: number,
  tokenKeys: ArrayLike<unknown>,
): HeadBadge[] {
  const offset = keys - queries; // key position of query 0
  // For each query, the keys right after earlier copies of its token (empty: its token is new there).
  const seen = new Map<unknown, number[]>();
  const afterCopies: number[][] = [];
  for (let position = 0; position < keys; position++) {
    const token = tokenKeys[position];
    const earlier = seen.get(token) ?? [];
    if (position >= offset) afterCopies.push(earlier.map((j) => j + 1));
    seen.set(token, [...earlier, position]);
  }
  const repeating = afterCopies.filter((list) => list.length > 0).length;
  return Array.from({ length: heads }, (_, h) => {
    let [previous, self, bos, induction] = [0, 0, 0, 0];
    for (let q = 0; q < queries; q++) {
      const row = (h * queries + q) * keys;
      const position = q + offset;
      if (position >= 1) previous += values[row + position - 1];
      self += values[row + position];
      bos += values[row];
      for (const k of afterCopies[q]) induction += values[row + k];
    }
    return {
      previous: meanOrNull(previous, offset > 0 ? queries : queries - 1),
      self: meanOrNull(self, queries),
      bos: meanOrNull(bos, queries),
      induction: meanOrNull(induction, repeating),
    };
  });
}
