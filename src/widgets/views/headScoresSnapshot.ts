/**
 * The PNG snapshot of a head-score grid: one cell per (layer, head) coloured on the scale, the
 * value written in each cell when it fits, the selected cell framed, and the legend.
 */
import { colorOf, cssColor } from "../../../widgets/src/draw/colors";
import { drawLegend, renderPng } from "./canvas";

/** What the snapshot shows. */
export interface ScoresPicture {
  title: string;
  scores: number[][]; // [layer][head]
  min: number;
  max: number;
  selected: { layer: number; head: number } | null;
}

/** PNG bytes of the grid, or undefined when no canvas is available. */
export function headScoresPng(picture: ScoresPicture): Uint8Array | undefined {
  const { scores, min, max, selected } = picture;
  const layers = scores.length;
  const heads = scores[0]?.length ?? 0;
  const cell = Math.max(14, Math.min(44, Math.floor(480 / Math.max(layers, heads))));
  const [left, top] = [44, 48];
  const width = left + heads * cell + 90;
  const height = top + layers * cell + 40;
  return renderPng(width, height, (ctx) => {
    ctx.fillStyle = "black";
    ctx.fillText(picture.title, 8, 8);
    ctx.fillText("head →", left, 28);
    for (let l = 0; l < layers; l++) {
      ctx.fillStyle = "black";
      ctx.textAlign = "right";
      ctx.fillText(`L${l}`, left - 6, top + l * cell + cell / 2 - 6);
      ctx.textAlign = "left";
      for (let h = 0; h < heads; h++) {
        const value = scores[l][h];
        const rgb = colorOf(value, min, max);
        ctx.fillStyle = cssColor(rgb);
        ctx.fillRect(left + h * cell, top + l * cell, cell - 1, cell - 1);
        if (cell >= 30) {
          ctx.fillStyle = rgb[0] + rgb[1] + rgb[2] < 380 ? "white" : "black";
          ctx.font = "9px sans-serif";
          ctx.fillText(value.toFixed(2), left + h * cell + 3, top + l * cell + cell / 2 - 5);
          ctx.font = "12px sans-serif";
        }
      }
    }
    if (selected) {
      ctx.strokeStyle = "black";
      ctx.lineWidth = 3;
      ctx.strokeRect(left + selected.head * cell - 1, top + selected.layer * cell - 1, cell + 1, cell + 1);
    }
    drawLegend(ctx, min, max, left + heads * cell + 16, top, layers * cell);
  });
}
