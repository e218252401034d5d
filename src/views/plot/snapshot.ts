/**
 * A PNG of a plotly figure for places without the view, drawn the way plotly.js draws it: heatmaps
 * (row 0 at the bottom unless the y axis is reversed; the trace's colour scale with zmin/zmax/zmid, tslens's
 * ramps when it has none, and its colour bar; cells without a value (null/NaN) in the masked grey), bars (grouped) and lines/markers, on x and y axes with tick labels — numbers,
 * categories, or the layout's tickvals/ticktext — axis titles, the title and a legend. Other trace
 * types are listed by name only.
 */
import { MASKED } from "../../common/draw/colors";
import type { Rgb } from "../../common/draw/colors";
import type { Figure } from "./spec";
import { Context2D, renderPng } from "../core/canvas";
import { ColourScale, heatmapScale, linearTicks, PLOTLY_COLORWAY, tickLabels } from "./snapshotScales";

type Json = Record<string, unknown>;

const [DEFAULT_WIDTH, DEFAULT_HEIGHT] = [560, 360];
const DRAWN_TYPES = "scatter, bar and heatmap";
const LINES_ONLY_FROM = 20; // plotly.js draws markers on scatter traces with fewer points than this

/** One axis as drawn: data coordinates [lo, hi] on a pixel span, and its tick labels. */
interface Axis {
  lo: number;
  hi: number;
  reversed: boolean;
  ticks: { at: number; label: string }[];
  title: string;
}

