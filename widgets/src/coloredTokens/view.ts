/**
 * Coloured tokens: each token (as text) on the colour of its value, a legend with the scale's
 * min and max, the value of the hovered token, and a selector between value sets (`selected`).
 */
import { DOMWidgetView } from "@jupyter-widgets/base";
import { colorOf, cssColor } from "../../../src/common/draw/colors";
import { rampPixels } from "../../../src/common/draw/pattern";
import { displayToken, formatValue, positionLabel } from "../../../src/common/draw/tokens";
import { ColoredTokensFields, coloredTokensSpec, selectedSet } from "../../../src/views/coloredTokens/spec";
import { FieldAccess, fieldsOf } from "../core/model";
import { paint } from "../core/dom";
import { addStyle } from "../core/style";

export class ColoredTokensView extends DOMWidgetView {
  private fields!: FieldAccess<ColoredTokensFields>;

  render(): void {
    this.fields = fieldsOf(coloredTokensSpec, this.model);
    addStyle(document);
    this.el.classList.add("tslens-view", "tslens-colored-tokens");
    this.listenTo(this.model, "change", () => this.build());
    this.build();
  }

  private build(): void {
    this.el.replaceChildren();
    const tokens = this.fields.get("tokens");
    const names = this.fields.get("setNames");
    const set = selectedSet(this.fields.get);
    if (!set) return;
    const { min, max, values } = set;
    const controls = document.createElement("div");
    controls.className = "tslens-controls";
    const select = document.createElement("select");
    select.className = "tslens-set";
    for (const name of names) {
      const option = document.createElement("option");
      option.value = name;
      option.textContent = name;
      select.appendChild(option);
    }
    select.value = set.name;
    select.disabled = names.length === 1;
    select.addEventListener("change", () => this.fields.save("selected", select.value));
    const low = document.createElement("span");
    low.textContent = formatValue(min);
    const ramp = document.createElement("canvas");
    ramp.className = "tslens-ramp";
    paint(ramp, rampPixels(min, max, 128), 128, 1);
    const high = document.createElement("span");
    high.textContent = formatValue(max);
    controls.append(select, low, ramp, high);
    const tooltip = document.createElement("div");
    tooltip.className = "tslens-tooltip";
    const strip = document.createElement("div");
    strip.className = "tslens-tokens";
    tokens.forEach((token, i) => {
      const span = document.createElement("span");
      span.className = "tslens-token";
      span.textContent = displayToken(token);
      span.style.background = cssColor(colorOf(values[i], min, max));
      span.addEventListener("mouseenter", () => (tooltip.textContent = `${positionLabel(tokens, i)}: ${formatValue(values[i])}`));
      span.addEventListener("mouseleave", () => (tooltip.textContent = ""));
      strip.appendChild(span);
    });
    this.el.append(controls, strip, tooltip);
  }
}
