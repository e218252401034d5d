/**
 * A score grid's cells as the live view and the PNG draw them: each cell on its value's colour, its value
 * printed in black or white (whichever contrasts more with that colour) when the cell is large enough.
 */
import { colorOf, textColorOn } from "./colors";
import type { Rgb, Theme } from "./colors";
import { formatShort } from "./tokens";

/** The smallest cell side, in CSS pixels, that holds a printed value ("-0.12" in 10 px text). */
export const CELL_TEXT_MIN = 30;

/** One cell as drawn. */
export interface GridCell {
  /** The value's colour on the scale. */
  background: Rgb;
  /** The colour of text on it (textColorOn). */
  text: Rgb;
  /** The value as printed (formatShort). */
  label: string;
}

/** The cell of `value` on the scale [min, max] on a `theme` page. */
export function gridCell(value: number, min: number, max: number, theme: Theme = "light"): GridCell {
  const background = colorOf(value, min, max, theme);
  return { background, text: textColorOn(background), label: formatShort(value) };
}

/** The side of a cell (CSS px) of a `layers` × `heads` grid: 40 for small models, down to 12 for large ones. */
export function gridCellSize(layers: number, heads: number): number {
  return Math.max(12, Math.min(40, Math.floor(480 / Math.max(layers, heads, 1))));
}

/** Whether a cell of `size` px prints its value. */
export function printsValues(size: number): boolean {
  return size >= CELL_TEXT_MIN;
}
