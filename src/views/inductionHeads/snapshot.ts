/**
 * The PNG snapshot of the induction dashboard: the snapshots of its parts (the induction grid, the
 * patterns) one above the other.
 */
import { canvasModule, renderPng } from "../core/canvas";

/** PNG bytes of `parts` stacked top to bottom (missing parts left out), or undefined when there is nothing to draw. */
export function stackedPng(parts: (Uint8Array | undefined)[]): Uint8Array | undefined {
  const lib = canvasModule();
  const pngs = parts.filter((p): p is Uint8Array => p !== undefined);
  if (!lib || pngs.length === 0) return undefined;
  const images = pngs.map((png) => {
    const image = new lib.Image();
    image.src = Buffer.from(png);
    return image;
  });
  const width = Math.max(...images.map((i) => i.width));
  const height = images.reduce((h, i) => h + i.height, 0);
  return renderPng(width, height, (ctx) => {
    let y = 0;
    for (const image of images) {
      ctx.drawImage(image, 0, y);
      y += image.height;
    }
  });
}
