/**
 * What the plot snapshot needs to read a plotly figure the way the view draws it: its colour scales
 * (plotly's named ones, an explicit list of stops, reversescale; tslens's ramps for a heatmap without
 * one, as the view's template gives it) and how a heatmap's zmin/zmax/zmid pick the ends of the scale,
 * its default trace colours, and round tick values for a linear axis.
 */
import { isDiverging, scaleStops } from "../../common/draw/colors";
import type { Rgb } from "../../common/draw/colors";

type Stops = [number, string][];

/** plotly.js's default trace colours, in order. */
export const PLOTLY_COLORWAY = [
  "#1f77b4",
  "#ff7f0e",
  "#2ca02c",
  "#d62728",
  "#9467bd",
  "#8c564b",
  "#e377c2",
  "#7f7f7f",
  "#bcbd22",
  "#17becf",
];

/** Even stops over a list of colours. */
const even = (colours: string[]): Stops => colours.map((c, i) => [i / (colours.length - 1), c]);

/** plotly.js's named colour scales (its own stop values). */
const NAMED_SCALES: Record<string, Stops> = {
  Greys: even(["rgb(0,0,0)", "rgb(255,255,255)"]),
  YlGnBu: even(["#081d58", "#253494", "#225ea8", "#1d91c0", "#41b6c4", "#7fcdbb", "#c7e9b4", "#edf8d9", "#ffffd9"]),
  Greens: even(["#00441b", "#006d2c", "#238b45", "#41ab5d", "#74c476", "#a1d99b", "#c7e9c0", "#e5f5e0", "#f7fcf5"]),
  YlOrRd: even(["#800026", "#bd0026", "#e31a1c", "#fc4e2a", "#fd8d3c", "#feb24c", "#fed976", "#ffeda0", "#ffffcc"]),
  Bluered: even(["rgb(0,0,255)", "rgb(255,0,0)"]),
  RdBu: [
    [0, "rgb(5,10,172)"],
    [0.35, "rgb(106,137,247)"],
    [0.5, "rgb(190,190,190)"],
    [0.6, "rgb(220,170,132)"],
    [0.7, "rgb(230,145,90)"],
    [1, "rgb(178,10,28)"],
  ],
  Reds: [
    [0, "rgb(220,220,220)"],
    [0.2, "rgb(245,195,157)"],
    [0.4, "rgb(245,160,105)"],
    [1, "rgb(178,10,28)"],
  ],
  Blues: [
    [0, "rgb(5,10,172)"],
    [0.35, "rgb(40,60,190)"],
    [0.5, "rgb(70,100,245)"],
    [0.6, "rgb(90,120,245)"],
    [0.7, "rgb(106,137,247)"],
    [1, "rgb(220,220,220)"],
  ],
  Picnic: even([
    "#0000ff",
    "#3399ff",
    "#66ccff",
    "#99ccff",
    "#ccccff",
    "#ffffff",
    "#ffccff",
    "#ff99ff",
    "#ff66cc",
    "#ff6666",
    "#ff0000",
  ]),
  Rainbow: even(["#96005a", "#0000c8", "#0019ff", "#0098ff", "#2cff96", "#97ff00", "#ffea00", "#ff6f00", "#ff0000"]),
  Portland: even(["#0c3383", "#0a88ba", "#f2d338", "#f28f38", "#d91e1e"]),
  Jet: [
    [0, "#000083"],
    [0.125, "#003caa"],
    [0.375, "#05ffff"],
    [0.625, "#ffff00"],
    [0.875, "#fa0000"],
    [1, "#800000"],
  ],
  Hot: [
    [0, "#000000"],
    [0.3, "#e60000"],
    [0.6, "#ffd200"],
    [1, "#ffffff"],
  ],
  Blackbody: [
    [0, "#000000"],
    [0.2, "#e60000"],
    [0.4, "#e6d200"],
    [0.7, "#ffffff"],
    [1, "#a0c8ff"],
  ],
  Earth: [
    [0, "#000082"],
    [0.1, "#00b4b4"],
    [0.2, "#28d228"],
    [0.4, "#e6e632"],
    [0.6, "#784614"],
    [1, "#ffffff"],
  ],
  Electric: [
    [0, "#000000"],
    [0.15, "#1e0064"],
    [0.4, "#780064"],
    [0.6, "#a05a00"],
    [0.8, "#e6c800"],
    [1, "#fffadc"],
  ],
  Viridis: even(
    "440154 48186a 472d7b 424086 3b528b 33638d 2c728e 26828e 21918c 1fa088 28ae80 3fbc73 5ec962 84d44b addc30 d8e219 fde725"
      .split(" ")
      .map((h) => `#${h}`),
  ),
  Cividis: even(
    "00204c 002a66 00346e 273f6c 3c4a6b 4c556b 5b5f6d 686a70 757575 838178 928c78 a19876 b0a572 c0b16d d1bf66 e1cc5c f3db4f ffe945"
      .split(" ")
      .map((h) => `#${h}`),
  ),
};

/** A heatmap trace's colour scale: the ends it spans and the colour of any value. */
export interface ColourScale {
  min: number;
  max: number;
  stops: [number, Rgb][];
  colourOf(value: number): Rgb;
}

