/**
 * The PNG snapshot of a head-score grid, laid out like the live view: layer 0 at the top, heads
 * along the bottom, one cell per (layer, head) on the same colour scale (colorOf, centred on 0),
 * the value written in each cell when it fits (in black or white by the cell's colour, as the live view), the
 * selected cell framed, and the legend titled with the scale's note ("fixed 0 … 1", "autoscaled: max 0.08").
 */
import { cssColor } from "../../common/draw/colors";
import { gridCell, gridCellSize, printsValues } from "../../common/draw/grid";
import { drawLegend, renderPng } from "../core/canvas";

/** What the snapshot shows. */
export interface ScoresPicture {
  title: string;
  scores: number[][]; // [layer][head]
  min: number;
  max: number;
  /** The colour bar's title. */
  note?: string;
  selected: { layer: number; head: number } | null;
}

/** Where the grid sits in the snapshot: cell (layer l, head h) covers [left + h·cell, top + l·cell] + cell − 1 px. */
export interface ScoresGrid {
  left: number;
  top: number;
  cell: number;
  width: number;
  height: number;
}

/** The geometry of the snapshot of a `layers` × `heads` grid. */
export function scoresGrid(layers: number, heads: number): ScoresGrid {
  const cell = gridCellSize(layers, heads);
  const [left, top] = [58, 32];
  return { left, top, cell, width: Math.max(left + heads * cell + 90, 300), height: top + layers * cell + 62 };
}

/** Every `step`-th index of `count`, so labels of `size` px stay apart at `cell` px each. */
function labelStep(cell: number, size: number): number {
  return Math.max(1, Math.ceil(size / cell));
}

/** PNG bytes of the grid, or undefined when no canvas is available. */
export function headScoresPng(picture: ScoresPicture): Uint8Array | undefined {
  const { scores, min, max, selected } = picture;
  const layers = scores.length;
  const heads = scores[0]?.length ?? 0;
  const { left, top, cell, width, height } = scoresGrid(layers, heads);
  return renderPng(width, height, (ctx) => {
    ctx.fillStyle = "black";
    ctx.fillText(picture.title.slice(0, 80), 8, 8);
    for (let l = 0; l < layers; l++) {
      for (let h = 0; h < heads; h++) {
        const { background, text, label } = gridCell(scores[l][h], min, max);
        ctx.fillStyle = cssColor(background);
        ctx.fillRect(left + h * cell, top + l * cell, cell - 1, cell - 1);
        if (printsValues(cell)) {
          ctx.fillStyle = cssColor(text);
          ctx.font = "10px sans-serif";
          ctx.textAlign = "center";
          ctx.fillText(label, left + h * cell + cell / 2, top + l * cell + cell / 2 - 6);
          ctx.textAlign = "left";
          ctx.font = "12px sans-serif";
        }
      }
    }
    // Axes as the live view labels them: layer numbers on the left, head numbers below, both titled.
    ctx.fillStyle = "black";
    ctx.textAlign = "right";
    for (let l = 0; l < layers; l += labelStep(cell, 14)) ctx.fillText(String(l), left - 6, top + l * cell + cell / 2 - 6);
    ctx.textAlign = "center";
    for (let h = 0; h < heads; h += labelStep(cell, 22))
      ctx.fillText(String(h), left + h * cell + cell / 2, top + layers * cell + 4);
    ctx.fillText("head", left + (heads * cell) / 2, top + layers * cell + 22);
    ctx.save();
    ctx.translate(12, top + (layers * cell) / 2);
    ctx.rotate(-Math.PI / 2);
    ctx.fillText("layer", 0, 0);
    ctx.restore();
    ctx.textAlign = "left";
    if (selected) {
      ctx.strokeStyle = "black";
      ctx.lineWidth = 3;
      ctx.strokeRect(left + selected.head * cell - 1, top + selected.layer * cell - 1, cell + 1, cell + 1);
    }
    drawLegend(ctx, min, max, left + heads * cell + 16, top, layers * cell);
    if (picture.note) {
      ctx.fillStyle = "black";
      ctx.fillText(`colour: ${picture.note}`.slice(0, 60), 8, top + layers * cell + 40);
    }
  });
}
