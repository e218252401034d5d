/**
 * Seeded random token ids for the analysis recipes (the same seed gives the same tokens on
 * every machine and backend).
 */
import { seededRandom } from "../model/random";

/** `rows` × `length` ids drawn uniformly from [low, high) without the ids in `exclude`. */
export function randomTokens(
  rows: number,
  length: number,
  low: number,
  high: number,
  seed: number,
  exclude: number[] = [],
): number[][] {
  if (!Number.isInteger(low) || !Number.isInteger(high) || low < 0 || high <= low)
    throw new Error(`token range [${low}, ${high}) is empty or invalid`);
  const skip = new Set(exclude);
  const allowed = high - low - [...skip].filter((id) => id >= low && id < high).length;
  if (allowed < 1) throw new Error(`token range [${low}, ${high}) holds only special or byte-fallback tokens`);
  const rand = seededRandom(seed);
  const draw = () => {
    for (;;) {
      const id = low + Math.floor(rand() * (high - low));
      if (!skip.has(id)) return id;
    }
  };
  return Array.from({ length: rows }, () => Array.from({ length }, draw));
}
