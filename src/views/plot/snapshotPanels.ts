/**
 * How the plot snapshot lays out subplots as plotly.js does: each trace sits on the pair of axes it names
 * (`xaxis: "x2"`, `yaxis: "y2"`), each pair is a panel placed by its axes' `domain` (fractions of the plot area) or by
 * the cell `layout.grid` gives it (pairs on the same domains, such as a secondary y axis, share one panel), axes that
 * `matches` another share its range, and heatmaps on a shared `coloraxis` take their colour scale from it.
 */
type Json = Record<string, unknown>;

const asJson = (v: unknown): Json => (v !== null && typeof v === "object" && !Array.isArray(v) ? (v as Json) : {});
const isNumber = (v: unknown): v is number => typeof v === "number" && Number.isFinite(v);

/** A trace's axis reference ("x", "x2", …) as its layout key ("xaxis", "xaxis2", …). */
export function axisKey(ref: string): string {
  return `${ref[0]}axis${ref.slice(1)}`;
}

/** The axis reference a trace puts its x or y values on ("x" / "y" unless it names another). */
export function traceAxis(trace: Json, letter: "x" | "y"): string {
  const ref = trace[`${letter}axis`];
  return typeof ref === "string" && new RegExp(`^${letter}([2-9]|[1-9]\\d+)?$`).test(ref) ? ref : letter;
}

/** The axis whose range (and categories) `ref` uses: the one it `matches`, followed to the end, else itself. */
export function rangeAxis(layout: Json, ref: string): string {
  const seen = new Set<string>();
  let at = ref;
  while (!seen.has(at)) {
    seen.add(at);
    const target = asJson(layout[axisKey(at)]).matches;
    if (typeof target !== "string" || target[0] !== ref[0]) break;
    at = target;
  }
  return at;
}

/**
 * The [start, end] fraction of the plot area an axis spans: that of the axis it is `overlaying` (a secondary axis),
 * else its `domain`, else its `layout.grid` cell, else [0, 1].
 */
export function axisDomain(layout: Json, ref: string, seen: string[] = []): [number, number] {
  const overlaying = asJson(layout[axisKey(ref)]).overlaying;
  if (typeof overlaying === "string" && overlaying[0] === ref[0] && !seen.includes(overlaying))
    return axisDomain(layout, overlaying, [...seen, ref]);
  const domain = asJson(layout[axisKey(ref)]).domain;
  if (Array.isArray(domain) && domain.length === 2 && domain.every(isNumber) && domain[0] < domain[1])
    return [Math.max(0, domain[0]), Math.min(1, domain[1])];
  const grid = asJson(layout.grid);
  const [rows, columns] = [grid.rows, grid.columns];
  if (!isNumber(rows) || !isNumber(columns) || rows < 1 || columns < 1) return [0, 1];
  const index = ref.length > 1 ? Number(ref.slice(1)) - 1 : 0;
  const horizontal = ref[0] === "x";
  const independent = grid.pattern === "independent";
  // coupled: x axis k is column k, y axis k is row k; independent: axis pair k is cell k, row by row.
  const cell = independent ? (horizontal ? index % columns : Math.floor(index / columns)) : index;
  const count = horizontal ? columns : rows;
  if (cell >= count) return [0, 1];
  const gapOption = horizontal ? grid.xgap : grid.ygap;
  const gap = isNumber(gapOption) ? gapOption : independent ? 0.2 : 0.1; // a share of one cell
  const size = 1 / (count + gap * (count - 1));
  // Rows run from the top ("top to bottom", plotly's default) unless roworder says otherwise.
  const slot = horizontal || grid.roworder === "bottom to top" ? cell : count - 1 - cell;
  const start = slot * size * (1 + gap);
  return [start, start + size];
}

/** One subplot: its x and y axis references, where it sits (fractions of the plot area), and its traces. */
export interface Panel {
  x: string;
  y: string;
  xDomain: [number, number];
  yDomain: [number, number];
  traces: number[];
}

/**
 * The panels of traces on the axes `refs` (one entry per trace), in order of first use: one per pair of axes, except
 * that pairs with the same domains (overlaid axes, or axes without domains) share one panel, drawn on the first pair.
 */
export function panelsOf(layout: Json, refs: { x: string; y: string }[]): Panel[] {
  const panels: Panel[] = [];
  const same = (a: [number, number], b: [number, number]) => a[0] === b[0] && a[1] === b[1];
  refs.forEach(({ x, y }, i) => {
    const [xDomain, yDomain] = [axisDomain(layout, x), axisDomain(layout, y)];
    const panel = panels.find((p) => (p.x === x && p.y === y) || (same(p.xDomain, xDomain) && same(p.yDomain, yDomain)));
    if (panel) panel.traces.push(i);
    else panels.push({ x, y, xDomain, yDomain, traces: [i] });
  });
  return panels;
}

/**
 * A heatmap trace with its shared colour axis (`coloraxis: "coloraxis"`) spelled out on the trace, as plotly.js applies
 * it: the axis's colorscale, reversescale and showscale, cmin/cmax/cmid as zmin/zmax/zmid.
 */
export function withColourAxis(trace: Json, layout: Json): Json {
  const ref = trace.coloraxis;
  if (typeof ref !== "string" || !/^coloraxis\d*$/.test(ref)) return trace;
  const axis = asJson(layout[ref]);
  const resolved: Json = { ...trace, colorscale: axis.colorscale, reversescale: axis.reversescale };
  for (const [from, to] of [
    ["cmin", "zmin"],
    ["cmax", "zmax"],
    ["cmid", "zmid"],
    ["cauto", "zauto"],
    ["showscale", "showscale"],
  ])
    resolved[to] = axis[from];
  return resolved;
}
