/**
 * Activation patching and attribution patching of the same sweep side by side: two heatmaps with linked axes (zoom
 * or pan one, the other follows) on one colour scale centred at 0, and the Pearson correlation of the grids in the
 * title.
 *
 *   const patched = await lens.getActPatchResidPre(model, corrupted, clean, metric);
 *   const estimate = await lens.attrPatchResidPre(model, corrupted, clean, metric);
 *   lens.attributionVsPatching(patched, estimate, { corruptedValue, yLabel: "layer", xLabel: "position" });
 */
import type { Tensor } from "@tensorflow/tfjs-core";
import { describeValue, isTensor } from "../../model/hooks";
import { Plot, plot } from "../../views/plot/plot";

/** Options of attributionVsPatching. */
export interface AttributionVsPatchingOptions {
  /**
   * The metric on the unpatched corrupted run: subtracted from the activation-patching grid, so both panels show the
   * change of the metric (attribution estimates the change). The correlation does not depend on it.
   */
  corruptedValue?: number;
  /** Name of the first axis (rows), e.g. "layer". */
  yLabel?: string;
  /** Name of the other axes (columns; a 3-D grid's last two axes are flattened as "i:j"), e.g. "position". */
  xLabel?: string;
  title?: string;
}

/** A grid [rows, …] as rows of numbers (axes after the first flattened) and its column labels. */
function rowsOf(grid: Tensor | number[][], name: string): { rows: number[][]; columns: string[]; shape: number[] } {
  if (Array.isArray(grid)) {
    if (!grid.every((row) => Array.isArray(row) && row.length === grid[0].length && row.every((v) => typeof v === "number")))
      throw new Error(`${name} must be a tensor [rows, columns(, …)] or rows of numbers of one length`);
    return { rows: grid, columns: grid[0]?.map((_, j) => String(j)) ?? [], shape: [grid.length, grid[0]?.length ?? 0] };
  }
  if (!isTensor(grid) || grid.isDisposed || grid.rank < 2 || grid.rank > 3)
    throw new Error(`${name} must be a 2-D or 3-D tensor (a patching grid), got ${describeValue(grid)}`);
  const [n, ...rest] = grid.shape;
  const width = rest.reduce((a, b) => a * b, 1);
  const flat = Array.from(grid.dataSync());
  const rows = Array.from({ length: n }, (_, i) => flat.slice(i * width, (i + 1) * width));
  const columns =
    rest.length === 1
      ? Array.from({ length: width }, (_, j) => String(j))
      : Array.from({ length: width }, (_, j) => `${Math.floor(j / rest[1])}:${j % rest[1]}`);
  return { rows, columns, shape: grid.shape };
}

/** Pearson correlation of two equal-length lists (NaN when either is constant). */
export function pearson(a: number[], b: number[]): number {
  const mean = (v: number[]) => v.reduce((s, x) => s + x, 0) / v.length;
  const [ma, mb] = [mean(a), mean(b)];
  let [ab, aa, bb] = [0, 0, 0];
  for (let i = 0; i < a.length; i++) {
    ab += (a[i] - ma) * (b[i] - mb);
    aa += (a[i] - ma) ** 2;
    bb += (b[i] - mb) ** 2;
  }
  return ab / Math.sqrt(aa * bb);
}

/**
 * Two linked heatmaps: the activation-patching grid (minus `corruptedValue` when given) and the attribution-patching
 * grid of the same sweep, same shape ([n_layers, …], e.g. getActPatchResidPre's and attrPatchResidPre's), with their
 * correlation in the title. Returns a Plot view.
 */
export function attributionVsPatching(
  patched: Tensor | number[][],
  attribution: Tensor | number[][],
  options: AttributionVsPatchingOptions = {},
): Plot {
  const act = rowsOf(patched, "the activation-patching grid");
  const attr = rowsOf(attribution, "the attribution grid");
  if (act.shape.join() !== attr.shape.join())
    throw new Error(`the grids must have one shape: activation patching [${act.shape}], attribution [${attr.shape}]`);
  const shift = options.corruptedValue ?? 0;
  const change = act.rows.map((row) => row.map((v) => v - shift));
  const r = pearson(change.flat(), attr.rows.flat());
  const extent = Math.max(...change.flat().map(Math.abs), ...attr.rows.flat().map(Math.abs)) || 1;
  const heat = (z: number[][], axes: string, title: string) => ({
    type: "heatmap",
    z,
    x: act.columns,
    xaxis: `x${axes}`,
    yaxis: `y${axes}`,
    coloraxis: "coloraxis",
    name: title,
    hovertemplate: `${title}<br>${options.yLabel ?? "row"} %{y}, ${options.xLabel ?? "column"} %{x}: %{z:.4g}<extra></extra>`,
  });
  const axis = (label: string | undefined, extra: Record<string, unknown> = {}) => ({ title: { text: label ?? "" }, ...extra });
  const rowTicks = { tick0: 0, dtick: Math.max(1, Math.ceil(act.rows.length / 12)) }; // whole rows only, no "0.5"
  return plot({
    data: [heat(change, "", "activation patching"), heat(attr.rows, "2", "attribution patching")],
    layout: {
      title: { text: `${options.title ?? "activation vs attribution patching"} (correlation r = ${r.toFixed(3)})` },
      grid: { rows: 1, columns: 2, pattern: "independent" },
      xaxis: axis(options.xLabel),
      yaxis: axis(options.yLabel, { autorange: "reversed", ...rowTicks }),
      xaxis2: axis(options.xLabel, { matches: "x" }),
      yaxis2: axis(options.yLabel, { matches: "y", autorange: "reversed", ...rowTicks }),
      coloraxis: { colorscale: "RdBu", cmin: -extent, cmax: extent, reversescale: true },
      annotations: [
        { text: "activation patching (change)", x: 0.2, y: 1.02, xref: "paper", yref: "paper", showarrow: false },
        { text: "attribution patching", x: 0.8, y: 1.02, xref: "paper", yref: "paper", showarrow: false },
      ],
    },
  });
}
