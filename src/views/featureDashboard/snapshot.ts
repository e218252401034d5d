/**
 * The PNG snapshot of a feature dashboard, top to bottom: a title (the feature, the SAE) and its firing density;
 * the top-activating examples, one row each (the activation, then the window of tokens with the firing token on
 * its activation's colour, black or white text by contrast); the promoted and suppressed tokens side by side, each
 * with its value and a bar (blue up, red down); and the activation histogram with its range and the largest count.
 */
import { colorOf, cssColor, paletteOf, textColorOn } from "../../common/draw/colors";
import { displayToken, formatValue } from "../../common/draw/tokens";
import { Context2D, renderPng } from "../core/canvas";

/** What the snapshot shows. */
export interface DashboardPicture {
  feature: number;
  saeName: string;
  notes: string[];
  examples: { tokens: string[]; index: number; act: number }[];
  top: { token: string; value: number }[];
  bottom: { token: string; value: number }[];
  edges: number[];
  counts: number[];
  nonZero: number;
  tokensSeen: number;
  density: number;
}

const WIDTH = 640;
const ROW = 20;
/** Where the examples' tokens start (the activation is written left of it). */
export const EXAMPLE_TOKENS_X = 72;
/** Height of the histogram's bars area. */
const HIST_HEIGHT = 80;

/** `text` cut to `room` characters (an ellipsis marks the cut). */
function clip(text: string, room: number): string {
  return text.length > room ? `${text.slice(0, room - 1)}…` : text;
}

/** The density line: "fires on 37 of 1200 tokens (density 0.031)". */
export function densityLine(picture: Pick<DashboardPicture, "nonZero" | "tokensSeen" | "density">): string {
  return `fires on ${picture.nonZero} of ${picture.tokensSeen} tokens (density ${formatValue(picture.density)})`;
}

/** One example row at y: its activation, then its tokens, the firing one on its colour; returns nothing. */
function drawExample(ctx: Context2D, example: DashboardPicture["examples"][number], top: number, y: number): void {
  ctx.fillStyle = "black";
  ctx.fillText(formatValue(example.act), 8, y + 3);
  let x = EXAMPLE_TOKENS_X;
  example.tokens.forEach((token, i) => {
    const text = clip(displayToken(token), 16);
    const w = Math.ceil(ctx.measureText(text).width) + 6;
    if (x + w > WIDTH - 8) return;
    if (i === example.index) {
      const background = colorOf(example.act, 0, top);
      ctx.fillStyle = cssColor(background);
      ctx.fillRect(x, y, w, ROW - 3);
      ctx.fillStyle = cssColor(textColorOn(background));
    } else ctx.fillStyle = "black";
    ctx.fillText(text, x + 3, y + 3);
    x += w + 1;
  });
}

/** A column of tokens with their values and bars (length |value| / reach of 120 px) from (x, y). */
function drawLogits(ctx: Context2D, title: string, list: DashboardPicture["top"], reach: number, x: number, y: number): void {
  const { positive, negative } = paletteOf("light");
  ctx.fillStyle = "black";
  ctx.fillText(title, x, y);
  list.forEach(({ token, value }, i) => {
    const rowY = y + 18 + i * 18;
    ctx.fillStyle = cssColor(value >= 0 ? positive : negative);
    ctx.fillRect(x + 170, rowY + 2, Math.max(1, Math.round((Math.abs(value) / reach) * 120)), 11);
    ctx.fillStyle = "black";
    ctx.fillText(clip(displayToken(token), 16), x, rowY);
    ctx.fillText(formatValue(value), x + 116, rowY);
  });
}

/** The histogram's bars in a box from (left, y) to the right edge, with its range under it and the top count. */
function drawHistogram(ctx: Context2D, picture: DashboardPicture, y: number): void {
  const left = 56;
  const width = WIDTH - left - 16;
  const most = Math.max(1, ...picture.counts);
  const bar = width / picture.counts.length;
  ctx.fillStyle = cssColor(paletteOf("light").positive);
  picture.counts.forEach((count, i) => {
    const h = Math.round((count / most) * HIST_HEIGHT);
    if (count > 0)
      ctx.fillRect(
        Math.round(left + i * bar),
        y + HIST_HEIGHT - Math.max(h, 1),
        Math.max(1, Math.floor(bar) - 1),
        Math.max(h, 1),
      );
  });
  ctx.fillStyle = "black";
  ctx.fillRect(left, y + HIST_HEIGHT, width, 1);
  ctx.fillText(String(most), 8, y);
  ctx.fillText("0", 8, y + HIST_HEIGHT - 12);
  ctx.fillText(formatValue(picture.edges[0] ?? 0), left, y + HIST_HEIGHT + 4);
  ctx.textAlign = "right";
  ctx.fillText(formatValue(picture.edges[picture.edges.length - 1] ?? 0), left + width, y + HIST_HEIGHT + 4);
  ctx.textAlign = "left";
}

/** PNG bytes of the dashboard, or undefined when no canvas is available. */
export function featureDashboardPng(picture: DashboardPicture): Uint8Array | undefined {
  const logitRows = Math.max(picture.top.length, picture.bottom.length);
  const hasHistogram = picture.nonZero > 0;
  const height =
    52 +
    picture.notes.length * 16 +
    (picture.examples.length > 0 ? 22 + picture.examples.length * ROW + 10 : 0) +
    (logitRows > 0 ? 22 + logitRows * 18 + 10 : 0) +
    (hasHistogram ? 20 + HIST_HEIGHT + 28 : 0);
  return renderPng(WIDTH, height, (ctx) => {
    ctx.fillStyle = "black";
    ctx.font = "bold 12px sans-serif";
    ctx.fillText(clip(`feature ${picture.feature} · ${picture.saeName}`, 96), 8, 8);
    ctx.font = "12px sans-serif";
    if (picture.tokensSeen > 0) ctx.fillText(densityLine(picture), 8, 26);
    let y = 44;
    for (const note of picture.notes) {
      ctx.fillText(clip(note, 100), 8, y);
      y += 16;
    }
    y += 8;
    if (picture.examples.length > 0) {
      ctx.fillText("top activations (activation, then the context; the firing token coloured)", 8, y);
      y += 22;
      const top = Math.max(...picture.examples.map((e) => e.act));
      for (const example of picture.examples) {
        drawExample(ctx, example, top, y);
        y += ROW;
      }
      y += 10;
    }
    if (logitRows > 0) {
      const reach = Math.max(1e-12, ...[...picture.top, ...picture.bottom].map((l) => Math.abs(l.value)));
      drawLogits(ctx, "promotes (W_dec · W_U, highest)", picture.top, reach, 8, y);
      drawLogits(ctx, "suppresses (lowest)", picture.bottom, reach, 328, y);
      y += 22 + logitRows * 18 + 10;
    }
    if (hasHistogram) {
      ctx.fillStyle = "black";
      ctx.fillText("activation histogram (non-zero activations; count per bin)", 8, y);
      drawHistogram(ctx, picture, y + 20);
    }
  });
}
