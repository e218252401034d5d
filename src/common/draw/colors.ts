/**
 * Colour scales shared by the browser views and the kernel's PNG snapshots. A scale maps a value
 * in [min, max] to RGB: one-sided (white at min → colour at max) for ranges that do not cross 0,
 * diverging otherwise: red below 0, white at 0, blue above, symmetric in magnitude (−v and +v get
 * equally strong colours; full strength at the larger of |min| and |max|).
 */

/** An RGB colour, 0–255 per channel. */
export type Rgb = [number, number, number];

/** Colour of masked cells (the upper triangle of a causal pattern). */
export const MASKED: Rgb = [200, 200, 200];

const POSITIVE: Rgb = [33, 102, 172];
const NEGATIVE: Rgb = [178, 24, 43];

function mix(from: Rgb, to: Rgb, t: number): Rgb {
  const u = Math.min(1, Math.max(0, t));
  return [0, 1, 2].map((i) => Math.round(from[i] + (to[i] - from[i]) * u)) as Rgb;
}

/** The colour of `value` on the scale [min, max]. */
export function colorOf(value: number, min: number, max: number): Rgb {
  const white: Rgb = [255, 255, 255];
  if (!(max > min) || Number.isNaN(value)) return white;
  if (min >= 0) return mix(white, POSITIVE, (value - min) / (max - min));
  if (max <= 0) return mix(white, NEGATIVE, (max - value) / (max - min));
  const reach = Math.max(-min, max); // one slope for both sides
  return value >= 0 ? mix(white, POSITIVE, value / reach) : mix(white, NEGATIVE, -value / reach);
}

/**
 * Stops of the scale [min, max] for a gradient that interpolates between them (plotly's colorscale): 11 even
 * stops, plus one exactly at 0 when the range crosses it, as [fraction of the range, colour].
 */
export function scaleStops(min: number, max: number): [number, Rgb][] {
  const fractions = Array.from({ length: 11 }, (_, i) => i / 10);
  if (min < 0 && max > 0) fractions.push(-min / (max - min));
  return [...new Set(fractions)].sort((a, b) => a - b).map((f) => [f, colorOf(f === 1 ? max : min + f * (max - min), min, max)]);
}

/** CSS text of a colour. */
export function cssColor([r, g, b]: Rgb): string {
  return `rgb(${r}, ${g}, ${b})`;
}

/** The identity colour of head `index` of `count` (hue around the circle), as CSS. */
export function headColor(index: number, count: number): string {
  return `hsl(${Math.round((index / Math.max(1, count)) * 360)}, 70%, 45%)`;
}

/** A lookup table of the 256 byte levels of a quantised scale: RGB of min + b/255·(max − min). */
export function byteColors(min: number, max: number): Uint8Array {
  const table = new Uint8Array(256 * 3);
  for (let b = 0; b < 256; b++) table.set(colorOf(min + (b / 255) * (max - min), min, max), b * 3);
  return table;
}
