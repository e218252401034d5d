/**
 * Reading PNG snapshots back in tests: decode with @napi-rs/canvas and look at pixels.
 */
import { createCanvas, loadImage } from "@napi-rs/canvas";

/** A decoded image: RGBA bytes, row by row. */
export interface Pixels {
  width: number;
  height: number;
  data: Uint8ClampedArray;
}

/** An RGB colour, 0–255 per channel. */
export type Rgb = [number, number, number];

/** Decodes PNG bytes (or their base64 text). */
export async function decodePng(png: Uint8Array | string): Promise<Pixels> {
  const image = await loadImage(typeof png === "string" ? Buffer.from(png, "base64") : Buffer.from(png));
  const canvas = createCanvas(image.width, image.height);
  const ctx = canvas.getContext("2d");
  ctx.drawImage(image, 0, 0);
  return { width: image.width, height: image.height, data: ctx.getImageData(0, 0, image.width, image.height).data };
}

/** The colour at (x, y). */
export function pixelAt(image: Pixels, x: number, y: number): Rgb {
  const i = (Math.round(y) * image.width + Math.round(x)) * 4;
  return [image.data[i], image.data[i + 1], image.data[i + 2]];
}

/** How far a colour is from white (sum over channels of 255 − value): 0 for white, 765 for black. */
export function inkOf([r, g, b]: Rgb): number {
  return 765 - r - g - b;
}

/** Mean y of the pixels matching `test` (NaN when none do). */
export function meanRow(image: Pixels, test: (rgb: Rgb) => boolean): number {
  let [sum, count] = [0, 0];
  for (let y = 0; y < image.height; y++)
    for (let x = 0; x < image.width; x++)
      if (test(pixelAt(image, x, y))) {
        sum += y;
        count++;
      }
  return sum / count;
}

/** A piece of text drawn on a canvas, at its anchor in canvas pixels (after any rotation or translation). */
export interface DrawnText {
  text: string;
  x: number;
  y: number;
}

/** Runs `draw` and returns every text it drew on any @napi-rs/canvas context, in order. */
export function recordText<T>(draw: () => T): { result: T; texts: DrawnText[] } {
  const proto = Object.getPrototypeOf(createCanvas(1, 1).getContext("2d")) as {
    fillText(text: string, x: number, y: number): void;
    getTransform(): { a: number; b: number; c: number; d: number; e: number; f: number };
  };
  const original = proto.fillText;
  const texts: DrawnText[] = [];
  proto.fillText = function (text: string, x: number, y: number) {
    const m = this.getTransform();
    texts.push({ text, x: m.a * x + m.c * y + m.e, y: m.b * x + m.d * y + m.f });
    return original.call(this, text, x, y);
  };
  try {
    return { result: draw(), texts };
  } finally {
    proto.fillText = original;
  }
}
