/**
 * One head's attention pattern as a grid of quantised bytes, at full resolution (one cell per
 * query × key) or pooled to a thumbnail (each cell the largest weight of a block of queries × keys,
 * so a thin diagonal stays visible at 64 px). Byte b stands for min + b/255·(max − min) of the
 * view's scale. A cell is masked (drawn in the palette's masked colour) when every query × key pair
 * it covers is masked (causal attention: the key comes after the query).
 */
import { byteColors, paletteOf } from "./colors";
import type { Theme } from "./colors";

/** One head's bytes [rows, cols]: row r covers queries rowStart(r) … rowStart(r + 1) − 1, likewise columns and keys. */
export interface PatternImage {
  /** Quantised values, row-major [rows, cols]. */
  bytes: Uint8Array;
  rows: number;
  cols: number;
  /** The pattern's query and key counts (rows = queries and cols = keys at full resolution). */
  queries: number;
  keys: number;
  /** Causal mask: key k is masked for query q when k > q + (keys − queries). */
  maskUpper: boolean;
}

/** The first of the `total` positions that cell `index` of `cells` covers (cells split them as evenly as can be). */
export function cellStart(index: number, cells: number, total: number): number {
  return Math.floor((index * total) / cells);
}

/** True when every query × key pair under cell (row, col) is masked. */
export function imageMasked(image: PatternImage, row: number, col: number): boolean {
  if (!image.maskUpper) return false;
  const lastQuery = cellStart(row + 1, image.rows, image.queries) - 1;
  const firstKey = cellStart(col, image.cols, image.keys);
  return firstKey > lastQuery + (image.keys - image.queries);
}

/**
 * Max-pools one head of quantised patterns ([heads, queries, keys] bytes, head `head`) to [rows, cols]: each cell is
 * the largest byte among the unmasked pairs it covers (0 when all are masked). Bytes are monotonic in the value, so
 * this is the byte of the block's largest value.
 */
export function poolHead(
  bytes: Uint8Array,
  head: number,
  shape: { queries: number; keys: number; maskUpper: boolean },
  rows: number,
  cols: number,
): PatternImage {
  const { queries, keys, maskUpper } = shape;
  const out = new Uint8Array(rows * cols); // [rows, cols]
  const base = head * queries * keys;
  const offset = keys - queries;
  const colOf = new Int32Array(keys); // the column each key falls in
  for (let c = 0; c < cols; c++) colOf.fill(c, cellStart(c, cols, keys), cellStart(c + 1, cols, keys));
  for (let r = 0; r < rows; r++) {
    const rowOut = r * cols;
    for (let q = cellStart(r, rows, queries); q < cellStart(r + 1, rows, queries); q++) {
      const line = base + q * keys;
      const end = maskUpper ? Math.min(keys, q + offset + 1) : keys;
      for (let k = 0; k < end; k++) {
        const b = bytes[line + k];
        const at = rowOut + colOf[k];
        if (b > out[at]) out[at] = b;
      }
    }
  }
  return { bytes: out, rows, cols, queries, keys, maskUpper };
}

/** RGBA pixels [rows, cols] of an image on the scale [min, max] in the colours of `theme`, ready for putImageData. */
export function imagePixels(image: PatternImage, min: number, max: number, theme: Theme = "light"): Uint8ClampedArray {
  const table = byteColors(min, max, theme);
  const [mr, mg, mb] = paletteOf(theme).masked;
  const out = new Uint8ClampedArray(image.rows * image.cols * 4); // [rows, cols, RGBA]
  for (let r = 0; r < image.rows; r++) {
    // Columns from `firstMasked` on are masked in this row (masking only grows with the key).
    let firstMasked = image.cols;
    if (image.maskUpper) while (firstMasked > 0 && imageMasked(image, r, firstMasked - 1)) firstMasked--;
    for (let c = 0; c < image.cols; c++) {
      const cell = r * image.cols + c;
      const at = cell * 4;
      if (c >= firstMasked) {
        out[at] = mr;
        out[at + 1] = mg;
        out[at + 2] = mb;
      } else {
        const t = image.bytes[cell] * 3;
        out[at] = table[t];
        out[at + 1] = table[t + 1];
        out[at + 2] = table[t + 2];
      }
      out[at + 3] = 255;
    }
  }
  return out;
}
