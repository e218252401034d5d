/**
 * The PNG snapshot of a logit lens: layers down, positions across (at most MAX_POSITIONS), each
 * cell the top token as text on its probability's colour.
 */
import { colorOf, cssColor } from "../../common/draw/colors";
import { displayToken } from "../../common/draw/tokens";
import { renderPng } from "../core/canvas";

/** What the snapshot shows. */
export interface LensPicture {
  tokens: string[];
  labels: string[];
  best: string[][]; // [layer][pos]
  bestProb: number[][];
}

const MAX_POSITIONS = 24;

/** Where the grid sits: cell (layer l, position p) covers [left + p·cellWidth, top + l·cellHeight] + the cell − 1 px. */
export const LENS_GRID = { left: 80, top: 44, cellWidth: 64, cellHeight: 20 };
const { left: LEFT, top: TOP, cellWidth: CELL_W, cellHeight: CELL_H } = LENS_GRID;

/** PNG bytes of the grid, or undefined when no canvas is available. */
export function logitLensPng(picture: LensPicture): Uint8Array | undefined {
  const shown = Math.min(picture.tokens.length, MAX_POSITIONS);
  const width = LEFT + shown * CELL_W + 8;
  const height = TOP + picture.labels.length * CELL_H + 28;
  const clip = (s: string) => {
    const t = displayToken(s);
    return t.length > 8 ? `${t.slice(0, 7)}…` : t;
  };
  return renderPng(width, height, (ctx) => {
    ctx.fillStyle = "black";
    ctx.fillText("logit lens: top prediction after each layer (colour: its probability, 0 → 1)", 8, 6);
    for (let p = 0; p < shown; p++) ctx.fillText(clip(picture.tokens[p]), LEFT + p * CELL_W + 3, TOP - 16);
    picture.labels.forEach((label, l) => {
      ctx.fillStyle = "black";
      ctx.fillText(label, 8, TOP + l * CELL_H + 4);
      for (let p = 0; p < shown; p++) {
        ctx.fillStyle = cssColor(colorOf(picture.bestProb[l][p], 0, 1));
        ctx.fillRect(LEFT + p * CELL_W, TOP + l * CELL_H, CELL_W - 1, CELL_H - 1);
        ctx.fillStyle = picture.bestProb[l][p] > 0.6 ? "white" : "black";
        ctx.fillText(clip(picture.best[l][p]), LEFT + p * CELL_W + 3, TOP + l * CELL_H + 4);
      }
    });
    if (shown < picture.tokens.length) {
      ctx.fillStyle = "black";
      ctx.fillText(`(first ${shown} of ${picture.tokens.length} positions)`, 8, height - 20);
    }
  });
}
