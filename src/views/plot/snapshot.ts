/**
 * A PNG of a plotly figure for places without the view, drawn the way plotly.js draws it: heatmaps
 * (row 0 at the bottom unless the y axis is reversed; the trace's colour scale with zmin/zmax/zmid, tslens's
 * ramps when it has none, and its colour bar; cells without a value (null/NaN) in the masked grey), bars (grouped) and lines/markers, on x and y axes with tick labels — numbers,
 * categories, or the layout's tickvals/ticktext — axis titles, the title, a legend and text annotations placed on
 * the paper. Subplots (traces on xaxis2/yaxis2…, placed by the axes' domains or layout.grid) are drawn side by side,
 * each on its own axes; heatmaps on one coloraxis share its scale and colour bar. Other trace types are listed by
 * name only.
 */
import type { Rgb } from "../../common/draw/colors";
import type { Figure } from "./spec";
import { Context2D, renderPng } from "../core/canvas";
import { heatmapScale, linearTicks, PLOTLY_COLORWAY, tickLabels } from "./snapshotScales";
import { barSlot, drawColourBar, drawLegendBox, drawSeries, line, Series, shorten } from "./snapshotDraw";
import { panelsOf, rangeAxis, traceAxis, withColourAxis } from "./snapshotPanels";

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

/** A series and the axes it sits on. */
type Placed = Series & { x: string; y: string };

const DRAWABLE = [undefined, "scatter", "scattergl", "bar", "heatmap"];
const drawable = (trace: Json) => trace.visible !== false && DRAWABLE.includes(trace.type as string);

/**
 * Reads the drawable traces into series on the axes `axesOf(i)` gives the i-th of them, with category lists per axis
 * (`categoriesOf(axis)`).
 */
