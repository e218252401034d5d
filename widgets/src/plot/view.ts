/**
 * A plotly figure from the kernel, redrawn when the kernel updates it or the page's theme changes, in
 * tslens's template (core/plotly.ts) unless the figure brings its own. Every string of the figure has
 * "<" and ">" turned into entities first, so plotly shows them as characters, never as tags.
 */
import { DOMWidgetView } from "@jupyter-widgets/base";
import { PlotFields, plotSpec } from "../../../src/views/plot/spec";
import { FieldAccess, fieldsOf } from "../core/model";
import { plotly, themedFigure } from "../core/plotly";
import { addStyle } from "../core/style";
import { pageTheme, watchTheme } from "../core/theme";

/** `value` with "<" and ">" of every string replaced by entities (plotly's text accepts entities). */
export function escapeStrings(value: unknown): unknown {
  if (typeof value === "string") return value.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
  if (Array.isArray(value)) return value.map(escapeStrings);
  if (value !== null && typeof value === "object")
    return Object.fromEntries(Object.entries(value as Record<string, unknown>).map(([k, v]) => [k, escapeStrings(v)]));
  return value;
}

export class PlotView extends DOMWidgetView {
  private fields!: FieldAccess<PlotFields>;
  private chart!: HTMLDivElement;
  private stopWatching?: () => void;

  render(): void {
    this.fields = fieldsOf(plotSpec, this.model);
    addStyle(document);
    this.el.classList.add("tslens-view", "tslens-plot");
    this.chart = document.createElement("div");
    this.el.appendChild(this.chart);
    this.listenTo(this.model, this.fields.changes("figureData", "figureLayout"), () => void this.draw());
    this.stopWatching = watchTheme(() => void this.draw());
    void this.draw();
  }

  private async draw(): Promise<void> {
    const Plotly = await plotly();
    const data = escapeStrings(this.fields.get("figureData")) as Record<string, unknown>[];
    const layout = escapeStrings(this.fields.get("figureLayout")) as Record<string, unknown>;
    const figure = themedFigure(data, layout, pageTheme());
    await Plotly.react(this.chart, figure.data, figure.layout, { displayModeBar: false });
  }

  remove(): void {
    this.stopWatching?.();
    void plotly().then((Plotly) => Plotly.purge(this.chart));
    super.remove();
  }
}
