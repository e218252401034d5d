/** plotly.js, loaded on first use (its own chunk of the extension, so views without charts do not wait for it). */
import type PlotlyType from "plotly.js-cartesian-dist-min";
import { cssColor, scaleStops } from "../../../src/common/draw/colors";

let loading: Promise<typeof PlotlyType> | undefined;

/** The plotly module. */
export function plotly(): Promise<typeof PlotlyType> {
  loading ??= import("plotly.js-cartesian-dist-min").then(
    (m) => ((m as { default?: typeof PlotlyType }).default ?? m) as typeof PlotlyType,
  );
  return loading;
}

/** tslens's colour scale for [min, max] as a plotly colorscale. */
export function colorscale(min: number, max: number): [number, string][] {
  return scaleStops(min, max).map(([at, rgb]) => [at, cssColor(rgb)]);
}
