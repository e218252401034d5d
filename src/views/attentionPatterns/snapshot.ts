/**
 * The PNG snapshot of an attention-patterns view (light theme), read as the live view reads: a grid of
 * thumbnails with one row per layer ("L0", "L1" … on the left), a column per head ("H0" … on top) and the
 * notable score badges under each thumbnail; the selected head large, titled "selected L0H1", with thinned
 * token labels on both axes, the axis titles, faint guides on the diagonal and the offset −1 diagonal, and
 * the legend 0 … max. Token text is drawn as text.
 */
import {
  BADGE_KINDS,
  badgeText,
  headRows,
  layerOfName,
  NOTABLE_SCORE,
  notableBadges,
  thinnedLabels,
} from "../../common/draw/axes";
import type { BadgeScores, HeadRow } from "../../common/draw/axes";
import { cssColor, paletteOf } from "../../common/draw/colors";
import { imagePixels, poolHead } from "../../common/draw/patternImage";
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
  /** Layer of each head (null or missing: read from a name like "L1H0", else one unlabelled row). */
  headLayers?: (number | null)[];
  /** Score badges of each head (missing: none drawn). */
  headBadges?: BadgeScores[];
  /** A repeated sequence to mark: where its second copy starts (key position) and each copy's length. */
  repeat?: { start: number; length: number } | null;
}

/** Where the snapshot draws each part (CSS px of the PNG). */
export interface AttentionLayout {
  width: number;
  height: number;
  rows: HeadRow[];
  /** Top-left corner of head h's thumbnail, and the thumbnail's side. */
  thumbAt: (h: number) => [number, number];
  thumb: number;
  /** Left edge of the row labels' column, and of the grid's first column. */
  gridLeft: number;
  /** Top-left corner of the large pattern, and its side. */
  zoomLeft: number;
  zoomTop: number;
  zoom: number;
}

const THUMB = 56;
const GAP = 8;
const ROW_LABEL = 34;
const BADGE_LINE = 14;
const ZOOM = 360;
const LABEL_LEFT = 118;
const LABEL_BOTTOM = 96;
const LABEL_GAP = 12;
const POOL = 360;

/** The grid's rows (by layer) of a picture. */
function rowsOf(picture: Pick<AttentionPicture, "headNames" | "headLayers">): HeadRow[] {
  return headRows(picture.headNames.map((name, h) => picture.headLayers?.[h] ?? layerOfName(name)));
}

/** Where the parts of a picture with these heads go. */
export function attentionLayout(picture: Pick<AttentionPicture, "headNames" | "headLayers">): AttentionLayout {
  const rows = rowsOf(picture);
  const columns = Math.max(...rows.map((r) => r.heads.length));
  const gridLeft = 8 + ROW_LABEL;
  const gridTop = 28 + 16; // title line, then column labels
  const rowHeight = THUMB + BADGE_LINE + GAP;
  const place = new Map<number, [number, number]>();
  rows.forEach((row, r) => row.heads.forEach((h, c) => place.set(h, [gridLeft + c * (THUMB + GAP), gridTop + r * rowHeight])));
  const zoomTop = gridTop + rows.length * rowHeight + 16 + 24; // badge legend, then the title
  const width = Math.max(gridLeft + columns * (THUMB + GAP) + 8, 8 + LABEL_LEFT + ZOOM + 80);
  return {
    width,
    height: zoomTop + ZOOM + LABEL_BOTTOM + 24,
    rows,
    thumbAt: (h) => place.get(h) ?? [0, 0],
    thumb: THUMB,
    gridLeft,
    zoomLeft: 8 + LABEL_LEFT,
    zoomTop,
    zoom: ZOOM,
  };
}

/** "·cat 20": an axis label, the token cut to 12 characters. */
function axisLabel(tokens: string[], index: number): string {
  const text = displayToken(tokens[index] ?? "");
  return `${text.length > 12 ? `${text.slice(0, 11)}…` : text} ${index}`;
}

