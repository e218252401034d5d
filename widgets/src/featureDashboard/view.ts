/**
 * A feature's dashboard: its title and firing density, the top-activating examples (each a row of tokens with the
 * firing token on its activation's colour, black or white text by contrast; hover for the row and position), the
 * promoted and suppressed tokens with their W_dec · W_U values and bars, and the activation histogram (hover a bar
 * for its range and count). Colours follow the page theme; every string is set as text.
 */
import { DOMWidgetView } from "@jupyter-widgets/base";
import { colorOf, cssColor, paletteOf, textColorOn } from "../../../src/common/draw/colors";
import { displayToken, formatValue } from "../../../src/common/draw/tokens";
import { FeatureDashboardFields, featureDashboardSpec } from "../../../src/views/featureDashboard/spec";
import { element } from "../core/dom";
import { FieldAccess, fieldsOf } from "../core/model";
import { addStyle } from "../core/style";
import { pageTheme, watchTheme } from "../core/theme";

const CSS = `
.tslens-dashboard .tslens-dash-status { font-style: italic; color: var(--jp-ui-font-color2, #555); min-height: 1.3em; }
.tslens-dashboard .tslens-dash-note { color: var(--jp-ui-font-color2, #555); }
.tslens-dashboard h4 { margin: 8px 0 2px; font-size: 12px; }
.tslens-dash-example { display: flex; gap: 6px; align-items: baseline; margin: 1px 0; }
.tslens-dash-act { flex: 0 0 4.5em; text-align: right; font-variant-numeric: tabular-nums; }
.tslens-dash-context { display: flex; flex-wrap: wrap; gap: 1px; }
.tslens-dash-context span { padding: 0 2px; white-space: pre; border-radius: 2px; }
.tslens-dash-logits { display: flex; flex-wrap: wrap; gap: 4px 32px; }
.tslens-dash-logit { display: grid; grid-template-columns: 9em 5em 120px; gap: 4px; align-items: center; font-variant-numeric: tabular-nums; }
.tslens-dash-logit .tslens-dash-token { white-space: pre; overflow: hidden; text-overflow: ellipsis; }
.tslens-dash-bar { height: 10px; }
.tslens-dash-hist { display: flex; align-items: flex-end; gap: 1px; height: 80px; width: min(560px, 90vw); border-bottom: 1px solid var(--jp-border-color1, #bdbdbd); }
.tslens-dash-hist div { flex: 1 1 0; min-height: 0; }
.tslens-dash-axis { display: flex; justify-content: space-between; width: min(560px, 90vw); color: var(--jp-ui-font-color2, #555); font-size: 11px; }
`;

/** Adds the dashboard's stylesheet to `doc` once. */
function addDashboardStyle(doc: Document): void {
  if (doc.getElementById("tslens-dashboard-style")) return;
  const style = doc.createElement("style");
  style.id = "tslens-dashboard-style";
  style.textContent = CSS;
  doc.head.appendChild(style);
}

export class FeatureDashboardView extends DOMWidgetView {
  private fields!: FieldAccess<FeatureDashboardFields>;
  private stopWatching?: () => void;

  render(): void {
    this.fields = fieldsOf(featureDashboardSpec, this.model);
    addStyle(document);
    addDashboardStyle(document);
    this.el.classList.add("tslens-view", "tslens-dashboard");
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
    const get = this.fields.get;
    const theme = pageTheme();
    const feature = get("feature");
    element("div", "tslens-title", this.el).textContent =
      feature >= 0 ? `feature ${feature} · ${get("saeName")}` : `feature dashboard · ${get("saeName")}`;
    if (get("status")) element("div", "tslens-dash-status", this.el).textContent = get("status");
    if (feature < 0) return;
    if (get("tokensSeen") > 0)
      element("div", "tslens-dash-density", this.el).textContent =
        `fires on ${get("nonZero")} of ${get("tokensSeen")} tokens (density ${formatValue(get("density"))})`;
    for (const note of get("notes")) element("div", "tslens-dash-note", this.el).textContent = note;
    this.buildExamples(theme);
    this.buildLogits(theme);
    this.buildHistogram(theme);
  }

  /** The top examples: activation, then the context with the firing token coloured. */
  private buildExamples(theme: ReturnType<typeof pageTheme>): void {
    const get = this.fields.get;
    const acts = get("exampleActs");
    if (acts.length === 0) return;
    element("h4", "", this.el).textContent = "top activations";
    const top = Math.max(...acts);
    get("exampleTokens").forEach((tokens, e) => {
      const row = element("div", "tslens-dash-example", this.el);
      row.title = `row ${get("exampleRows")[e]}, position ${get("examplePositions")[e]}`;
      element("span", "tslens-dash-act", row).textContent = formatValue(acts[e]);
      const context = element("span", "tslens-dash-context", row);
      tokens.forEach((token, i) => {
        const span = element("span", "", context);
        span.textContent = displayToken(token);
        if (i !== get("exampleIndex")[e]) return;
        const background = colorOf(acts[e], 0, top, theme);
        span.className = "tslens-dash-firing";
        span.style.background = cssColor(background);
        span.style.color = cssColor(textColorOn(background));
      });
    });
  }

  /** Promoted and suppressed tokens, side by side, each with its value and a bar. */
  private buildLogits(theme: ReturnType<typeof pageTheme>): void {
    const get = this.fields.get;
    const lists = [
      { title: "promotes (W_dec · W_U, highest)", tokens: get("topTokens"), values: get("topValues") },
      { title: "suppresses (lowest)", tokens: get("bottomTokens"), values: get("bottomValues") },
    ];
    if (lists[0].tokens.length === 0) return;
    const reach = Math.max(1e-12, ...lists.flatMap((l) => l.values.map(Math.abs)));
    const { positive, negative } = paletteOf(theme);
    const box = element("div", "tslens-dash-logits", this.el);
    for (const list of lists) {
      const column = element("div", "tslens-dash-logit-list", box);
      element("h4", "", column).textContent = list.title;
      list.tokens.forEach((token, i) => {
        const row = element("div", "tslens-dash-logit", column);
        element("span", "tslens-dash-token", row).textContent = displayToken(token);
        element("span", "tslens-dash-value", row).textContent = formatValue(list.values[i]);
        const bar = element("div", "tslens-dash-bar", row);
        bar.style.width = `${Math.max(1, Math.round((Math.abs(list.values[i]) / reach) * 120))}px`;
        bar.style.background = cssColor(list.values[i] >= 0 ? positive : negative);
      });
    }
  }

  /** The histogram of non-zero activations: a bar per bin, its range and count on hover. */
  private buildHistogram(theme: ReturnType<typeof pageTheme>): void {
    const get = this.fields.get;
    const counts = get("histCounts");
    const edges = get("histEdges");
    if (get("nonZero") === 0) return;
    element("h4", "", this.el).textContent = `activation histogram (largest bin: ${Math.max(...counts)})`;
    const hist = element("div", "tslens-dash-hist", this.el);
    const most = Math.max(1, ...counts);
    counts.forEach((count, i) => {
      const bar = element("div", "", hist);
      bar.style.height = `${(100 * count) / most}%`;
      bar.style.background = cssColor(paletteOf(theme).positive);
      bar.title = `${formatValue(edges[i])} … ${formatValue(edges[i + 1])}: ${count}`;
    });
    const axis = element("div", "tslens-dash-axis", this.el);
    element("span", "", axis).textContent = formatValue(edges[0]);
    element("span", "", axis).textContent = formatValue(edges[edges.length - 1]);
  }
}
