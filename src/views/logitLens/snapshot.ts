/**
 * The PNG snapshot of a logit lens: layers down, positions across (at most MAX_POSITIONS), each cell the top token
 * as text (black or white by textColorOn) on its probability's colour, a last row with the actual next token, and a
 * mark (✓ and a bar along the cell's bottom) where a layer's top prediction is that token.
 */
import { colorOf, cssColor, textColorOn } from "../../common/draw/colors";
import { displayToken } from "../../common/draw/tokens";
import { renderPng } from "../core/canvas";

/** What the snapshot shows. */
export interface LensPicture {
  tokens: string[];
  labels: string[];
  best: string[][]; // [layer][pos]
  bestProb: number[][];
  /** The token after each position [pos] ("" after the last). */
  nextTokens?: string[];
  /** Where that token ranks in each layer's top k [layer][pos] (0: the top prediction). */
  nextRank?: number[][];
}

const MAX_POSITIONS = 24;

/** Where the grid sits: cell (layer l, position p) covers [left + p·cellWidth, top + l·cellHeight] + the cell − 1 px. */
export const LENS_GRID = { left: 80, top: 44, cellWidth: 64, cellHeight: 20 };
const { left: LEFT, top: TOP, cellWidth: CELL_W, cellHeight: CELL_H } = LENS_GRID;

/** Height of the bar that marks a correct top prediction, along the bottom of its cell. */
export const HIT_BAR = 3;

/** PNG bytes of the grid, or undefined when no canvas is available. */
export function logitLensPng(picture: LensPicture): Uint8Array | undefined {
  const shown = Math.min(picture.tokens.length, MAX_POSITIONS);
  const rows = picture.labels.length;
  const width = LEFT + shown * CELL_W + 8;
  const height = TOP + (rows + 1) * CELL_H + 32;
  const clip = (s: string, room = 8) => {
    const t = displayToken(s);
    return t.length > room ? `${t.slice(0, room - 1)}…` : t;
  };
  return renderPng(width, height, (ctx) => {
    ctx.fillStyle = "black";
    ctx.fillText("logit lens: top prediction after each layer (colour: its probability, 0 → 1; ✓ = the next token)", 8, 6);
    for (let p = 0; p < shown; p++) ctx.fillText(clip(picture.tokens[p]), LEFT + p * CELL_W + 3, TOP - 16);
    picture.labels.forEach((label, l) => {
      ctx.fillStyle = "black";
      ctx.fillText(label, 8, TOP + l * CELL_H + 4);
      for (let p = 0; p < shown; p++) {
        const background = colorOf(picture.bestProb[l][p], 0, 1);
        const [x, y] = [LEFT + p * CELL_W, TOP + l * CELL_H];
        ctx.fillStyle = cssColor(background);
        ctx.fillRect(x, y, CELL_W - 1, CELL_H - 1);
        ctx.fillStyle = cssColor(textColorOn(background));
        const hit = picture.nextRank?.[l]?.[p] === 0;
        ctx.fillText(hit ? `✓${clip(picture.best[l][p], 7)}` : clip(picture.best[l][p]), x + 3, y + 4);
        if (hit) ctx.fillRect(x, y + CELL_H - 1 - HIT_BAR, CELL_W - 1, HIT_BAR);
      }
    });
    if (picture.nextTokens) {
      const y = TOP + rows * CELL_H;
      ctx.fillStyle = "black";
      ctx.fillText("next token", 8, y + 4);
      for (let p = 0; p < shown; p++) ctx.fillText(clip(picture.nextTokens[p] || "—"), LEFT + p * CELL_W + 3, y + 4);
    }
    if (shown < picture.tokens.length) {
      ctx.fillStyle = "black";
      ctx.fillText(`(first ${shown} of ${picture.tokens.length} positions)`, 8, height - 20);
    }
  });
}