/** Head h pooled to at most `size` cells a side (max-pooling keeps thin diagonals), as RGBA, with its size. */
function pooled(p: QuantisedPatterns, h: number, size: number): { pixels: Uint8ClampedArray; rows: number; cols: number } {
  const image = poolHead(p.bytes, h, p, Math.min(p.queries, size), Math.min(p.keys, size));
  return { pixels: imagePixels(image, p.min, p.max, "light"), rows: image.rows, cols: image.cols };
}

/** The grid of thumbnails with row and column labels, badges and the badges' legend. */
function drawGrid(ctx: Context2D, picture: AttentionPicture, layout: AttentionLayout): void {
  const { patterns: p, headNames, selectedHead } = picture;
  const palette = paletteOf("light");
  ctx.fillStyle = cssColor(palette.text);
  ctx.textBaseline = "middle";
  const widest = layout.rows.reduce((a, b) => (b.heads.length > a.heads.length ? b : a), layout.rows[0]);
  widest.heads.forEach((h, c) => {
    const [x, y] = layout.thumbAt(h);
    ctx.fillText(/H(\d+)$/.exec(headNames[h])?.[0] ?? String(c), x + 2, y - 8);
  });
  ctx.font = "bold 12px sans-serif";
  for (const row of layout.rows) {
    const [, y] = layout.thumbAt(row.heads[0]);
    ctx.fillText(row.label, 8, y + layout.thumb / 2);
  }
  ctx.font = "10px sans-serif";
  for (let h = 0; h < p.heads; h++) {
    const [x, y] = layout.thumbAt(h);
    const { pixels, rows, cols } = pooled(p, h, 64);
    drawPixels(ctx, pixels, cols, rows, x, y, layout.thumb, layout.thumb);
    ctx.strokeStyle = h === selectedHead ? "rgb(25, 118, 210)" : cssColor(palette.guide);
    ctx.lineWidth = h === selectedHead ? 3 : 1;
    const pad = h === selectedHead ? 1.5 : 0.5; // the frame lies just outside the thumbnail
    ctx.strokeRect(x - pad, y - pad, layout.thumb + 2 * pad, layout.thumb + 2 * pad);
    const badges = picture.headBadges?.[h];
    ctx.fillStyle = cssColor(palette.text);
    if (badges) ctx.fillText(notableBadges(badges).map(badgeText).join(" "), x, y + layout.thumb + 9);
  }
  if (picture.headBadges) {
    const [, lastY] = layout.thumbAt(layout.rows[layout.rows.length - 1].heads[0]);
    const kinds = BADGE_KINDS.map(({ code, name }) => `${code} ${name}`).join(" · ");
    ctx.fillText(`Badges: ${kinds} — mean weight, shown when ≥ ${NOTABLE_SCORE}`, 8, lastY + layout.thumb + BADGE_LINE + 14);
  }
}

