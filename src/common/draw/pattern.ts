/**
 * Pixels of attention patterns: one pixel per (query, key) cell, RGBA, ready for putImageData (in
 * the browser or in the kernel's canvas). Patterns arrive quantised: byte b stands for
 * min + b/255·(max − min).
 */
import type { QuantisedPatterns } from "../quantise";
import { byteColors, paletteOf } from "./colors";
import type { Theme } from "./colors";

/** True when key `k` is masked for query `q`: queries sit at the last positions of the key sequence. */
export function isMasked(p: Pick<QuantisedPatterns, "queries" | "keys" | "maskUpper">, q: number, k: number): boolean {
  return p.maskUpper && k > q + (p.keys - p.queries);
}

/** RGBA pixels of a horizontal colour ramp `width` × 1 from min to max, in the colours of `theme`. */
export function rampPixels(min: number, max: number, width: number, theme: Theme = "light"): Uint8ClampedArray {
  const table = byteColors(min, max, theme);
  const out = new Uint8ClampedArray(width * 4);
  for (let x = 0; x < width; x++) {
    const b = Math.round((x / Math.max(1, width - 1)) * 255);
    out.set([table[b * 3], table[b * 3 + 1], table[b * 3 + 2], 255], x * 4);
  }
  return out;
}

/** The focused part of a pattern: one query row (a destination's sources) or one key column (a source's readers). */
export type PatternFocus = { row: number } | { column: number };

/**
 * Fades `pixels` (RGBA [queries, keys] of a full-resolution pattern of shape `p`) outside `focus` toward the
 * background of `theme`, masked cells included — inside the focused row or column too, so that only the cells
 * holding a weight stand out. `strength` is how far a faded cell moves toward the background (0 … 1). Works in
 * place; returns `pixels`.
 */
export function fadeOutside(
  pixels: Uint8ClampedArray,
  p: Pick<QuantisedPatterns, "queries" | "keys" | "maskUpper">,
  focus: PatternFocus,
  theme: Theme = "light",
  strength = 0.75,
): Uint8ClampedArray {
  const background = paletteOf(theme).zero;
  for (let q = 0; q < p.queries; q++)
    for (let k = 0; k < p.keys; k++) {
      const inside = "row" in focus ? q === focus.row : k === focus.column;
      if (inside && !isMasked(p, q, k)) continue;
      const at = (q * p.keys + k) * 4;
      for (let c = 0; c < 3; c++) pixels[at + c] = Math.round(pixels[at + c] * (1 - strength) + background[c] * strength);
    }
  return pixels;
}
