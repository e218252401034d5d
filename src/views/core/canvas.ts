/**
 * Kernel-side drawing for PNG snapshots, on @napi-rs/canvas (Skia, the browser's Canvas 2D API).
 * Loaded on first use; without it, views simply carry no PNG.
 */
import type * as NapiCanvas from "@napi-rs/canvas";
import { isDiverging } from "../../common/draw/colors";
import { rampPixels } from "../../common/draw/pattern";
import { formatValue } from "../../common/draw/tokens";

type CanvasModule = typeof NapiCanvas;
export type Context2D = NapiCanvas.SKRSContext2D;

let loaded: CanvasModule | null | undefined;

/** The canvas module, or undefined when it cannot be loaded on this machine. */
export function canvasModule(): CanvasModule | undefined {
  if (loaded === undefined) {
    try {
      loaded = require("@napi-rs/canvas") as CanvasModule;
    } catch {
      loaded = null;
    }
  }
  return loaded ?? undefined;
}

/** Draws RGBA `pixels` (width × height) scaled to `w` × `h` at (x, y), without smoothing. */
export function drawPixels(
  ctx: Context2D,
  pixels: Uint8ClampedArray,
  width: number,
  height: number,
  x: number,
  y: number,
  w: number,
  h: number,
): void {
  const lib = canvasModule()!;
  const source = lib.createCanvas(width, height);
  const image = source.getContext("2d").createImageData(width, height);
  image.data.set(pixels);
  source.getContext("2d").putImageData(image, 0, 0);
  ctx.imageSmoothingEnabled = false;
  ctx.drawImage(source, x, y, w, h);
}

/**
 * A vertical colour legend at (x, top) of `height` px: the ramp from `min` (bottom) to `max` (top), 12 px wide, with
 * both values written beside it, and a tick marked "0" where a diverging scale crosses 0.
 */
export function drawLegend(ctx: Context2D, min: number, max: number, x: number, top: number, height: number): void {
  ctx.save();
  ctx.translate(x, top + height);
  ctx.rotate(-Math.PI / 2);
  drawPixels(ctx, rampPixels(min, max, 128), 128, 1, 0, 0, height, 12);
  ctx.restore();
  ctx.fillStyle = "black";
  ctx.fillText(formatValue(max), x + 16, top);
  ctx.fillText(formatValue(min), x + 16, top + height - 12);
  if (isDiverging(min, max)) {
    const zero = top + (max / (max - min)) * height;
    ctx.fillRect(x + 12, Math.round(zero), 4, 1);
    ctx.fillText("0", x + 16, Math.min(top + height - 26, Math.max(top + 14, zero - 6)));
  }
}

/** Renders `draw` on a new canvas of `width` × `height` (white) and returns the PNG bytes, or undefined. */
export function renderPng(width: number, height: number, draw: (ctx: Context2D) => void): Uint8Array | undefined {
  const lib = canvasModule();
  if (!lib) return undefined;
  const canvas = lib.createCanvas(width, height);
  const ctx = canvas.getContext("2d");
  ctx.fillStyle = "white";
  ctx.fillRect(0, 0, width, height);
  ctx.font = "12px sans-serif";
  ctx.textBaseline = "top";
  draw(ctx);
  return new Uint8Array(canvas.toBuffer("image/png"));
}
