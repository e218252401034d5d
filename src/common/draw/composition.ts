/**
 * The composition grid drawn on a 2D canvas, the same in the browser view and in the kernel's PNG snapshot: earlier
 * heads down the left (rows), later heads along the top (columns), one cell per pair on the colour scale (white, or
 * the dark page's background, at the scale's centre: 0, or the baseline when one is given), cells that are not edges
 * (the column's layer is not after the row's) in the masked grey, lines between layers, values printed in cells
 * large enough to hold them (black or white, whichever contrasts more), the selected edge framed, and a vertical
 * colour bar with its ends (and the centre) written beside it. Only the Canvas 2D calls both canvases share are used.
 */
import { colorOf, cssColor, paletteOf, textColorOn } from "./colors";
import type { Theme } from "./colors";
import { printsValues } from "./grid";
import { formatShort, formatValue } from "./tokens";
import { headLabel } from "../heads";
import {
  CompositionGrid,
  CompositionKind,
  columnHead,
  EdgeRef,
  edgeCell,
  gridSide,
  isEdge,
  KIND_INPUT,
  rowHead,
  scoreAt,
} from "./compositionEdges";

/** The Canvas 2D calls the drawing uses (a browser CanvasRenderingContext2D and @napi-rs/canvas's context both have them). */
export interface Canvas2D {
  fillStyle: unknown;
  strokeStyle: unknown;
  lineWidth: number;
  font: string;
  textAlign: string;
  textBaseline: string;
  fillRect(x: number, y: number, w: number, h: number): void;
  strokeRect(x: number, y: number, w: number, h: number): void;
  fillText(text: string, x: number, y: number): void;
  save(): void;
  restore(): void;
  translate(x: number, y: number): void;
  rotate(angle: number): void;
}

/** Where everything sits, in CSS pixels: cell (row r, column c) covers [left + c·cell, top + r·cell], cell − 1 px wide. */
export interface CompositionLayout {
  /** Rows and columns (earlier and later heads): (n_layers − 1)·n_heads each. */
  side: number;
  left: number;
  top: number;
  cell: number;
  /** Whether each head has its own label ("L1H0"), or only each layer ("L1"). */
  headLabels: boolean;
  legendX: number;
  legendHeight: number;
  width: number;
  height: number;
}

const LABEL_SPACE = 46; // room for "L10H11" at 11 px
const TITLE_SPACE = 16; // an axis title's line
const LEGEND_WIDTH = 12;

/** The layout of the grid of a model with `nLayers` × `nHeads` heads: cells of 44 px for small models, down to 6. */
export function compositionLayout(nLayers: number, nHeads: number): CompositionLayout {
  const side = gridSide(nLayers, nHeads);
  const cell = Math.max(6, Math.min(44, Math.floor(440 / Math.max(side, 1))));
  const [left, top] = [TITLE_SPACE + LABEL_SPACE, TITLE_SPACE + LABEL_SPACE];
  const legendX = left + side * cell + 14;
  const legendHeight = Math.max(side * cell, 100);
  return {
    side,
    left,
    top,
    cell,
    headLabels: cell >= 13,
    legendX,
    legendHeight,
    width: legendX + LEGEND_WIDTH + 56,
    height: top + legendHeight + 8,
  };
}

/** The cell under (x, y), or undefined outside the grid. */
export function cellAt(layout: CompositionLayout, x: number, y: number): { row: number; column: number } | undefined {
  const column = Math.floor((x - layout.left) / layout.cell);
  const row = Math.floor((y - layout.top) / layout.cell);
  if (row < 0 || column < 0 || row >= layout.side || column >= layout.side) return undefined;
  return { row, column };
}

/** What is drawn. */
export interface CompositionPicture extends CompositionGrid {
  kind: CompositionKind;
  /** The colour scale's ends, in scores. */
  min: number;
  max: number;
  /** The scale's centre (drawn in the background colour): a baseline score, or 0. */
  baseline: number;
  selected: EdgeRef | null;
  /** An edge framed lightly (hovered in the list or the grid), or null. */
  highlighted?: EdgeRef | null;
}

/** The colour of `score` on the picture's scale (centred on its baseline). */
export function scoreColor(picture: Pick<CompositionPicture, "min" | "max" | "baseline">, score: number, theme: Theme) {
  const { min, max, baseline } = picture;
  return colorOf(score - baseline, min - baseline, max - baseline, theme);
}

/** Frames cell (row, column) with a `width` px line on the cell's inner edge (whole pixels). */
function frame(ctx: Canvas2D, layout: CompositionLayout, row: number, column: number, width: number): void {
  const { left, top, cell } = layout;
  ctx.lineWidth = width;
  ctx.strokeRect(left + column * cell + width / 2, top + row * cell + width / 2, cell - 1 - width, cell - 1 - width);
}

