/**
 * Coloured tokens: each token (as text) on the colour of its value, in black or white whichever reads
 * better on that colour; a legend with ticks at min, 0 (when the scale crosses it) and max; the value of
 * the hovered token; and a selector between value sets (`selected`). Colours follow the page's theme.
 */
import { DOMWidgetView } from "@jupyter-widgets/base";
import { colorOf, cssColor, isDiverging, textColorOn } from "../../../src/common/draw/colors";
import type { Theme } from "../../../src/common/draw/colors";
import { rampPixels } from "../../../src/common/draw/pattern";
import { displayToken, formatValue, positionLabel } from "../../../src/common/draw/tokens";
import { ColoredTokensFields, coloredTokensSpec, selectedSet } from "../../../src/views/coloredTokens/spec";
import { FieldAccess, fieldsOf } from "../core/model";
import { element, paint } from "../core/dom";
import { addStyle } from "../core/style";
import { pageTheme, watchTheme } from "../core/theme";

/** The legend of the scale [min, max]: a ramp with a tick and a value at min, 0 (on a diverging scale) and max. */
export function scaleLegend(min: number, max: number, theme: Theme): HTMLElement {
  const legend = element("div", "tslens-scale");
  const ramp = element("canvas", "tslens-ramp", legend);
  paint(ramp, rampPixels(min, max, 128, theme), 128, 1);
  const ticks = element("div", "tslens-scale-ticks", legend);
  for (const value of isDiverging(min, max) ? [min, 0, max] : [min, max]) {
    const tick = element("span", "tslens-scale-tick", ticks);
    tick.textContent = formatValue(value);
    tick.dataset.value = String(value);
    tick.style.left = `${(100 * (value - min)) / (max - min)}%`;
  }
  return legend;
}

export class ColoredTokensView extends DOMWidgetView {
  private fields!: FieldAccess<ColoredTokensFields>;
  private stopWatching?: () => void;

  render(): void {
    this.fields = fieldsOf(coloredTokensSpec, this.model);
    addStyle(document);
    this.el.classList.add("tslens-view", "tslens-colored-tokens");
    this.listenTo(this.model, "change", () => this.build());
    this.stopWatching = watchTheme(() => this.build());
    this.build();
  }

  remove(): void {
    this.stopWatching?.();
    super.remove();
  }

  private build(): void {
    this.el.replaceChildren();
    const theme = pageTheme();
    const tokens = this.fields.get("tokens");
    const names = this.fields.get("setNames");
    const set = selectedSet(this.fields.get);
    if (!set) return;
    const { min, max, values } = set;
    const controls = element("div", "tslens-controls", this.el);
    const select = element("select", "tslens-set", controls);
    for (const name of names) {
      const option = element("option", "", select);
      option.value = name;
      option.textContent = name;
    }
    select.value = set.name;
    select.disabled = names.length === 1;
    select.addEventListener("change", () => this.fields.save("selected", select.value));
    if (max > min) controls.appendChild(scaleLegend(min, max, theme));
    const strip = element("div", "tslens-tokens", this.el);
    const tooltip = element("div", "tslens-tooltip", this.el);
    tokens.forEach((token, i) => {
      const span = element("span", "tslens-token", strip);
      span.textContent = displayToken(token);
      const background = colorOf(values[i], min, max, theme);
      span.style.background = cssColor(background);
      span.style.color = cssColor(textColorOn(background));
      span.addEventListener("mouseenter", () => (tooltip.textContent = `${positionLabel(tokens, i)}: ${formatValue(values[i])}`));
      span.addEventListener("mouseleave", () => (tooltip.textContent = ""));
    });
  }
}
