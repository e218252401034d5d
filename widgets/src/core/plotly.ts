/**
 * plotly.js, loaded on first use (its own chunk of the extension, so views without charts do not wait for it),
 * and tslens's plotly template: the JupyterLab UI font and text colour, transparent paper, grid and axis lines
 * in the theme's border colours, tslens's ramps as the colour scales of heatmaps (sequential, or diverging and
 * symmetric about 0), and missing heatmap cells (null/NaN, which plotly leaves as gaps) shown in the theme's
 * masked colour. Whatever the figure sets itself wins over the template.
 */
import type PlotlyType from "plotly.js-cartesian-dist-min";
import { cssColor, isDiverging, paletteOf, scaleStops } from "../../../src/common/draw/colors";
import type { Theme } from "../../../src/common/draw/colors";

type Json = Record<string, unknown>;

let loading: Promise<typeof PlotlyType> | undefined;

/** The plotly module. */
export function plotly(): Promise<typeof PlotlyType> {
  loading ??= import("plotly.js-cartesian-dist-min").then(
    (m) => ((m as { default?: typeof PlotlyType }).default ?? m) as typeof PlotlyType,
  );
  return loading;
}

/** tslens's colour scale for [min, max] on `theme` as a plotly colorscale. */
export function colorscale(min: number, max: number, theme: Theme = "light"): [number, string][] {
  return scaleStops(min, max, theme).map(([at, rgb]) => [at, cssColor(rgb)]);
}

/** The value of CSS variable `name` on the page's body, or `fallback` when the page does not define it. */
function cssVariable(doc: Document, name: string, fallback: string): string {
  const body = doc.body;
  const value = body ? doc.defaultView?.getComputedStyle(body).getPropertyValue(name).trim() : "";
  return value || fallback;
}

/** The theme's colours and font as the page defines them (JupyterLab's variables), with tslens's palette as fallback. */
function pageLook(theme: Theme, doc: Document) {
  const palette = paletteOf(theme);
  return {
    font: cssVariable(doc, "--jp-ui-font-family", "sans-serif"),
    text: cssVariable(doc, "--jp-ui-font-color1", cssColor(palette.text)),
    background: cssVariable(doc, "--jp-layout-color1", cssColor(palette.zero)),
    grid: cssVariable(doc, "--jp-border-color2", theme === "dark" ? "#424242" : "#e0e0e0"),
    line: cssVariable(doc, "--jp-border-color1", cssColor(palette.guide)),
    masked: cssColor(palette.masked),
  };
}

/**
 * tslens's plotly template for `theme` (layout defaults; a figure's own layout wins over them). Figures with a
 * heatmap get the masked colour as plot background, so the cells plotly leaves out (null/NaN) show as masked.
 */
export function plotlyTemplate(theme: Theme, withHeatmap = false, doc: Document = document): Json {
  const look = pageLook(theme, doc);
  // A heatmap covers the grid, and grid lines over its masked cells would read as cells: none there.
  const axis = {
    gridcolor: look.grid,
    linecolor: look.line,
    zerolinecolor: look.line,
    tickcolor: look.line,
    automargin: true,
    ...(withHeatmap ? { showgrid: false, zeroline: false } : {}),
  };
  return {
    layout: {
      font: { family: look.font, color: look.text, size: 12 },
      paper_bgcolor: "rgba(0, 0, 0, 0)",
      plot_bgcolor: withHeatmap ? look.masked : "rgba(0, 0, 0, 0)",
      xaxis: axis,
      yaxis: axis,
      legend: { bgcolor: "rgba(0, 0, 0, 0)" },
      hoverlabel: { bgcolor: look.background, bordercolor: look.line, font: { family: look.font, color: look.text } },
      colorscale: { sequential: colorscale(0, 1, theme), diverging: colorscale(-1, 1, theme) },
    },
    data: { heatmap: [{ colorbar: { outlinewidth: 0, tickcolor: look.line } }] },
  };
}

const finite = (v: unknown): v is number => typeof v === "number" && Number.isFinite(v);

/** The smallest and largest finite number in nested arrays `z` (undefined when there is none). */
function finiteRange(z: unknown): [number, number] | undefined {
  let [lo, hi] = [Infinity, -Infinity];
  const visit = (v: unknown): void => {
    if (Array.isArray(v)) v.forEach(visit);
    else if (finite(v)) [lo, hi] = [Math.min(lo, v), Math.max(hi, v)];
  };
  visit(z);
  return lo <= hi ? [lo, hi] : undefined;
}

/**
 * A heatmap or contour trace with tslens's colour scale when it has none of its own: sequential for values of one
 * sign, diverging otherwise, centred on 0 (zmid 0, so plotly makes the range ±max|z| and 0 is a tick of the colour
 * bar). zmin/zmax/zmid given by the trace are kept.
 */
export function withTslensScale(trace: Json, theme: Theme): Json {
  if (!["heatmap", "contour", "histogram2d"].includes(String(trace.type)) || trace.colorscale !== undefined) return trace;
  const fixed = trace.zauto !== true && finite(trace.zmin) && finite(trace.zmax);
  const range = fixed ? [trace.zmin as number, trace.zmax as number] : finiteRange(trace.z);
  if (!range || !(range[1] > range[0])) return { ...trace, colorscale: colorscale(0, 1, theme) };
  let [lo, hi] = range;
  const out: Json = { ...trace };
  if (!fixed && isDiverging(lo, hi)) {
    const mid = finite(trace.zmid) ? trace.zmid : 0;
    const reach = Math.max(hi - mid, mid - lo);
    [lo, hi] = [mid - reach, mid + reach];
    out.zmid = mid;
  }
  out.colorscale = colorscale(lo, hi, theme);
  return out;
}

/** `data` and `layout` of a figure drawn with tslens's template and scales on `theme`; as they are when the layout brings its own template. */
export function themedFigure(data: Json[], layout: Json, theme: Theme, doc: Document = document): { data: Json[]; layout: Json } {
  if (layout.template !== undefined) return { data, layout };
  const themedData = data.map((trace) => withTslensScale(trace, theme));
  const withHeatmap = data.some((t) => t.type === "heatmap");
  return { data: themedData, layout: { ...layout, template: plotlyTemplate(theme, withHeatmap, doc) } };
}
