/**
 * saeFeatures' token view: the text's tokens (as text) on the colour of one feature's activation (0 → its largest
 * on the text, in the page theme's palette, black or white text by contrast), a picker of the features that fire on
 * the text, and a panel listing the strongest features of the hovered token (a click on a token keeps its list).
 * Clicking a feature in that list, or "dashboard" next to the picker, colours the tokens by it and sends the kernel
 * `{ request: "dashboard", feature }`; the kernel fills the dashboard shown under this view.
 */
import { DOMWidgetView } from "@jupyter-widgets/base";
import { colorOf, cssColor, textColorOn } from "../../../src/common/draw/colors";
import { displayToken, formatValue, positionLabel } from "../../../src/common/draw/tokens";
import type { DashboardRequest } from "../../../src/views/saeFeatures/spec";
import { SaeFeatureTokensFields, saeFeatureTokensSpec, tokenFeatures } from "../../../src/views/saeFeatures/spec";
import { scaleLegend } from "../coloredTokens/view";
import { element } from "../core/dom";
import { FieldAccess, fieldsOf } from "../core/model";
import { addStyle } from "../core/style";
import { pageTheme, watchTheme } from "../core/theme";

const CSS = `
.tslens-sae-features .tslens-sae-body { display: flex; flex-wrap: wrap; gap: 8px 16px; align-items: flex-start; }
.tslens-sae-features .tslens-tokens { flex: 1 1 360px; }
.tslens-sae-panel { flex: 0 0 220px; margin-top: 8px; border: 1px solid var(--jp-border-color2, #e0e0e0); border-radius: 3px; padding: 4px 6px; min-height: 4em; }
.tslens-sae-panel-title { font-weight: 600; margin-bottom: 2px; white-space: pre; overflow: hidden; text-overflow: ellipsis; }
.tslens-sae-feature { display: flex; justify-content: space-between; width: 100%; font: inherit; cursor: pointer; padding: 1px 4px; margin: 1px 0; border: 1px solid transparent; border-radius: 3px; background: transparent; color: var(--jp-ui-font-color1, #222); font-variant-numeric: tabular-nums; }
.tslens-sae-feature:hover { border-color: var(--jp-brand-color1, #1976d2); }
.tslens-sae-feature.tslens-selected { border-color: var(--jp-brand-color1, #1976d2); font-weight: 700; }
.tslens-sae-hint { color: var(--jp-ui-font-color2, #555); font-style: italic; }
.tslens-sae-button { font: inherit; padding: 1px 8px; border-radius: 3px; cursor: pointer; border: 1px solid var(--jp-border-color1, #bdbdbd); background: var(--jp-layout-color2, #eee); color: var(--jp-ui-font-color1, #222); }
`;

/** Adds the view's stylesheet to `doc` once. */
function addSaeStyle(doc: Document): void {
  if (doc.getElementById("tslens-sae-features-style")) return;
  const style = doc.createElement("style");
  style.id = "tslens-sae-features-style";
  style.textContent = CSS;
  doc.head.appendChild(style);
}

export class SaeFeatureTokensView extends DOMWidgetView {
  private fields!: FieldAccess<SaeFeatureTokensFields>;
  private stopWatching?: () => void;
  /** The token whose features the panel keeps (clicked), or −1. */
  private locked = -1;

  render(): void {
    this.fields = fieldsOf(saeFeatureTokensSpec, this.model);
    addStyle(document);
    addSaeStyle(document);
    this.el.classList.add("tslens-view", "tslens-sae-features");
    this.listenTo(this.model, "change", () => this.build());
    this.stopWatching = watchTheme(() => this.build());
    this.build();
  }

  remove(): void {
    this.stopWatching?.();
    super.remove();
  }

  /** Colours the tokens by `feature` and asks the kernel for its dashboard. */
  private openDashboard(feature: number): void {
    if (feature !== this.fields.get("feature")) this.fields.save("feature", feature);
    const request: DashboardRequest = { request: "dashboard", feature };
    this.send(request);
  }

