/**
 * The plot snapshot's drawing primitives: heatmap cells, grouped bars and lines/markers in data coordinates, a colour
 * bar and a legend.
 */
import { MASKED } from "../../common/draw/colors";
import type { Context2D } from "../core/canvas";
import { ColourScale, linearTicks, tickLabels } from "./snapshotScales";

/** A trace in data coordinates (categories already turned into their index). */
export interface Series {
  kind: "line" | "bar" | "heatmap";
  name: string;
  colour: string;
  xs: number[];
  ys: number[];
  markers: boolean;
  z?: number[][]; // heatmap: [row][column]
  scale?: ColourScale;
  barColours?: string[];
  horizontal?: boolean; // a bar trace with orientation "h"
}

export const shorten = (label: string): string => (label.length > 14 ? `${label.slice(0, 13)}…` : label);

/** A straight line from (x0, y0) to (x1, y1). */
export function line(ctx: Context2D, x0: number, y0: number, x1: number, y1: number): void {
  ctx.beginPath();
  ctx.moveTo(x0, y0);
  ctx.lineTo(x1, y1);
  ctx.stroke();
}

/** The data width of one bar position: the smallest gap between positions of any bar trace (1 when none). */
export function barSlot(series: Series[]): number {
  let slot = Infinity;
  for (const s of series.filter((t) => t.kind === "bar")) {
    const at = [...new Set((s.horizontal ? s.ys : s.xs).filter(Number.isFinite))].sort((a, b) => a - b);
    for (let i = 1; i < at.length; i++) slot = Math.min(slot, at[i] - at[i - 1]);
  }
  return Number.isFinite(slot) ? slot : 1;
}

/** Heatmap cells, grouped bars and lines/markers, in data order. */
export function drawSeries(
  ctx: Context2D,
  series: Series[],
  slot: number,
  px: (x: number) => number,
  py: (y: number) => number,
): void {
  const bars = series.filter((s) => s.kind === "bar");
  for (const s of series) {
    if (s.kind === "heatmap") {
      s.z!.forEach((row, r) =>
        row.forEach((v, c) => {
          if (c + 1 >= s.xs.length || r + 1 >= s.ys.length) return;
          const [x0, x1, y0, y1] = [px(s.xs[c]), px(s.xs[c + 1]), py(s.ys[r]), py(s.ys[r + 1])];
          const [red, green, blue] = Number.isFinite(v) ? s.scale!.colourOf(v) : MASKED;
          ctx.fillStyle = `rgb(${red}, ${green}, ${blue})`;
          ctx.fillRect(Math.min(x0, x1), Math.min(y0, y1), Math.abs(x1 - x0) + 0.5, Math.abs(y1 - y0) + 0.5);
        }),
      );
    } else if (s.kind === "bar") {
      // Grouped: each bar trace takes its share of 80% of a position's slot.
      const horizontal = s.horizontal === true;
      const [share, width] = [bars.indexOf(s), (0.8 * slot) / bars.length];
      const along = horizontal ? s.ys : s.xs;
      along.forEach((at, j) => {
        const value = horizontal ? s.xs[j] : s.ys[j];
        if (!Number.isFinite(value) || !Number.isFinite(at)) return;
        const [from, to] = [at - 0.4 * slot + share * width, at - 0.4 * slot + (share + 1) * width];
        ctx.fillStyle = s.barColours?.[j] ?? s.colour;
        const [x0, x1, y0, y1] = horizontal ? [px(0), px(value), py(from), py(to)] : [px(from), px(to), py(0), py(value)];
        ctx.fillRect(Math.min(x0, x1), Math.min(y0, y1), Math.max(1, Math.abs(x1 - x0)), Math.max(1, Math.abs(y1 - y0)));
      });
    } else {
      ctx.strokeStyle = ctx.fillStyle = s.colour;
      ctx.lineWidth = 2;
      ctx.beginPath();
      let drawing = false;
      s.xs.forEach((x, j) => {
        const ok = Number.isFinite(x) && Number.isFinite(s.ys[j]);
        if (ok && drawing) ctx.lineTo(px(x), py(s.ys[j]));
        else if (ok) ctx.moveTo(px(x), py(s.ys[j]));
        drawing = ok;
      });
      ctx.stroke();
      if (s.markers)
        s.xs.forEach((x, j) => {
          if (!Number.isFinite(x) || !Number.isFinite(s.ys[j])) return;
          ctx.beginPath();
          ctx.arc(px(x), py(s.ys[j]), 3, 0, 2 * Math.PI);
          ctx.fill();
        });
    }
  }
}

/** The heatmap's colour bar: the scale from min (bottom) to max (top), 14 px wide, with round ticks. */
export function drawColourBar(ctx: Context2D, scale: ColourScale, x: number, top: number, height: number): void {
  for (let row = 0; row < height; row++) {
    const [r, g, b] = scale.colourOf(scale.max - ((row + 0.5) / height) * (scale.max - scale.min));
    ctx.fillStyle = `rgb(${r}, ${g}, ${b})`;
    ctx.fillRect(x, top + row, 14, 1);
  }
  const values = linearTicks(scale.min, scale.max, Math.max(2, Math.round(height / 60)));
  const labels = tickLabels(values);
  ctx.fillStyle = "black";
  values.forEach((v, i) => {
    const y = top + ((scale.max - v) / (scale.max - scale.min)) * height;
    ctx.fillRect(x + 14, y, 3, 1);
    ctx.fillText(labels[i], x + 20, y - 6);
  });
}

/** Trace names with their colours, top right. */
export function drawLegendBox(ctx: Context2D, series: Series[], x: number, top: number): void {
  series.forEach((s, i) => {
    ctx.fillStyle = s.colour;
    ctx.fillRect(x, top + i * 18 + 3, 14, s.kind === "bar" ? 10 : 3);
    ctx.fillStyle = "black";
    ctx.fillText(shorten(s.name), x + 20, top + i * 18);
  });
}
