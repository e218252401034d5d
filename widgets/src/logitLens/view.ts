/**
 * The logit lens as a table: a row per layer, a column per position (the input tokens head the columns), each cell
 * the top prediction on its probability's colour with text in black or white by textColorOn, in the page theme's
 * colours. The header row and the layer column stay in place when the table scrolls (position: sticky), and a
 * "next token" row at the bottom (sticky too) holds the actual next token at each position; a cell whose top
 * prediction is that token is marked (✓ and a bar along its bottom). Hovering a cell lists the top k with
 * probabilities and where the next token ranks. Every string is set as text. A view made from a model and a text has
 * a prompt box above the table (the prompt field is not null): its text is sent when it loses focus, and whoever
 * answers (the kernel, or the page of a live export) sets the new prompt's fields or an error, shown under the box.
 */
import { DOMWidgetView } from "@jupyter-widgets/base";
import { colorOf, cssColor, textColorOn } from "../../../src/common/draw/colors";
import { displayToken, formatValue, positionLabel } from "../../../src/common/draw/tokens";
import { LENS_PLACEHOLDER, LogitLensFields, logitLensSpec } from "../../../src/views/logitLens/spec";
import { element } from "../core/dom";
import { FieldAccess, fieldsOf } from "../core/model";
import { addStyle } from "../core/style";
import { pageTheme, watchTheme } from "../core/theme";

const CSS = `
.tslens-logit-lens .tslens-scroll { max-height: 26em; overflow: auto; }
.tslens-lens-table { border-collapse: separate; border-spacing: 0; }
.tslens-lens-table td { border: 0; border-right: 1px solid var(--jp-border-color2, #e0e0e0); border-bottom: 1px solid var(--jp-border-color2, #e0e0e0); }
.tslens-lens-table tr.tslens-lens-head td { position: sticky; top: 0; z-index: 2; background: var(--jp-layout-color1, #fff); border-bottom: 2px solid var(--jp-border-color1, #bdbdbd); }
.tslens-lens-table td.tslens-lens-label { position: sticky; left: 0; z-index: 1; background: var(--jp-layout-color1, #fff); font-weight: 600; border-right: 2px solid var(--jp-border-color1, #bdbdbd); }
.tslens-lens-table tr.tslens-lens-head td.tslens-lens-label { z-index: 3; }
.tslens-lens-table tr.tslens-lens-next td { position: sticky; bottom: 0; z-index: 2; background: var(--jp-layout-color2, #eee); border-top: 2px solid var(--jp-border-color1, #bdbdbd); font-weight: 600; }
.tslens-lens-table tr.tslens-lens-next td.tslens-lens-label { z-index: 3; }
.tslens-lens-cell.tslens-lens-hit { font-weight: 700; }
.tslens-lens-prompt { display: block; width: 100%; box-sizing: border-box; margin-bottom: 4px; font-family: inherit; background: var(--jp-layout-color1, #fff); color: var(--jp-ui-font-color1, #000); border: 1px solid var(--jp-border-color1, #bdbdbd); }
.tslens-lens-error { color: var(--jp-error-color1, #d32f2f); margin-bottom: 2px; }
.tslens-lens-note { color: var(--jp-ui-font-color2, #555); margin-bottom: 2px; }
`;

/** Adds the lens's stylesheet to `doc` once. */
function addLensStyle(doc: Document): void {
  if (doc.getElementById("tslens-logit-lens-style")) return;
  const style = doc.createElement("style");
  style.id = "tslens-logit-lens-style";
  style.textContent = CSS;
  doc.head.appendChild(style);
}

export class LogitLensView extends DOMWidgetView {
  private fields!: FieldAccess<LogitLensFields>;
  private stopWatching: (() => void) | undefined;
  /** The prompt box (kept across redraws, so typing is never interrupted); undefined when the view has none. */
  private promptBox: HTMLTextAreaElement | undefined;
  /** Where the table is drawn (everything under the prompt box). */
  private content!: HTMLElement;

  render(): void {
    this.fields = fieldsOf(logitLensSpec, this.model);
    addStyle(document);
    addLensStyle(document);
    this.el.classList.add("tslens-view", "tslens-logit-lens");
    this.content = element("div", "tslens-lens-content", this.el);
    this.listenTo(this.model, "change", () => this.build());
    this.stopWatching = watchTheme(() => this.build());
    this.build();
  }

