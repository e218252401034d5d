/**
 * The logit lens as a table: a row per layer, a column per position (the input tokens head the
 * columns), each cell the top prediction on its probability's colour. Hovering a cell lists the
 * top k with probabilities. Every string is set as text.
 */
import { DOMWidgetView } from "@jupyter-widgets/base";
import { colorOf, cssColor } from "../../../src/common/draw/colors";
import { displayToken, formatValue, positionLabel } from "../../../src/common/draw/tokens";
import { addStyle } from "../style";
import type { LogitLensModel } from "./model";

export class LogitLensView extends DOMWidgetView {
  declare model: LogitLensModel;

  render(): void {
    addStyle(document);
    this.el.classList.add("tslens-view", "tslens-logit-lens");
    this.listenTo(this.model, "change", () => this.build());
    this.build();
  }

  private build(): void {
    this.el.replaceChildren();
    const tokens = this.model.get("tokens") as string[];
    const labels = this.model.get("layer_labels") as string[];
    const top = this.model.get("top_tokens") as string[][][];
    const probs = this.model.get("top_probs") as Float32Array | null;
    const k = this.model.get("top_k") as number;
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
