/**
 * The logit lens as a table: a row per layer, a column per position (the input tokens head the
 * columns), each cell the top prediction on its probability's colour. Hovering a cell lists the
 * top k with probabilities. Every string is set as text.
 */
import { DOMWidgetView } from "@jupyter-widgets/base";
import { colorOf, cssColor } from "../../../src/common/draw/colors";
import { displayToken, formatValue, positionLabel } from "../../../src/common/draw/tokens";
import { LogitLensFields, logitLensSpec } from "../../../src/views/logitLens/spec";
import { FieldAccess, fieldsOf } from "../core/model";
import { addStyle } from "../core/style";

export class LogitLensView extends DOMWidgetView {
  private fields!: FieldAccess<LogitLensFields>;

  render(): void {
    this.fields = fieldsOf(logitLensSpec, this.model);
    addStyle(document);
    this.el.classList.add("tslens-view", "tslens-logit-lens");
    this.listenTo(this.model, "change", () => this.build());
    this.build();
  }

  private build(): void {
    this.el.replaceChildren();
    const field = this.fields.get;
    const tokens = field("tokens");
    const labels = field("layerLabels");
    const top = field("topTokens");
    const probs = field("topProbs");
    const k = field("topK");
    if (!probs) return;
    const tooltip = document.createElement("div");
    tooltip.className = "tslens-tooltip";
    const scroller = document.createElement("div");
    scroller.className = "tslens-scroll";
    const table = document.createElement("table");
    table.className = "tslens-lens-table";
    const head = table.insertRow();
    head.insertCell().textContent = "layer \\ position";
    tokens.forEach((token) => {
      const cell = head.insertCell();
      cell.className = "tslens-lens-token";
      cell.textContent = displayToken(token);
    });
    labels.forEach((label, l) => {
      const row = table.insertRow();
      row.insertCell().textContent = label;
      tokens.forEach((_, p) => {
        const at = (l * tokens.length + p) * k;
        const cell = row.insertCell();
        cell.className = "tslens-lens-cell";
        cell.textContent = displayToken(top[l][p][0]);
        cell.style.background = cssColor(colorOf(probs[at], 0, 1));
        if (probs[at] > 0.6) cell.style.color = "white";
        cell.addEventListener("mouseenter", () => {
          const list = top[l][p].map((t, i) => `${displayToken(t)} ${formatValue(probs[at + i])}`).join(", ");
          tooltip.textContent = `${label} at ${positionLabel(tokens, p)}: ${list}`;
        });
        cell.addEventListener("mouseleave", () => (tooltip.textContent = ""));
      });
    });
    scroller.appendChild(table);
    this.el.append(scroller, tooltip);
  }
}
