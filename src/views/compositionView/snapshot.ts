/**
 * The PNG snapshot of a composition view, for places where the live view cannot run (GitHub, exported or untrusted
 * notebooks): the title, the grid exactly as the live view draws it in the light theme (draw.ts), the colour scale's
 * note under it, and the strongest edges of the shown kind listed to the right, as the live view lists them.
 */
import { renderPng } from "../core/canvas";
import { compositionLayout, CompositionPicture, drawComposition } from "../../common/draw/composition";
import { edgeText, strongestEdges } from "../../common/draw/compositionEdges";

/** What the snapshot shows besides the grid. */
export interface CompositionSnapshot extends CompositionPicture {
  title: string;
  /** The scale's note ("autoscaled: max 0.239"), and the baseline's ("" without one). */
  note: string;
  baselineNote: string;
  topCount: number;
}

/** Where the grid sits in the snapshot: the layout of draw.ts, moved down by `offsetY` (the title's band). */
export function snapshotGeometry(nLayers: number, nHeads: number) {
  const layout = compositionLayout(nLayers, nHeads);
  const offsetY = 24;
  const listX = layout.width + 8;
  return { layout, offsetY, listX, width: listX + 190, height: offsetY + layout.height + 12 };
}

/** `text` broken at spaces into lines of at most `chars` characters (a longer word stays whole). */
export function wrapText(text: string, chars: number): string[] {
  const lines: string[] = [];
  for (const word of text.split(" ")) {
    const last = lines.length - 1;
    if (last >= 0 && lines[last].length + 1 + word.length <= chars) lines[last] += ` ${word}`;
    else lines.push(word);
  }
  return lines;
}

/** PNG bytes of the view, or undefined when no canvas is available. */
export function compositionPng(picture: CompositionSnapshot): Uint8Array | undefined {
  const { layout, offsetY, listX, width, height } = snapshotGeometry(picture.nLayers, picture.nHeads);
  // The notes under the grid, wrapped to the picture's width (about 6 px a character at 11 px).
  const notes = [`colour: ${picture.note}`, picture.baselineNote]
    .filter((n) => n !== "")
    .flatMap((n) => wrapText(n, Math.floor((width - 16) / 6)));
  const notesTop = offsetY + layout.height + 4;
  const listBottom = offsetY + 30 + 16 * picture.topCount;
  return renderPng(width, Math.max(height, notesTop + 14 * notes.length + 8, listBottom), (ctx) => {
    ctx.fillStyle = "black";
    ctx.font = "bold 13px sans-serif";
    ctx.fillText(picture.title.slice(0, 90), 8, 6);
    ctx.save();
    ctx.translate(0, offsetY);
    drawComposition(ctx, picture, layout, "light");
    ctx.restore();
    ctx.fillStyle = "black";
    ctx.font = "11px sans-serif";
    ctx.textAlign = "left";
    ctx.textBaseline = "top";
    notes.forEach((line, i) => ctx.fillText(line, 8, notesTop + 14 * i));
    ctx.font = "bold 11px sans-serif";
    ctx.fillText(`strongest ${picture.kind}-composition`, listX, offsetY + 4);
    ctx.font = "11px monospace";
    strongestEdges(picture, picture.kind, picture.topCount).forEach((edge, i) =>
      ctx.fillText(edgeText(edge, picture.kind), listX, offsetY + 22 + 16 * i),
    );
  });
}