const finite = (v: unknown): v is number => typeof v === "number" && Number.isFinite(v);

/** The trace's stops, as plotly.js resolves `colorscale`: a known name, a valid stop list, else its default (RdBu). */
function resolveStops(colorscale: unknown): Stops {
  if (typeof colorscale === "string" && NAMED_SCALES[colorscale]) return NAMED_SCALES[colorscale];
  const valid =
    Array.isArray(colorscale) &&
    colorscale.length >= 2 &&
    colorscale.every(
      (s, i) => Array.isArray(s) && s.length === 2 && typeof s[1] === "string" && (i === 0 || +s[0] >= +colorscale[i - 1][0]),
    ) &&
    +colorscale[0][0] === 0 &&
    +colorscale[colorscale.length - 1][0] === 1;
  return valid ? (colorscale as Stops) : NAMED_SCALES.RdBu;
}

/**
 * The colour scale of a heatmap trace over its `values`, as plotly.js sets it: zmin and zmax when both are given
 * (zauto false), else the values' range, widened to be symmetric about zmid when that is given. A trace without a
 * colorscale gets tslens's (light) ramp, as in the view: sequential for values of one sign, else diverging and
 * symmetric about zmid (0 unless given).
 */
export function heatmapScale(trace: Record<string, unknown>, values: number[], toRgb: (css: string) => Rgb): ColourScale {
  const auto = trace.zauto === undefined ? !(finite(trace.zmin) && finite(trace.zmax)) : trace.zauto !== false;
  const present = values.filter(Number.isFinite);
  let min = !auto && finite(trace.zmin) ? trace.zmin : present.length ? Math.min(...present) : 0;
  let max = !auto && finite(trace.zmax) ? trace.zmax : present.length ? Math.max(...present) : 1;
  const tslens = trace.colorscale === undefined;
  const mid = finite(trace.zmid) ? trace.zmid : tslens && isDiverging(min, max) ? 0 : undefined;
  if (auto && finite(mid)) {
    if (max - mid > mid - min) min = mid - (max - mid);
    else if (max - mid < mid - min) max = mid + (mid - min);
  }
  if (min === max) [min, max] = [min - 0.5, max + 0.5];
  let stops: [number, Rgb][] = tslens
    ? scaleStops(min, max)
    : resolveStops(trace.colorscale).map(([at, css]) => [+at, toRgb(css)]);
  if (trace.reversescale === true) stops = stops.map(([at, rgb]) => [1 - at, rgb] as [number, Rgb]).reverse();
  const colourOf = (value: number): Rgb => {
    const f = Math.min(1, Math.max(0, (value - min) / (max - min)));
    const upper = stops.findIndex(([at]) => at >= f);
    if (upper <= 0) return stops[Math.max(0, upper)][1];
    const [[a, from], [b, to]] = [stops[upper - 1], stops[upper]];
    const t = b > a ? (f - a) / (b - a) : 1;
    return [0, 1, 2].map((i) => Math.round(from[i] + (to[i] - from[i]) * t)) as Rgb;
  };
  return { min, max, stops, colourOf };
}

/** About `count` round values (1, 2 or 5 × 10^k apart) covering [lo, hi]; `dtick` (and `tick0`) fix the spacing. */
export function linearTicks(lo: number, hi: number, count: number, dtick?: unknown, tick0?: unknown): number[] {
  const [a, b] = [Math.min(lo, hi), Math.max(lo, hi)];
  if (!(b > a)) return [a];
  let step: number;
  if (finite(dtick) && dtick > 0 && (b - a) / dtick <= 200) step = dtick;
  else {
    const raw = (b - a) / Math.max(1, count);
    const power = 10 ** Math.floor(Math.log10(raw));
    step = [1, 2, 5, 10].map((m) => m * power).find((s) => s >= raw) ?? 10 * power;
  }
  const origin = finite(tick0) ? tick0 : 0;
  const ticks: number[] = [];
  for (let k = Math.ceil((a - origin) / step - 1e-9); origin + k * step <= b + step * 1e-9; k++) {
    ticks.push(Number((origin + k * step).toPrecision(12)));
  }
  return ticks;
}

/**
 * Tick labels for values `step` apart: as many decimals as the step needs, trailing zeros dropped (0, 0.5, 1), a true
 * minus sign, and 10k / 1.5M / 2B for large values.
 */
export function tickLabels(values: number[]): string[] {
  const step = values.length > 1 ? Math.abs(values[1] - values[0]) : Math.abs(values[0]) || 1;
  const largest = Math.max(...values.map(Math.abs));
  const [scale, suffix] = largest >= 1e9 ? [1e9, "B"] : largest >= 1e6 ? [1e6, "M"] : largest >= 1e4 ? [1e3, "k"] : [1, ""];
  let decimals = 0;
  while (decimals < 8 && Math.abs(Math.round((step / scale) * 10 ** decimals) - (step / scale) * 10 ** decimals) > 1e-6)
    decimals++;
  const plain = (v: number) =>
    (v / scale)
      .toFixed(decimals)
      .replace(/(\.\d*?)0+$/, "$1")
      .replace(/\.$/, "");
  return values.map((v) => (v === 0 ? "0" : `${plain(v)}${suffix}`).replace(/^-/, "−"));
}