  private build(): void {
    this.el.replaceChildren();
    const get = this.fields.get;
    const acts = get("featureActs");
    if (!acts) return;
    const theme = pageTheme();
    const tokens = get("tokens");
    const feature = get("feature");
    const shown = get("actsFeature"); // the feature of featureActs: trails `feature` until the kernel answers a pick
    const max = get("featureMax");
    const pending = shown === feature ? "" : ` (asking the kernel for feature ${feature}…)`;
    element("div", "tslens-title", this.el).textContent =
      `SAE features at ${get("hookName")} (d_sae ${get("dSae")}); tokens coloured by feature ${shown}${pending}`;
    const controls = element("div", "tslens-controls", this.el);
    const picker = element("select", "tslens-sae-picker", controls);
    picker.title = "the features that fire on this text, strongest first";
    const choices = get("choices");
    const maxes = get("choiceMaxes");
    const listed = choices.includes(feature) ? choices : [feature, ...choices];
    for (const f of listed) {
      const option = element("option", "", picker);
      option.value = String(f);
      const i = choices.indexOf(f);
      option.textContent = i >= 0 ? `#${f} (max ${formatValue(maxes[i])})` : `#${f} (does not fire here)`;
    }
    picker.value = String(feature);
    picker.addEventListener("change", () => this.fields.save("feature", Number(picker.value)));
    const open = element("button", "tslens-sae-button tslens-sae-open", controls);
    open.textContent = "dashboard";
    open.title = "open this feature's dashboard (computed in the kernel)";
    open.addEventListener("click", () => this.openDashboard(Number(picker.value)));
    controls.appendChild(scaleLegend(0, max, theme));
    const body = element("div", "tslens-sae-body", this.el);
    const strip = element("div", "tslens-tokens", body);
    const panel = element("div", "tslens-sae-panel", body);
    const tooltip = element("div", "tslens-tooltip", this.el);
    const showPanel = (position: number) => {
      panel.replaceChildren();
      if (position < 0) {
        element("div", "tslens-sae-hint", panel).textContent = "hover a token for its top features; click to keep them";
        return;
      }
      element("div", "tslens-sae-panel-title", panel).textContent = `top features at ${positionLabel(tokens, position)}`;
      const list = tokenFeatures(get, position);
      if (list.length === 0) element("div", "tslens-sae-hint", panel).textContent = "no feature fires here";
      for (const { feature: f, act } of list) {
        const row = element("button", f === feature ? "tslens-sae-feature tslens-selected" : "tslens-sae-feature", panel);
        row.dataset.feature = String(f);
        row.title = `colour by feature ${f} and open its dashboard`;
        element("span", "", row).textContent = `#${f}`;
        element("span", "", row).textContent = formatValue(act);
        row.addEventListener("click", () => this.openDashboard(f));
      }
    };
    const spans = tokens.map((token, i) => {
      const span = element("span", i === this.locked ? "tslens-token tslens-locked" : "tslens-token", strip);
      span.textContent = displayToken(token);
      const background = colorOf(acts[i], 0, max, theme);
      span.style.background = cssColor(background);
      span.style.color = cssColor(textColorOn(background));
      span.addEventListener("mouseenter", () => {
        tooltip.textContent = `${positionLabel(tokens, i)}: feature ${shown} = ${formatValue(acts[i])}`;
        showPanel(i);
      });
      span.addEventListener("mouseleave", () => {
        tooltip.textContent = "";
        showPanel(this.locked);
      });
      span.addEventListener("click", () => {
        this.locked = this.locked === i ? -1 : i;
        spans.forEach((s, j) => s.classList.toggle("tslens-locked", j === this.locked));
        showPanel(this.locked >= 0 ? this.locked : i);
      });
      return span;
    });
    showPanel(this.locked);
  }
}
