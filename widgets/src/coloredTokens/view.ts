/**
 * Coloured tokens: each token (as text) on the colour of its value, a legend with the scale's
 * min and max, the value of the hovered token, and a selector between value sets (`selected`).
 */
import { DOMWidgetView } from "@jupyter-widgets/base";
import { colorOf, cssColor } from "../../../src/common/draw/colors";
import { rampPixels } from "../../../src/common/draw/pattern";
import { displayToken, formatValue, positionLabel } from "../../../src/common/draw/tokens";
import { addStyle } from "../style";
import type { ColoredTokensModel } from "./model";

export class ColoredTokensView extends DOMWidgetView {
  declare model: ColoredTokensModel;

  render(): void {
    addStyle(document);
    this.el.classList.add("tslens-view", "tslens-colored-tokens");
    this.listenTo(this.model, "change", () => this.build());
    this.build();
  }

  private build(): void {
    this.el.replaceChildren();
    const tokens = this.model.get("tokens") as string[];
    const names = this.model.get("set_names") as string[];
    const all = this.model.get("values") as Float32Array | null;
    const set = Math.max(0, names.indexOf(this.model.get("selected")));
    if (!all || names.length === 0) return;
    const [min, max] = [(this.model.get("value_mins") as number[])[set], (this.model.get("value_maxs") as number[])[set]];
    const values = all.subarray(set * tokens.length, (set + 1) * tokens.length);
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
    select.value = names[set];
    select.disabled = names.length === 1;
    select.addEventListener("change", () => {
      this.model.set("selected", select.value);
      this.model.save_changes();
    });
    const low = document.createElement("span");
    low.textContent = formatValue(min);
    const ramp = document.createElement("canvas");
    ramp.className = "tslens-ramp";
    ramp.width = 128;
    ramp.height = 1;
    const ctx = ramp.getContext("2d")!;
    const image = ctx.createImageData(128, 1);
    image.data.set(rampPixels(min, max, 128));
    ctx.putImageData(image, 0, 0);
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
