/**
 * The PNG snapshot of coloured tokens: the tokens as text in rows, each on its colour, the set's
 * name, and a legend with min and max.
 */
import { colorOf, cssColor } from "../../common/draw/colors";
import { rampPixels } from "../../common/draw/pattern";
import { displayToken, formatValue } from "../../common/draw/tokens";
import { drawPixels, renderPng } from "../core/canvas";

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
  return renderPng(WIDTH, 60 + lines * LINE, (ctx) => {
    ctx.fillStyle = "black";
    ctx.fillText(picture.name, 8, 8);
    drawPixels(ctx, rampPixels(picture.min, picture.max, 128), 128, 1, 200, 8, 160, 12);
    ctx.fillText(formatValue(picture.min), 150, 8);
    ctx.fillText(formatValue(picture.max), 366, 8);
    let [cx, cy] = [8, 32];
    shown.forEach((text, i) => {
      const w = Math.ceil(ctx.measureText(text).width) + 6;
      if (cx + w > WIDTH - 8) [cx, cy] = [8, cy + LINE];
      ctx.fillStyle = cssColor(colorOf(picture.values[i], picture.min, picture.max));
      ctx.fillRect(cx, cy, w, LINE - 3);
      ctx.fillStyle = "black";
      ctx.fillText(text, cx + 3, cy + 2);
      cx += w + 2;
    });
  });
}
