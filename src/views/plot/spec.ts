/**
 * The synced fields of plot, shared by the kernel class (plot.ts) and the browser model and view
 * (widgets/src/plot/): a plotly figure as JSON. The state key "layout" belongs to the DOM widget's
 * own Layout, so the figure's layout travels as `figure_layout`.
 */
import { defineView, field } from "../../common/spec";
import type { FieldsOf } from "../../common/spec";

export const plotSpec = defineView("Plot", {
  /** The traces, as plotly.js takes them. */
  figureData: field<Record<string, unknown>[]>("figure_data", []),
  /** The figure's layout, as plotly.js takes it. */
  figureLayout: field<Record<string, unknown>>("figure_layout", {}),
});

/** The fields of plot. */
export type PlotFields = FieldsOf<typeof plotSpec>;

/** A plotly figure: traces and layout, as plotly.js takes them (JSON values). */
export interface Figure {
  data: Record<string, unknown>[];
  layout?: Record<string, unknown>;
}