/** A trace in data coordinates (categories already turned into their index). */
interface Series {
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

const asJson = (v: unknown): Json => (v !== null && typeof v === "object" && !Array.isArray(v) ? (v as Json) : {});
const textOf = (title: unknown): string =>
  typeof title === "string" ? title : typeof asJson(title).text === "string" ? String(asJson(title).text) : "";
const numeric = (v: unknown): boolean =>
  (typeof v === "number" && Number.isFinite(v)) || (typeof v === "string" && v.trim() !== "" && Number.isFinite(Number(v)));

/** Collects the category names an axis meets, in order of appearance (plotly's category order). */
class Categories {
  readonly names: string[] = [];
  index(value: unknown): number {
    const name = String(value);
    const at = this.names.indexOf(name);
    return at >= 0 ? at : this.names.push(name) - 1;
  }
}

/** Positions of `values` on an axis: numbers as they are, strings as categories (when any is not a number). */
function positions(values: unknown, count: number, categories: Categories): number[] {
  if (!Array.isArray(values)) return Array.from({ length: count }, (_, i) => i);
  if (values.every((v) => v === null || numeric(v))) return values.map((v) => (v === null ? NaN : Number(v)));
  return values.map((v) => categories.index(v));
}

/** Cell edges of heatmap centres (or the edges themselves, when one more than the cells is given). */
function edges(centres: number[], cells: number): number[] {
  if (centres.length === cells + 1) return centres;
  if (cells === 1) return [centres[0] - 0.5, centres[0] + 0.5];
  const mids = centres.slice(1).map((c, i) => (c + centres[i]) / 2);
  return [2 * centres[0] - mids[0], ...mids, 2 * centres[cells - 1] - mids[cells - 2]];
}

/** Reads the figure's traces into series on shared x and y category lists. */
function readSeries(figure: Figure, toRgb: (css: string) => Rgb, xCats: Categories, yCats: Categories): Series[] {
  const drawable = figure.data.filter(
    (t) => t.visible !== false && [undefined, "scatter", "scattergl", "bar", "heatmap"].includes(t.type as string),
  );

  return drawable.map((trace, i) => {
    const colour = String(asJson(trace.line).color ?? asJson(trace.marker).color ?? PLOTLY_COLORWAY[i % PLOTLY_COLORWAY.length]);
    const name = typeof trace.name === "string" ? trace.name : `trace ${i}`;
    if (trace.type === "heatmap") {
      const z = (Array.isArray(trace.z) ? trace.z : []).map((row) =>
        Array.isArray(row) ? row.map((v) => (v === null ? NaN : Number(v))) : [],
      );
      const cols = Math.max(0, ...z.map((r) => r.length));
      const xs = edges(positions(trace.x, cols, xCats), cols);
      const ys = edges(positions(trace.y, z.length, yCats), z.length);
      return { kind: "heatmap", name, colour, xs, ys, markers: false, z, scale: heatmapScale(trace, z.flat(), toRgb) };
    }
    const horizontal = trace.type === "bar" && trace.orientation === "h";
    const [along, value] = horizontal ? [trace.y, trace.x] : [trace.x, trace.y];
    const raw = Array.isArray(value) ? value.map((v) => (numeric(v) ? Number(v) : NaN)) : [];
    const at = positions(along, raw.length, horizontal ? yCats : xCats);
    const [xs, ys] = horizontal ? [raw, at] : [at, raw];
    const mode = typeof trace.mode === "string" ? trace.mode : raw.length < LINES_ONLY_FROM ? "lines+markers" : "lines";
    const barColours = Array.isArray(asJson(trace.marker).color)
      ? (asJson(trace.marker).color as unknown[]).map(String)
      : undefined;
    return {
      kind: trace.type === "bar" ? "bar" : "line",
      name,
      colour: barColours ? PLOTLY_COLORWAY[i % PLOTLY_COLORWAY.length] : colour,
      xs,
      ys,
      markers: mode.includes("markers"),
      barColours,
      horizontal,
    };
  });
}

/**
 * An axis from its layout entry and the data positions on it, `span` px long with a tick about every `spacing` px;
 * `pad` widens the data range by that share at each end.
 */
function makeAxis(layout: Json, values: number[], categories: Categories, span: number, spacing: number, pad: number): Axis {
  const finite = values.filter(Number.isFinite);
  let [lo, hi] = finite.length ? [Math.min(...finite), Math.max(...finite)] : [0, 1];
  if (hi === lo) [lo, hi] = [lo - 1, hi + 1];
  [lo, hi] = [lo - pad * (hi - lo), hi + pad * (hi - lo)];
  const range = layout.range;
  let reversed = layout.autorange === "reversed";
  if (Array.isArray(range) && range.length === 2 && range.every(numeric)) {
    [lo, hi] = [Number(range[0]), Number(range[1])];
    reversed = lo > hi;
    [lo, hi] = [Math.min(lo, hi), Math.max(lo, hi)];
  }
  let ticks: Axis["ticks"];
  const [tickvals, ticktext] = [layout.tickvals, layout.ticktext];
  if (Array.isArray(tickvals)) {
    const at = positions(tickvals, tickvals.length, categories);
    ticks = at.map((v, i) => ({
      at: v,
      label: String(Array.isArray(ticktext) && i < ticktext.length ? ticktext[i] : tickvals[i]),
    }));
  } else if (categories.names.length > 0) {
    ticks = categories.names.map((label, at) => ({ at, label }));
  } else {
    const values = linearTicks(lo, hi, Math.max(2, Math.round(span / spacing)), layout.dtick, layout.tick0);
    const labels = tickLabels(values);
    ticks = values.map((at, i) => ({ at, label: labels[i] }));
  }
  ticks = ticks.filter((t) => t.at >= lo - 1e-9 * (hi - lo) && t.at <= hi + 1e-9 * (hi - lo));
  return { lo, hi, reversed, ticks, title: textOf(layout.title) };
}

/** Every n-th tick, so labels `size` px long at most fit along `span` px. */
function thinned<T>(ticks: T[], size: number, span: number): T[] {
  const every = Math.max(1, Math.ceil((ticks.length * size) / Math.max(1, span)));
  return ticks.filter((_, i) => i % every === 0);
}

const shorten = (label: string): string => (label.length > 14 ? `${label.slice(0, 13)}…` : label);

/** Draws the series, axes, colour bar and legend of `figure` inside a `width` × `height` canvas. */
function drawFigure(ctx: Context2D, figure: Figure, width: number, height: number): void {
  const layout = figure.layout ?? {};
  const toRgb = (css: string): Rgb => {
    ctx.fillStyle = "#000000";
    ctx.fillStyle = css; // the canvas parses any CSS colour; read back as #rrggbb or rgba(…)
    const parsed = String(ctx.fillStyle);
    const hex = /^#([0-9a-f]{6})$/i.exec(parsed);
    if (hex) return [0, 2, 4].map((i) => parseInt(hex[1].slice(i, i + 2), 16)) as Rgb;
    return (parsed.match(/[\d.]+/g) ?? ["0", "0", "0"]).slice(0, 3).map(Number) as Rgb;
  };
  const [xCats, yCats] = [new Categories(), new Categories()];
  const series = readSeries(figure, toRgb, xCats, yCats);
  const title = textOf(layout.title);
  ctx.fillStyle = "black";
  if (title) ctx.fillText(title.slice(0, 80), 12, 10);
  if (series.length === 0) {
    ctx.fillText(`traces: ${figure.data.map((t) => String(t.type ?? "scatter")).join(", ")}`, 12, 40);
    return;
  }
  const heatmap = series.find((s) => s.kind === "heatmap");
  const legend = series.filter((s) => s.kind !== "heatmap");
  const showLegend = layout.showlegend === true || (layout.showlegend !== false && legend.length > 1);
  const legendWidth = showLegend ? Math.min(160, 30 + Math.max(...legend.map((s) => ctx.measureText(shorten(s.name)).width))) : 0;
  const right = (heatmap ? 72 : 16) + legendWidth;
  const [xLayout, yLayout] = [asJson(layout.xaxis), asJson(layout.yaxis)];
  const top = title ? 36 : 16;
  // Data ranges: bars reach 0 and span their slots, heatmaps span their cells, scatter gets a little room.
  const slot = barSlot(series);
  const extent = (s: Series, axis: "x" | "y"): number[] => {
    const values = axis === "x" ? s.xs : s.ys;
    if (s.kind !== "bar") return values;
    return (axis === "x") === s.horizontal ? [...values, 0] : values.flatMap((v) => [v - slot / 2, v + slot / 2]);
  };
  const [xValues, yValues] = [series.flatMap((s) => extent(s, "x")), series.flatMap((s) => extent(s, "y"))];
  const scatterOnly = series.every((s) => s.kind === "line");
  const yPad = heatmap ? 0 : 0.05;
  const provisionalY = makeAxis(yLayout, yValues, yCats, height - top - 60, 40, yPad);
  const yLabels = provisionalY.ticks.map((t) => shorten(t.label));
  const left = 14 + Math.max(20, ...yLabels.map((l) => ctx.measureText(l).width)) + (provisionalY.title ? 20 : 0);
  const plotWidth = width - left - right;
  const xPad = scatterOnly && series.some((s) => s.markers) ? 0.03 : 0;
  const xAxis = makeAxis(xLayout, xValues, xCats, plotWidth, 80, xPad);
  const xLabelWidth = Math.max(...xAxis.ticks.map((t) => ctx.measureText(shorten(t.label)).width), 1);
  const upright = xAxis.ticks.length * (xLabelWidth + 8) > plotWidth; // labels turn vertical when they do not fit
  const skipped = figure.data.length - series.length;
  const labelsHeight = 12 + (upright ? Math.min(90, xLabelWidth) : 14);
  const bottom = labelsHeight + (xAxis.title ? 20 : 0) + (skipped > 0 ? 18 : 0);
  const plotHeight = height - top - bottom;
  const yAxis = makeAxis(yLayout, yValues, yCats, plotHeight, 40, yPad);
  const px = (x: number) => left + ((xAxis.reversed ? xAxis.hi - x : x - xAxis.lo) / (xAxis.hi - xAxis.lo)) * plotWidth;
  const py = (y: number) =>
    top + plotHeight - ((yAxis.reversed ? yAxis.hi - y : y - yAxis.lo) / (yAxis.hi - yAxis.lo)) * plotHeight;

  // Grid lines, then the traces clipped to the plot area.
  ctx.strokeStyle = "#eeeeee";
  ctx.lineWidth = 1;
  for (const t of xAxis.ticks) line(ctx, px(t.at), top, px(t.at), top + plotHeight);
  for (const t of yAxis.ticks) line(ctx, left, py(t.at), left + plotWidth, py(t.at));
  ctx.save();
  ctx.beginPath();
  ctx.rect(left, top, plotWidth, plotHeight);
  ctx.clip();
  drawSeries(ctx, series, slot, px, py);
  ctx.restore();

  // Axes: lines, zero lines (on value axes that cross 0), tick marks and labels, titles.
  ctx.strokeStyle = "#444444";
  if (!heatmap && yCats.names.length === 0 && yAxis.lo < 0 && yAxis.hi > 0) line(ctx, left, py(0), left + plotWidth, py(0));
  if (!heatmap && xCats.names.length === 0 && xAxis.lo < 0 && xAxis.hi > 0) line(ctx, px(0), top, px(0), top + plotHeight);
  line(ctx, left, top + plotHeight, left + plotWidth, top + plotHeight);
  line(ctx, left, top, left, top + plotHeight);
  ctx.fillStyle = "black";
  for (const t of thinned(xAxis.ticks, upright ? 13 : xLabelWidth + 8, plotWidth)) {
    line(ctx, px(t.at), top + plotHeight, px(t.at), top + plotHeight + 4);
    if (upright) {
      ctx.save();
      ctx.translate(px(t.at) - 6, top + plotHeight + 7);
      ctx.rotate(-Math.PI / 2);
      ctx.textAlign = "right";
      ctx.fillText(shorten(t.label), 0, 0);
      ctx.restore();
    } else {
      ctx.textAlign = "center";
      ctx.fillText(shorten(t.label), px(t.at), top + plotHeight + 7);
    }
  }
  ctx.textAlign = "right";
  for (const t of thinned(yAxis.ticks, 15, plotHeight)) {
    line(ctx, left - 4, py(t.at), left, py(t.at));
    ctx.fillText(shorten(t.label), left - 7, py(t.at) - 6);
  }
  ctx.textAlign = "center";
  if (xAxis.title) ctx.fillText(xAxis.title.slice(0, 60), left + plotWidth / 2, top + plotHeight + labelsHeight + 2);
  if (yAxis.title) {
    ctx.save();
    ctx.translate(6, top + plotHeight / 2);
    ctx.rotate(-Math.PI / 2);
    ctx.fillText(yAxis.title.slice(0, 60), 0, 0);
    ctx.restore();
  }
  ctx.textAlign = "left";
  if (heatmap?.scale && heatmap.z && asJson(figure.data.find((t) => t.type === "heatmap")).showscale !== false)
    drawColourBar(ctx, heatmap.scale, left + plotWidth + 14, top, plotHeight);
  if (showLegend) drawLegendBox(ctx, legend, width - legendWidth - 4, top);
  if (skipped > 0)
    ctx.fillText(`${skipped} trace${skipped === 1 ? "" : "s"} not drawn here (${DRAWN_TYPES} only)`, 8, height - 14);
}

function line(ctx: Context2D, x0: number, y0: number, x1: number, y1: number): void {
  ctx.beginPath();
  ctx.moveTo(x0, y0);
  ctx.lineTo(x1, y1);
  ctx.stroke();
}

/** The data width of one bar position: the smallest gap between positions of any bar trace (1 when none). */
function barSlot(series: Series[]): number {
  let slot = Infinity;
  for (const s of series.filter((t) => t.kind === "bar")) {
    const at = [...new Set((s.horizontal ? s.ys : s.xs).filter(Number.isFinite))].sort((a, b) => a - b);
    for (let i = 1; i < at.length; i++) slot = Math.min(slot, at[i] - at[i - 1]);
  }
  return Number.isFinite(slot) ? slot : 1;
}

/** Heatmap cells, grouped bars and lines/markers, in data order. */
function drawSeries(ctx: Context2D, series: Series[], slot: number, px: (x: number) => number, py: (y: number) => number): void {
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
function drawColourBar(ctx: Context2D, scale: ColourScale, x: number, top: number, height: number): void {
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
function drawLegendBox(ctx: Context2D, series: Series[], x: number, top: number): void {
  series.forEach((s, i) => {
    ctx.fillStyle = s.colour;
    ctx.fillRect(x, top + i * 18 + 3, 14, s.kind === "bar" ? 10 : 3);
    ctx.fillStyle = "black";
    ctx.fillText(shorten(s.name), x + 20, top + i * 18);
  });
}

/** PNG bytes of the figure (layout.width × layout.height, else 560 × 360), or undefined when no canvas is available. */
export function plotPng(figure: Figure): Uint8Array | undefined {
  const layout = figure.layout ?? {};
  const size = (v: unknown, fallback: number) =>
    typeof v === "number" && Number.isFinite(v) ? Math.round(Math.min(2000, Math.max(200, v))) : fallback;
  const [width, height] = [size(layout.width, DEFAULT_WIDTH), size(layout.height, DEFAULT_HEIGHT)];
  return renderPng(width, height, (ctx) => drawFigure(ctx, figure, width, height));
}
