/**
 * `plot({ data, layout })`: any plotly figure, drawn by plotly.js in the view (shipped with the
 * extension). `p.update({ data, layout })` redraws it from the kernel. Strings in the figure are
 * shown as text: the view escapes "<" and ">" before plotly reads them (plotly would treat them as tags).
 */
import type { ValueOf } from "../../common/spec";
import { ViewWidget } from "../core/viewWidget";
import { plotPng } from "./snapshot";
import { Figure, PlotFields, plotSpec } from "./spec";

function checkFigure(figure: Figure): Figure {
  if (!figure || !Array.isArray(figure.data) || !figure.data.every((t) => t !== null && typeof t === "object"))
    throw new Error("plot needs { data: [trace, …], layout? } with each trace an object");
  if (figure.layout !== undefined && (figure.layout === null || typeof figure.layout !== "object"))
    throw new Error("layout must be an object");
  try {
    return JSON.parse(JSON.stringify({ data: figure.data, layout: figure.layout ?? {} })) as Figure;
  } catch (error) {
    throw new Error(`the figure must be JSON (numbers, strings, lists, objects): ${(error as Error).message}`);
  }
}

/** A plotly figure view. */
export class Plot extends ViewWidget<PlotFields> {
  /** The traces (state key figure_data; "layout" is taken by the widget's own Layout). */
  declare figureData: ValueOf<typeof plotSpec, "figureData">;
  declare figureLayout: ValueOf<typeof plotSpec, "figureLayout">;

  constructor(figure: Figure) {
    const { data, layout } = checkFigure(figure);
    super(plotSpec, { figureData: data, figureLayout: layout ?? {} });
  }

  /** Replaces the figure (or parts of it); the view redraws. */
  update(figure: Partial<Figure>): void {
    const next = checkFigure({ data: figure.data ?? this.figureData, layout: figure.layout ?? this.figureLayout });
    this.setFields({ figureData: next.data, figureLayout: next.layout ?? {} });
  }

  protected snapshot(): Uint8Array | undefined {
    return plotPng({ data: this.figureData, layout: this.figureLayout });
  }

  override toString(): string {
    const types = this.figureData.map((t) => String(t.type ?? "scatter"));
    return `Plot(${types.length} trace${types.length === 1 ? "" : "s"}: ${types.join(", ")})`;
  }
}

/** Shows a plotly figure. */
export function plot(figure: Figure): Plot {
  return new Plot(figure);
}