  /** Adds the prompt box when the prompt field is set (once), and keeps its text the model's unless it has focus. */
  private syncPromptBox(): void {
    const prompt = this.fields.get("prompt");
    if (prompt === null) return;
    if (!this.promptBox) {
      const box = document.createElement("textarea");
      box.className = "tslens-lens-prompt";
      box.rows = 2;
      box.placeholder = LENS_PLACEHOLDER;
      box.setAttribute("aria-label", "prompt");
      box.addEventListener("change", () => this.fields.save("prompt", box.value));
      this.el.insertBefore(box, this.content);
      this.promptBox = box;
    }
    if (document.activeElement !== this.promptBox && this.promptBox.value !== prompt) this.promptBox.value = prompt;
  }

  private build(): void {
    this.syncPromptBox();
    const scrollTop = this.el.querySelector(".tslens-scroll")?.scrollTop ?? 0;
    const scrollLeft = this.el.querySelector(".tslens-scroll")?.scrollLeft ?? 0;
    this.content.replaceChildren();
    const field = this.fields.get;
    const error = field("promptError");
    if (error) element("div", "tslens-lens-error", this.content).textContent = `error: ${error}`;
    const tokens = field("tokens");
    const labels = field("layerLabels");
    const top = field("topTokens");
    const probs = field("topProbs");
    const k = field("topK");
    const next = field("nextTokens");
    const ranks = field("nextRank");
    if (!probs) return;
    const theme = pageTheme();
    element("div", "tslens-lens-note", this.content).textContent =
      "top prediction after each layer; colour: its probability (0 → 1); ✓ and a bar: it is the next token";
    const scroller = element("div", "tslens-scroll", this.content);
    const tooltip = element("div", "tslens-tooltip", this.content);
    const table = element("table", "tslens-lens-table", scroller);
    const head = table.insertRow();
    head.className = "tslens-lens-head";
    const corner = head.insertCell();
    corner.className = "tslens-lens-label";
    corner.textContent = "layer \\ position";
    tokens.forEach((token, p) => {
      const cell = head.insertCell();
      cell.className = "tslens-lens-token";
      cell.textContent = displayToken(token);
      cell.title = positionLabel(tokens, p);
    });
    labels.forEach((label, l) => {
      const row = table.insertRow();
      const name = row.insertCell();
      name.className = "tslens-lens-label";
      name.textContent = label;
      tokens.forEach((_, p) => {
        const at = (l * tokens.length + p) * k;
        const cell = row.insertCell();
        const background = colorOf(probs[at], 0, 1, theme);
        const text = textColorOn(background);
        const hit = ranks[l]?.[p] === 0;
        cell.className = hit ? "tslens-lens-cell tslens-lens-hit" : "tslens-lens-cell";
        cell.textContent = `${hit ? "✓" : ""}${displayToken(top[l][p][0])}`;
        cell.style.background = cssColor(background);
        cell.style.color = cssColor(text);
        if (hit) cell.style.boxShadow = `inset 0 -3px 0 ${cssColor(text)}`;
        cell.addEventListener("mouseenter", () => {
          const list = top[l][p].map((t, i) => `${displayToken(t)} ${formatValue(probs[at + i])}`).join(", ");
          const rank = ranks[l]?.[p] ?? -1;
          const nextText = next[p] ? displayToken(next[p]) : "";
          const verdict = !nextText
            ? ""
            : rank >= 0
              ? ` — next token ${nextText} is #${rank + 1}`
              : ` — next token ${nextText} not in the top ${k}`;
          tooltip.textContent = `${label} at ${positionLabel(tokens, p)}: ${list}${verdict}`;
        });
        cell.addEventListener("mouseleave", () => (tooltip.textContent = ""));
      });
    });
    const nextRow = table.insertRow();
    nextRow.className = "tslens-lens-next";
    const nextName = nextRow.insertCell();
    nextName.className = "tslens-lens-label";
    nextName.textContent = "next token";
    tokens.forEach((_, p) => {
      const cell = nextRow.insertCell();
      cell.className = "tslens-lens-next-token";
      cell.textContent = next[p] ? displayToken(next[p]) : "—";
    });
    scroller.scrollTop = scrollTop;
    scroller.scrollLeft = scrollLeft;
  }

  remove(): void {
    this.stopWatching?.();
    super.remove();
  }
}
