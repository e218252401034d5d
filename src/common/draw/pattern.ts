/**
 * Pixels of attention patterns: one pixel per (query, key) cell, RGBA, ready for putImageData (in
 * the browser or in the kernel's canvas). Patterns arrive quantised: byte b stands for
 * min + b/255·(max − min).
 */
import type { QuantisedPatterns } from "../quantise";
import { byteColors, paletteOf } from "./colors";
import type { Theme } from "./colors";

/** True when key `k` is masked for query `q`: queries sit at the last positions of the key sequence. */
export function isMasked(p: QuantisedPatterns, q: number, k: number): boolean {
  return p.maskUpper && k > q + (p.keys - p.queries);
}

/** RGBA pixels [queries, keys] of one head, in the colours of `theme`. */
export function headPixels(p: QuantisedPatterns, head: number, theme: Theme = "light"): Uint8ClampedArray {
  const table = byteColors(p.min, p.max, theme);
  const masked = paletteOf(theme).masked;
  const out = new Uint8ClampedArray(p.queries * p.keys * 4);
  const base = head * p.queries * p.keys;
  for (let q = 0; q < p.queries; q++) {
    for (let k = 0; k < p.keys; k++) {
      const cell = q * p.keys + k;
      const [r, g, b] = isMasked(p, q, k) ? masked : table.subarray(p.bytes[base + cell] * 3, p.bytes[base + cell] * 3 + 3);
      out.set([r, g, b, 255], cell * 4);
    }
  }
  return out;
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