/** The axis labels: each head ("L0H3") when cells are large enough, else each layer at its first head. */
function drawLabels(ctx: Canvas2D, picture: CompositionPicture, layout: CompositionLayout, text: string): void {
  const { side, left, top, cell, headLabels } = layout;
  const { nHeads } = picture;
  ctx.fillStyle = text;
  ctx.font = "11px sans-serif";
  ctx.textBaseline = "middle";
  ctx.textAlign = "right";
  for (let row = 0; row < side; row++) {
    if (!headLabels && row % nHeads !== 0) continue;
    const head = rowHead(row, nHeads);
    const y = headLabels ? top + row * cell + cell / 2 : top + row * cell + 6;
    ctx.fillText(headLabels ? headLabel(head) : `L${head.layer}`, left - 4, y);
  }
  ctx.textAlign = "left";
  for (let column = 0; column < side; column++) {
    if (!headLabels && column % nHeads !== 0) continue;
    const head = columnHead(column, nHeads);
    ctx.save();
    ctx.translate(headLabels ? left + column * cell + cell / 2 : left + column * cell + 6, top - 4);
    ctx.rotate(-Math.PI / 2);
    ctx.fillText(headLabels ? headLabel(head) : `L${head.layer}`, 0, 0);
    ctx.restore();
  }
  // Axis titles: what the rows and columns are.
  ctx.textBaseline = "top";
  ctx.textAlign = "center";
  ctx.fillText(`later head: reads through its ${KIND_INPUT[picture.kind]} (${picture.kind})`, left + (side * cell) / 2, 1);
  ctx.save();
  ctx.translate(1, top + (side * cell) / 2);
  ctx.rotate(-Math.PI / 2);
  ctx.fillText("earlier head (writes)", 0, 0);
  ctx.restore();
}

/** The vertical colour bar: max at the top, min at the bottom, the baseline (or 0) marked where the scale crosses it. */
function drawLegend(ctx: Canvas2D, picture: CompositionPicture, layout: CompositionLayout, theme: Theme, text: string): void {
  const { legendX: x, top, legendHeight: height } = layout;
  const { min, max, baseline } = picture;
  const strips = 64;
  for (let i = 0; i < strips; i++) {
    ctx.fillStyle = cssColor(scoreColor(picture, min + ((i + 0.5) / strips) * (max - min), theme));
    const y0 = top + height - ((i + 1) * height) / strips;
    ctx.fillRect(x, Math.floor(y0), LEGEND_WIDTH, Math.ceil(height / strips) + 1);
  }
  ctx.fillStyle = text;
  ctx.font = "11px sans-serif";
  ctx.textAlign = "left";
  ctx.textBaseline = "top";
  ctx.fillText(formatValue(max), x + LEGEND_WIDTH + 7, top);
  ctx.textBaseline = "bottom";
  ctx.fillText(formatValue(min), x + LEGEND_WIDTH + 7, top + height);
  if (min < baseline && baseline < max) {
    const y = top + ((max - baseline) / (max - min)) * height;
    ctx.fillRect(x + LEGEND_WIDTH, Math.round(y), 4, 1);
    ctx.textBaseline = "middle";
    ctx.fillText(formatValue(baseline), x + LEGEND_WIDTH + 7, Math.min(top + height - 20, Math.max(top + 20, y)));
  }
}

/** Draws the picture on `ctx` at (0, 0), `layout.width` × `layout.height`, in `theme`'s colours. */
export function drawComposition(ctx: Canvas2D, picture: CompositionPicture, layout: CompositionLayout, theme: Theme): void {
  const palette = paletteOf(theme);
  const text = cssColor(palette.text);
  const { side, left, top, cell } = layout;
  const { nHeads, kind } = picture;
  ctx.fillStyle = cssColor(palette.zero);
  ctx.fillRect(0, 0, layout.width, layout.height);
  const gap = cell >= 8 ? 1 : 0;
  const values = printsValues(cell);
  for (let row = 0; row < side; row++) {
    for (let column = 0; column < side; column++) {
      const [x, y] = [left + column * cell, top + row * cell];
      if (!isEdge(row, column, nHeads)) {
        ctx.fillStyle = cssColor(palette.masked);
        ctx.fillRect(x, y, cell - gap, cell - gap);
        continue;
      }
      const score = scoreAt(picture, kind, row, column);
      const background = scoreColor(picture, score, theme);
      ctx.fillStyle = cssColor(background);
      ctx.fillRect(x, y, cell - gap, cell - gap);
      if (values) {
        ctx.fillStyle = cssColor(textColorOn(background));
        ctx.font = "10px sans-serif";
        ctx.textAlign = "center";
        ctx.textBaseline = "middle";
        ctx.fillText(formatShort(score), x + cell / 2, y + cell / 2);
      }
    }
  }
  // Lines between layers, so a block of the grid is one pair of layers.
  ctx.fillStyle = cssColor(palette.guide);
  for (let boundary = nHeads; boundary < side; boundary += nHeads) {
    ctx.fillRect(left - 2, top + boundary * cell - 1, side * cell + 2, 2);
    ctx.fillRect(left + boundary * cell - 1, top - 2, 2, side * cell + 2);
  }
  ctx.strokeStyle = text;
  const highlighted = picture.highlighted && edgeCell(picture.highlighted, picture.nLayers, nHeads);
  if (highlighted) frame(ctx, layout, highlighted.row, highlighted.column, 2);
  const selected = picture.selected && edgeCell(picture.selected, picture.nLayers, nHeads);
  if (selected) frame(ctx, layout, selected.row, selected.column, 3);
  drawLabels(ctx, picture, layout, text);
  drawLegend(ctx, picture, layout, theme, text);
}