/** The selected head large: title, pattern, guides, thinned token labels, axis titles. */
function drawSelected(ctx: Context2D, picture: AttentionPicture, layout: AttentionLayout): void {
  const { patterns: p, headNames, selectedHead } = picture;
  const { zoomLeft: left, zoomTop: top, zoom } = layout;
  const palette = paletteOf("light");
  ctx.fillStyle = cssColor(palette.text);
  ctx.font = "bold 13px sans-serif";
  ctx.textBaseline = "bottom";
  ctx.fillText(`selected ${headNames[selectedHead]}`, left, top - 6);
  const { pixels, rows, cols } = pooled(p, selectedHead, POOL);
  drawPixels(ctx, pixels, cols, rows, left, top, zoom, zoom);
  ctx.strokeStyle = cssColor(palette.guide);
  ctx.lineWidth = 1;
  ctx.strokeRect(left - 0.5, top - 0.5, zoom + 1, zoom + 1);
  const offset = p.keys - p.queries;
  const [cellW, cellH] = [zoom / p.keys, zoom / p.queries];
  ctx.save();
  ctx.beginPath();
  ctx.rect(left, top, zoom, zoom);
  ctx.clip();
  ctx.setLineDash([3, 3]);
  ctx.globalAlpha = 0.5;
  for (const shift of [0, -1]) {
    ctx.beginPath();
    ctx.moveTo(left + (offset + shift + 0.5) * cellW, top + 0.5 * cellH);
    ctx.lineTo(left + (p.queries - 1 + offset + shift + 0.5) * cellW, top + (p.queries - 0.5) * cellH);
    ctx.stroke();
  }
  if (picture.repeat) drawRepeat(ctx, picture.repeat, { left, top, cellW, cellH, offset, queries: p.queries, zoom });
  ctx.restore();
  ctx.fillStyle = cssColor(palette.text);
  ctx.font = "10px sans-serif";
  ctx.textBaseline = "middle";
  ctx.textAlign = "right";
  for (const i of thinnedLabels(p.queries, zoom, LABEL_GAP))
    ctx.fillText(axisLabel(picture.queryTokens, i), left - 4, top + (i + 0.5) * cellH, LABEL_LEFT - 22);
  for (const i of thinnedLabels(p.keys, zoom, LABEL_GAP)) {
    ctx.save();
    ctx.translate(left + (i + 0.5) * cellW, top + zoom + 4);
    ctx.rotate(-Math.PI / 2);
    ctx.fillText(axisLabel(picture.keyTokens, i), 0, 0, LABEL_BOTTOM - 20);
    ctx.restore();
  }
  ctx.textAlign = "left";
  ctx.font = "11px sans-serif";
  ctx.fillStyle = "rgb(85, 85, 85)";
  ctx.fillText("source (key)", left + zoom - 70, top + zoom + LABEL_BOTTOM + 4);
  ctx.save();
  ctx.translate(14, top + zoom / 2 + 50);
  ctx.rotate(-Math.PI / 2);
  ctx.fillText("destination (query)", 0, 0);
  ctx.restore();
  ctx.textBaseline = "top";
  ctx.fillStyle = "black";
  drawLegend(ctx, p.min, p.max, left + zoom + 12, top, zoom);
}

/**
 * A repeated sequence on the large pattern: solid lines where the second copy starts (its query row and key column),
 * the induction diagonal (query t → key t − length + 1, from the second copy on) dashed in the scale's red.
 */
function drawRepeat(
  ctx: Context2D,
  repeat: { start: number; length: number },
  at: { left: number; top: number; cellW: number; cellH: number; offset: number; queries: number; zoom: number },
): void {
  const { left, top, cellW, cellH, offset, queries, zoom } = at;
  const palette = paletteOf("light");
  const row = repeat.start - offset; // query index of the second copy's first token
  ctx.save();
  ctx.globalAlpha = 0.9;
  ctx.setLineDash([]);
  ctx.strokeStyle = cssColor(palette.guide);
  ctx.beginPath();
  ctx.moveTo(left, top + row * cellH);
  ctx.lineTo(left + zoom, top + row * cellH);
  ctx.moveTo(left + repeat.start * cellW, top);
  ctx.lineTo(left + repeat.start * cellW, top + zoom);
  ctx.stroke();
  ctx.setLineDash([2, 4]);
  ctx.lineWidth = 2;
  ctx.strokeStyle = cssColor(palette.negative);
  const shift = offset - repeat.length + 1; // key of query q: q + shift
  ctx.beginPath();
  ctx.moveTo(left + (Math.max(row, 0) + shift + 0.5) * cellW, top + (Math.max(row, 0) + 0.5) * cellH);
  ctx.lineTo(left + (queries - 1 + shift + 0.5) * cellW, top + (queries - 0.5) * cellH);
  ctx.stroke();
  ctx.restore();
}

/** PNG bytes of the picture, or undefined when no canvas is available. */
export function attentionPng(picture: AttentionPicture): Uint8Array | undefined {
  const p = picture.patterns;
  const layout = attentionLayout(picture);
  return renderPng(layout.width, layout.height, (ctx) => {
    ctx.fillStyle = cssColor(paletteOf("light").text);
    ctx.fillText(`Attention patterns: ${p.heads} heads, ${p.queries} queries × ${p.keys} keys`, 8, 8);
    drawGrid(ctx, picture, layout);
    drawSelected(ctx, picture, layout);
  });
}
