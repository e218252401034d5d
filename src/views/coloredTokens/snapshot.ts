/**
 * The PNG snapshot of coloured tokens: the tokens as text in rows, each on its colour with black or
 * white text (whichever reads better on it), the set's name, and a legend with ticks at min, 0 (when
 * the scale crosses it) and max.
 */
import { colorOf, cssColor, isDiverging, textColorOn } from "../../common/draw/colors";
import { rampPixels } from "../../common/draw/pattern";
import { displayToken, formatValue } from "../../common/draw/tokens";
import { Context2D, drawPixels, renderPng } from "../core/canvas";

/** What the snapshot shows. */
export interface TokensPicture {
  tokens: string[];
  values: number[];
  name: string;
  min: number;
  max: number;
}

const WIDTH = 640;
const LINE = 20;
/** Where the legend's ramp sits: x, y, width, height. */
const RAMP = { x: 200, y: 8, w: 160, h: 12 };
/** The top of the first row of tokens. */
export const TOKENS_TOP = 40;

/** The legend: the ramp from min to max, with a tick and a value under min, 0 (on a diverging scale) and max. */
function drawScale(ctx: Context2D, min: number, max: number): void {
  drawPixels(ctx, rampPixels(min, max, 128), 128, 1, RAMP.x, RAMP.y, RAMP.w, RAMP.h);
  const ticks = isDiverging(min, max) ? [min, 0, max] : [min, max];
  ctx.fillStyle = "black";
  ticks.forEach((value, i) => {
    const x = RAMP.x + ((value - min) / (max - min)) * RAMP.w;
    ctx.fillRect(Math.min(Math.round(x), RAMP.x + RAMP.w - 1), RAMP.y + RAMP.h, 1, 3);
    ctx.textAlign = i === 0 ? "left" : i === ticks.length - 1 ? "right" : "center";
    ctx.fillText(formatValue(value), x, RAMP.y + RAMP.h + 4);
  });
  ctx.textAlign = "left";
}

/** PNG bytes of the tokens, or undefined when no canvas is available. */
export function coloredTokensPng(picture: TokensPicture): Uint8Array | undefined {
  const shown = picture.tokens.map((t) => displayToken(t).slice(0, 40));
  // Lay out once to know the height (an upper bound).
  let [x, lines] = [8, 1];
  for (const text of shown) {
    const w = text.length * 8 + 6; // at most about 8 px per character at 12 px
    if (x + w > WIDTH - 8) [x, lines] = [8, lines + 1];
    x += w + 2;
  }
  return renderPng(WIDTH, TOKENS_TOP + 28 + lines * LINE, (ctx) => {
    ctx.fillStyle = "black";
    ctx.fillText(picture.name.slice(0, 24), 8, 8);
    if (picture.max > picture.min) drawScale(ctx, picture.min, picture.max);
    let [cx, cy] = [8, TOKENS_TOP];
    shown.forEach((text, i) => {
      const w = Math.ceil(ctx.measureText(text).width) + 6;
      if (cx + w > WIDTH - 8) [cx, cy] = [8, cy + LINE];
      const background = colorOf(picture.values[i], picture.min, picture.max);
      ctx.fillStyle = cssColor(background);
      ctx.fillRect(cx, cy, w, LINE - 3);
      ctx.fillStyle = cssColor(textColorOn(background));
      ctx.fillText(text, cx + 3, cy + 2);
      cx += w + 2;
    });
  });
}
