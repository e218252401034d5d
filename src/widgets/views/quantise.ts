/**
 * Compact payloads for the views: float values travel as bytes with a scale (≤ 1 byte per value),
 * byte b standing for min + b/255·(max − min).
 */

/** Quantises `values` to bytes on the scale [min, max] (values outside are clamped; NaN becomes 0). */
export function quantise(values: ArrayLike<number>, min: number, max: number): Uint8Array {
  if (!(max > min)) throw new Error(`the value range must have max > min, got [${min}, ${max}]`);
  const out = new Uint8Array(values.length);
  const scale = 255 / (max - min);
  for (let i = 0; i < values.length; i++) {
    const b = Math.round((values[i] - min) * scale);
    out[i] = b > 255 ? 255 : b > 0 ? b : 0;
  }
  return out;
}

/** The smallest and largest finite value ([0, 1] when there is none or they are equal). */
export function valueRange(values: ArrayLike<number>): [number, number] {
  let [min, max] = [Infinity, -Infinity];
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (!Number.isFinite(v)) continue;
    if (v < min) min = v;
    if (v > max) max = v;
  }
  if (!(max > min)) return Number.isFinite(min) ? [min - 0.5, min + 0.5] : [0, 1];
  return [min, max];
}

/** A colour scale for `values`: `given` bounds where set, else the values' range widened to include 0. */
export function scaleWithZero(values: ArrayLike<number>, given: { min?: number; max?: number } = {}): [number, number] {
  const [low, high] = valueRange(values);
  return [given.min ?? Math.min(0, low), given.max ?? Math.max(0, high)];
}
