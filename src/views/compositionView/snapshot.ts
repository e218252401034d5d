/**
 * The PNG snapshot of a composition view, for places where the live view cannot run (GitHub, exported or untrusted
 * notebooks): the title, the grid exactly as the live view draws it in the light theme (draw.ts), the colour scale's
 * note under it, and the strongest edges of the shown kind listed to the right, as the live view lists them.
 */
import { renderPng } from "../core/canvas";
import { compositionLayout, CompositionPicture, drawComposition } from "./draw";
import { edgeText, strongestEdges } from "./edges";

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
  return { layout, offsetY, listX, width: listX + 190, height: offsetY + layout.height + 40 };
}

/** PNG bytes of the view, or undefined when no canvas is available. */
export function compositionPng(picture: CompositionSnapshot): Uint8Array | undefined {
  const { layout, offsetY, listX, width, height } = snapshotGeometry(picture.nLayers, picture.nHeads);
  return renderPng(width, Math.max(height, offsetY + 20 + 16 * (picture.topCount + 1)), (ctx) => {
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
    const notes = [`colour: ${picture.note}`, picture.baselineNote].filter((n) => n !== "");
    notes.forEach((note, i) => ctx.fillText(note.slice(0, 100), 8, offsetY + layout.height + 4 + 14 * i));
    ctx.font = "bold 11px sans-serif";
    ctx.fillText(`strongest ${picture.kind}-composition`, listX, offsetY + 4);
    ctx.font = "11px monospace";
    strongestEdges(picture, picture.kind, picture.topCount).forEach((edge, i) =>
      ctx.fillText(edgeText(edge, picture.kind), listX, offsetY + 22 + 16 * i),
    );
  });
}
