/**
 * The PNG snapshot of an attention-patterns view: every head as a thumbnail (head-coloured frame
 * and name), the selected head large with its tokens on both axes, and the colour legend with
 * its min and max. Token text is drawn as text.
 */
import { headColor } from "../../common/draw/colors";
import { headPixels } from "../../common/draw/pattern";
import type { QuantisedPatterns } from "../../common/quantise";
import { displayToken } from "../../common/draw/tokens";
import { Context2D, drawLegend, drawPixels, renderPng } from "../core/canvas";

/** What the snapshot shows. */
export interface AttentionPicture {
  patterns: QuantisedPatterns;
  headNames: string[];
  queryTokens: string[];
  keyTokens: string[];
  selectedHead: number;
}

const THUMB = 64;
const ZOOM = 360;
const LABEL_WIDTH = 110;
const MAX_LABELS = 48;

/** Draws at most MAX_LABELS token labels along one axis, evenly spaced. */
function tokenLabels(ctx: Context2D, tokens: string[], at: (i: number) => [number, number], rotate: boolean): void {
  const step = Math.max(1, Math.ceil(tokens.length / MAX_LABELS));
  for (let i = 0; i < tokens.length; i += step) {
    const [x, y] = at(i);
    const text = `${displayToken(tokens[i])} (${i})`.slice(0, 18);
    ctx.save();
    ctx.translate(x, y);
    if (rotate) {
      ctx.rotate(-Math.PI / 2);
      ctx.textAlign = "right"; // the label ends at the pattern's edge
    }
    ctx.fillText(text, 0, 0);
    ctx.restore();
  }
}

/** PNG bytes of the picture, or undefined when no canvas is available. */
export function attentionPng(picture: AttentionPicture): Uint8Array | undefined {
  const { patterns: p, headNames, selectedHead } = picture;
  const perRow = Math.min(p.heads, 12);
  const thumbRows = Math.ceil(p.heads / perRow);
  const width = Math.max(perRow * (THUMB + 8) + 8, LABEL_WIDTH + ZOOM + 40);
  const zoomTop = 28 + thumbRows * (THUMB + 22) + 8;
  const height = zoomTop + ZOOM + LABEL_WIDTH + 40;
  return renderPng(width, height, (ctx) => {
    ctx.fillStyle = "black";
    ctx.fillText(`Attention patterns: ${p.heads} heads, ${p.queries} queries × ${p.keys} keys`, 8, 8);
    for (let h = 0; h < p.heads; h++) {
      const x = 8 + (h % perRow) * (THUMB + 8);
      const y = 28 + Math.floor(h / perRow) * (THUMB + 22);
      drawPixels(ctx, headPixels(p, h), p.keys, p.queries, x, y, THUMB, THUMB);
      ctx.strokeStyle = headColor(h, p.heads);
      ctx.lineWidth = h === selectedHead ? 3 : 1;
      ctx.strokeRect(x - 0.5, y - 0.5, THUMB + 1, THUMB + 1);
      ctx.fillStyle = "black";
      ctx.fillText(headNames[h], x, y + THUMB + 4);
    }
    const left = 8 + LABEL_WIDTH;
    drawPixels(ctx, headPixels(p, selectedHead), p.keys, p.queries, left, zoomTop, ZOOM, ZOOM);
    ctx.strokeStyle = headColor(selectedHead, p.heads);
    ctx.lineWidth = 2;
    ctx.strokeRect(left - 1, zoomTop - 1, ZOOM + 2, ZOOM + 2);
    ctx.fillStyle = "black";
    ctx.font = "10px sans-serif";
    ctx.textBaseline = "middle";
    const rowHeight = ZOOM / p.queries;
    tokenLabels(ctx, picture.queryTokens, (i) => [8, zoomTop + (i + 0.5) * rowHeight], false);
    const colWidth = ZOOM / p.keys;
    tokenLabels(ctx, picture.keyTokens, (i) => [left + (i + 0.5) * colWidth, zoomTop + ZOOM + 4], true);
    ctx.font = "12px sans-serif";
    ctx.textBaseline = "top";
    ctx.fillText(`${headNames[selectedHead]}: destination (query) ↓, source (key) →`, left, zoomTop + ZOOM + LABEL_WIDTH + 8);
    drawLegend(ctx, p.min, p.max, left + ZOOM + 12, zoomTop, ZOOM);
  });
}