function readSeries(
  figure: Figure,
  toRgb: (css: string) => Rgb,
  axesOf: (i: number) => { x: string; y: string },
  categoriesOf: (axis: string) => Categories,
): Placed[] {
  const layout = asJson(figure.layout);
  const traces = figure.data.filter(drawable);
  const zOf = (trace: Json) =>
    (Array.isArray(trace.z) ? trace.z : []).map((row) =>
      Array.isArray(row) ? row.map((v) => (v === null ? NaN : Number(v))) : [],
    );
  // Heatmaps on one coloraxis share a scale over all their values.
  const onColourAxis = (ref: unknown) =>
    traces.filter((t) => t.type === "heatmap" && typeof ref === "string" && t.coloraxis === ref).flatMap((t) => zOf(t).flat());

  return traces.map((trace, i) => {
    const colour = String(asJson(trace.line).color ?? asJson(trace.marker).color ?? PLOTLY_COLORWAY[i % PLOTLY_COLORWAY.length]);
    const name = typeof trace.name === "string" ? trace.name : `trace ${i}`;
    const { x, y } = axesOf(i);
    const [xCats, yCats] = [categoriesOf(x), categoriesOf(y)];
    if (trace.type === "heatmap") {
      const z = zOf(trace);
      const cols = Math.max(0, ...z.map((r) => r.length));
      const xs = edges(positions(trace.x, cols, xCats), cols);
      const ys = edges(positions(trace.y, z.length, yCats), z.length);
      const shared = onColourAxis(trace.coloraxis);
      const scale = heatmapScale(withColourAxis(trace, layout), shared.length ? shared : z.flat(), toRgb);
      return { kind: "heatmap", name, colour, xs, ys, markers: false, z, scale, x, y };
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
      x,
      y,
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

/** A rectangle on the canvas, in pixels. */
interface Box {
  x0: number;
  y0: number;
  x1: number;
  y1: number;
}

/** What one panel draws: its series, all series whose axes share its ranges, and its axes' layout entries. */
interface PanelContent {
  series: Placed[];
  xValuesFrom: Placed[];
  yValuesFrom: Placed[];
  xLayout: Json;
  yLayout: Json;
  categories: (axis: string) => Categories;
}

/** Draws the series, axes, colour bar, legend and paper annotations of `figure` inside a `width` × `height` canvas. */
function drawFigure(ctx: Context2D, figure: Figure, width: number, height: number): void {
  const layout = asJson(figure.layout);
  const toRgb = (css: string): Rgb => {
    ctx.fillStyle = "#000000";
    ctx.fillStyle = css; // the canvas parses any CSS colour; read back as #rrggbb or rgba(…)
    const parsed = String(ctx.fillStyle);
    const hex = /^#([0-9a-f]{6})$/i.exec(parsed);
    if (hex) return [0, 2, 4].map((i) => parseInt(hex[1].slice(i, i + 2), 16)) as Rgb;
    return (parsed.match(/[\d.]+/g) ?? ["0", "0", "0"]).slice(0, 3).map(Number) as Rgb;
  };
  // Axes that match another share its categories (and range).
  const categoryLists = new Map<string, Categories>();
  const categories = (axis: string): Categories => {
    const owner = rangeAxis(layout, axis);
    if (!categoryLists.has(owner)) categoryLists.set(owner, new Categories());
    return categoryLists.get(owner)!;
  };
  // Each pair of axes is a panel, placed by its axes' domains; a trace is drawn on its panel's axes.
  const panels = panelsOf(
    layout,
    figure.data.filter(drawable).map((trace) => ({ x: traceAxis(trace, "x"), y: traceAxis(trace, "y") })),
  );
  const panelOf = (i: number) => panels.find((p) => p.traces.includes(i))!;
  const series = readSeries(figure, toRgb, panelOf, categories);
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
  const annotations = (Array.isArray(layout.annotations) ? layout.annotations : [])
    .map(asJson)
    .filter((a) => a.xref === "paper" && a.yref === "paper" && typeof a.text === "string" && numeric(a.x) && numeric(a.y));
  const top = (title ? 36 : 16) + (annotations.some((a) => Number(a.y) > 1) ? 16 : 0);
  const skipped = figure.data.length - series.length;
  const area: Box = { x0: 0, y0: top, x1: width - right, y1: height - (skipped > 0 ? 18 : 0) };
  const [areaWidth, areaHeight] = [area.x1 - area.x0, area.y1 - area.y0];

  // Panels sit in the area by their domains; a single panel fills it.
  const plotted: Box[] = panels.map((panel) => {
    const cell: Box = {
      x0: area.x0 + panel.xDomain[0] * areaWidth,
      x1: area.x0 + panel.xDomain[1] * areaWidth,
      y0: area.y0 + (1 - panel.yDomain[1]) * areaHeight,
      y1: area.y0 + (1 - panel.yDomain[0]) * areaHeight,
    };
    const sharing = (letter: "x" | "y") =>
      series.filter((s) => rangeAxis(layout, s[letter]) === rangeAxis(layout, panel[letter]));
    return drawPanel(ctx, cell, {
      series: panel.traces.map((i) => series[i]),
      xValuesFrom: sharing("x"),
      yValuesFrom: sharing("y"),
      xLayout: asJson(layout[`xaxis${panel.x.slice(1)}`]),
      yLayout: asJson(layout[`yaxis${panel.y.slice(1)}`]),
      categories,
    });
  });

  ctx.fillStyle = "black";
  ctx.textAlign = "center";
  for (const a of annotations) {
    const [x, y] = [area.x0 + Number(a.x) * areaWidth, area.y0 + (1 - Number(a.y)) * areaHeight];
    ctx.fillText(String(a.text).slice(0, 60), x, Number(a.y) >= 2 / 3 ? y - 14 : y - 7);
  }
  ctx.textAlign = "left";
  const heatmapTrace = heatmap ? withColourAxis(figure.data.filter(drawable)[series.indexOf(heatmap)], layout) : {};
  if (heatmap?.scale && heatmap.z && heatmapTrace.showscale !== false) {
    const [barTop, barBottom] = [Math.min(...plotted.map((b) => b.y0)), Math.max(...plotted.map((b) => b.y1))];
    drawColourBar(ctx, heatmap.scale, area.x1 + 14, barTop, barBottom - barTop);
  }
  if (showLegend) drawLegendBox(ctx, legend, width - legendWidth - 4, top);
  if (skipped > 0)
    ctx.fillText(`${skipped} trace${skipped === 1 ? "" : "s"} not drawn here (${DRAWN_TYPES} only)`, 8, height - 14);
}

/** Draws one panel's axes and series inside `cell` (its tick labels and titles included); returns its plot area. */
function drawPanel(ctx: Context2D, cell: Box, panel: PanelContent): Box {
  const { series, xLayout, yLayout } = panel;
  const heatmap = series.some((s) => s.kind === "heatmap");
  const [xCats, yCats] = [panel.categories(series[0].x), panel.categories(series[0].y)];
  // Data ranges: bars reach 0 and span their slots, heatmaps span their cells, scatter gets a little room.
  const slot = barSlot(series);
  const extent = (s: Series, axis: "x" | "y"): number[] => {
    const values = axis === "x" ? s.xs : s.ys;
    if (s.kind !== "bar") return values;
    return (axis === "x") === s.horizontal ? [...values, 0] : values.flatMap((v) => [v - slot / 2, v + slot / 2]);
  };
  const xValues = panel.xValuesFrom.flatMap((s) => extent(s, "x"));
  const yValues = panel.yValuesFrom.flatMap((s) => extent(s, "y"));
  const scatterOnly = series.every((s) => s.kind === "line");
  const yPad = heatmap ? 0 : 0.05;
  const provisionalY = makeAxis(yLayout, yValues, yCats, cell.y1 - cell.y0 - 60, 40, yPad);
  const yLabels = provisionalY.ticks.map((t) => shorten(t.label));
  const left = cell.x0 + 14 + Math.max(20, ...yLabels.map((l) => ctx.measureText(l).width)) + (provisionalY.title ? 20 : 0);
  const plotWidth = cell.x1 - left;
  const xPad = scatterOnly && series.some((s) => s.markers) ? 0.03 : 0;
  const xAxis = makeAxis(xLayout, xValues, xCats, plotWidth, 80, xPad);
  const xLabelWidth = Math.max(...xAxis.ticks.map((t) => ctx.measureText(shorten(t.label)).width), 1);
  const upright = xAxis.ticks.length * (xLabelWidth + 8) > plotWidth; // labels turn vertical when they do not fit
  const labelsHeight = 12 + (upright ? Math.min(90, xLabelWidth) : 14);
  const top = cell.y0;
  const plotHeight = cell.y1 - top - labelsHeight - (xAxis.title ? 20 : 0);
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
    ctx.translate(cell.x0 + 6, top + plotHeight / 2);
    ctx.rotate(-Math.PI / 2);
    ctx.fillText(yAxis.title.slice(0, 60), 0, 0);
    ctx.restore();
  }
  ctx.textAlign = "left";
  return { x0: left, y0: top, x1: left + plotWidth, y1: top + plotHeight };
}

/** PNG bytes of the figure (layout.width × layout.height, else 560 × 360), or undefined when no canvas is available. */
export function plotPng(figure: Figure): Uint8Array | undefined {
  const layout = figure.layout ?? {};
  const size = (v: unknown, fallback: number) =>
    typeof v === "number" && Number.isFinite(v) ? Math.round(Math.min(2000, Math.max(200, v))) : fallback;
  const [width, height] = [size(layout.width, DEFAULT_WIDTH), size(layout.height, DEFAULT_HEIGHT)];
  return renderPng(width, height, (ctx) => drawFigure(ctx, figure, width, height));
}
