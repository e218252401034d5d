/**
 * A deterministic PRNG (mulberry32) in [0, 1), for sampling and seeded token draws: tfjs's own
 * seeded sampling is not reproducible on every backend, this is.
 */

/** A seeded uniform generator in [0, 1): the same seed gives the same sequence everywhere. */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 2 ** 32;
  };
}
