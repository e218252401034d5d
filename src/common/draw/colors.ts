/**
 * Colour scales shared by the browser views and the kernel's PNG snapshots, for a light or a dark
 * page. A scale maps a value in [min, max] to RGB: sequential (the page's background colour at min →
 * a strong colour at max) for ranges that do not cross 0, diverging otherwise (red below 0, the
 * background at 0, blue above), one slope for both sides: −v and +v get equally strong colours, full
 * strength at the larger of |min| and |max|. `symmetricRange` widens a crossing range to ±max|v| so the
 * legend is centred on 0 too. Text drawn on a coloured cell takes `textColorOn` (black or white, the
 * one with more contrast).
 */

/** An RGB colour, 0–255 per channel. */
export type Rgb = [number, number, number];

/** The page a colour is drawn on: JupyterLab's light or dark theme. */
export type Theme = "light" | "dark";

/** The colours of a theme: background (a scale's zero), the two ends, masked cells and faint guides. */
export interface Palette {
  /** The colour of min on a sequential scale and of 0 on a diverging one. */
  zero: Rgb;
  positive: Rgb;
  negative: Rgb;
  /** Cells that hold no value (the upper triangle of a causal pattern): a faint step off the background. */
  masked: Rgb;
  /** Lines drawn over a pattern (diagonal guides) and frames. */
  guide: Rgb;
  /** Text colour on the page itself. */
  text: Rgb;
}

const PALETTES: Record<Theme, Palette> = {
  light: {
    zero: [255, 255, 255],
    positive: [33, 102, 172],
    negative: [178, 24, 43],
    masked: [236, 236, 236],
    guide: [150, 150, 150],
    text: [34, 34, 34],
  },
  dark: {
    zero: [33, 33, 33],
    positive: [110, 180, 255],
    negative: [255, 105, 97],
    masked: [48, 48, 48],
    guide: [120, 120, 120],
    text: [225, 225, 225],
  },
};

/** The palette of `theme`. */
export function paletteOf(theme: Theme = "light"): Palette {
  return PALETTES[theme];
}

/** Colour of masked cells (the upper triangle of a causal pattern) on the light theme. */
export const MASKED: Rgb = PALETTES.light.masked;

function mix(from: Rgb, to: Rgb, t: number): Rgb {
  const u = Math.min(1, Math.max(0, t));
  return [0, 1, 2].map((i) => Math.round(from[i] + (to[i] - from[i]) * u)) as Rgb;
}

/** The colour of `value` on the scale [min, max] drawn on `theme`. */
export function colorOf(value: number, min: number, max: number, theme: Theme = "light"): Rgb {
  const { zero, positive, negative } = PALETTES[theme];
  if (!(max > min) || Number.isNaN(value)) return zero;
  if (min >= 0) return mix(zero, positive, (value - min) / (max - min));
  if (max <= 0) return mix(zero, negative, (max - value) / (max - min));
  const reach = Math.max(-min, max); // one slope for both sides
  return value >= 0 ? mix(zero, positive, value / reach) : mix(zero, negative, -value / reach);
}

/** True when the scale [min, max] is diverging (crosses 0). */
export function isDiverging(min: number, max: number): boolean {
  return min < 0 && max > 0;
}

/** [min, max] made symmetric about 0 (±max(|min|, |max|)) when it has values of both signs; unchanged otherwise. */
export function symmetricRange(min: number, max: number): [number, number] {
  if (!isDiverging(min, max)) return [min, max];
  const reach = Math.max(-min, max);
  return [-reach, reach];
}

/**
 * Stops of the scale [min, max] for a gradient that interpolates between them (plotly's colorscale): 11 even
 * stops, plus one exactly at 0 when the range crosses it, as [fraction of the range, colour].
 */
export function scaleStops(min: number, max: number, theme: Theme = "light"): [number, Rgb][] {
  const fractions = Array.from({ length: 11 }, (_, i) => i / 10);
  if (isDiverging(min, max)) fractions.push(-min / (max - min));
  return [...new Set(fractions)]
    .sort((a, b) => a - b)
    .map((f) => [f, colorOf(f === 1 ? max : min + f * (max - min), min, max, theme)]);
}

/** CSS text of a colour. */
export function cssColor([r, g, b]: Rgb): string {
  return `rgb(${r}, ${g}, ${b})`;
}

/** A lookup table of the 256 byte levels of a quantised scale: RGB of min + b/255·(max − min). */
export function byteColors(min: number, max: number, theme: Theme = "light"): Uint8Array {
  const table = new Uint8Array(256 * 3);
  for (let b = 0; b < 256; b++) table.set(colorOf(min + (b / 255) * (max - min), min, max, theme), b * 3);
  return table;
}

/** WCAG relative luminance of a colour (0 black … 1 white). */
export function luminance([r, g, b]: Rgb): number {
  const linear = (c: number) => {
    const s = c / 255;
    return s <= 0.03928 ? s / 12.92 : ((s + 0.055) / 1.055) ** 2.4;
  };
  return 0.2126 * linear(r) + 0.7152 * linear(g) + 0.0722 * linear(b);
}

/** WCAG contrast ratio of two colours (1 … 21; 4.5 is the floor for body text). */
export function contrastRatio(a: Rgb, b: Rgb): number {
  const [hi, lo] = [luminance(a), luminance(b)].sort((x, y) => y - x);
  return (hi + 0.05) / (lo + 0.05);
}

/** The text colour for a cell of colour `background`: black or white, whichever contrasts more. */
export function textColorOn(background: Rgb): Rgb {
  const black: Rgb = [0, 0, 0];
  const white: Rgb = [255, 255, 255];
  return contrastRatio(black, background) >= contrastRatio(white, background) ? black : white;
}
