/**
 * The head-score grid: a layers × heads table of cells, layer 0 on top, each cell on its score's colour with the
 * score printed in it (black or white by the cell's colour) when the cell is large enough, and a colour bar titled
 * with the scale's note ("fixed 0 … 1", "autoscaled: max 0.08"). Hovering a cell shows its score below the grid
 * and previews that head in the linked attentionPatterns view (browser side, no kernel round trip); a click sets
 * `selected = { layer, head }` in the kernel, and the selected head is framed. Colours follow the page's theme.
 * Every string is set as text.
 */
import { DOMWidgetView, WidgetModel } from "@jupyter-widgets/base";
import { cssColor } from "../../../src/common/draw/colors";
import type { Theme } from "../../../src/common/draw/colors";
import { gridCell, gridCellSize, printsValues } from "../../../src/common/draw/grid";
import { rampPixels } from "../../../src/common/draw/pattern";
import { formatShort, formatValue } from "../../../src/common/draw/tokens";
import { HeadRef, headLabel } from "../../../src/common/heads";
import { HeadScoresFields, headScoresSpec, PREVIEW_HEAD_EVENT } from "../../../src/views/headScores/spec";
import { element, paint } from "../core/dom";
import { FieldAccess, fieldsOf } from "../core/model";
import { addStyle } from "../core/style";
import { pageTheme, watchTheme } from "../core/theme";

const HINT = "hover a cell to preview its head, click to select it";

const CSS = `
.tslens-head-scores { margin-right: 24px; }
.tslens-grid-box { display: flex; gap: 10px; align-items: flex-start; }
.tslens-score-grid { display: grid; gap: 1px; font-size: 10px; user-select: none; }
.tslens-score-grid .tslens-axis { color: var(--jp-ui-font-color2, #555); display: flex; align-items: center; justify-content: center; font-size: 10px; }
.tslens-score-grid .tslens-axis-layer { justify-content: flex-end; padding-right: 3px; }
.tslens-score-cell { display: flex; align-items: center; justify-content: center; cursor: pointer; font-variant-numeric: tabular-nums; box-sizing: border-box; }
.tslens-score-cell:hover { outline: 2px solid var(--jp-ui-font-color2, #555); outline-offset: -1px; z-index: 1; }
.tslens-score-cell.tslens-selected { outline: 3px solid var(--jp-ui-font-color0, #000); outline-offset: -2px; z-index: 2; }
.tslens-grid-scale { display: flex; flex-direction: column; gap: 2px; font-size: 10px; color: var(--jp-ui-font-color2, #555); }
.tslens-grid-scale-bar { display: flex; gap: 4px; }
.tslens-grid-scale canvas { width: 12px; image-rendering: pixelated; border: 1px solid var(--jp-border-color1, #bdbdbd); }
.tslens-grid-scale-ticks { display: flex; flex-direction: column; justify-content: space-between; }
.tslens-grid-scale-note { max-width: 9em; font-weight: 600; }
`;

/** Adds the grid's stylesheet to `doc` once. */
function addGridStyle(doc: Document): void {
  if (doc.getElementById("tslens-head-scores-style")) return;
  const style = doc.createElement("style");
  style.id = "tslens-head-scores-style";
  style.textContent = CSS;
  doc.head.appendChild(style);
}

export class HeadScoresView extends DOMWidgetView {
  private fields!: FieldAccess<HeadScoresFields>;
  private title!: HTMLDivElement;
  private box!: HTMLDivElement;
  private status!: HTMLDivElement;
  private stopWatching: (() => void) | undefined;
  /** The head previewed in the linked pattern view, as sent last (so leaving the grid sends null once). */
  private previewing: HeadRef | null = null;

  render(): void {
    this.fields = fieldsOf(headScoresSpec, this.model);
    addStyle(document);
    addGridStyle(document);
    this.el.classList.add("tslens-view", "tslens-head-scores");
    this.title = element("div", "tslens-title", this.el);
    this.box = element("div", "tslens-grid-box", this.el);
    this.status = element("div", "tslens-tooltip", this.el);
    this.listenTo(this.model, "change", () => this.draw());
    this.stopWatching = watchTheme(() => this.draw());
    this.draw();
  }

  private draw(): void {
    const field = this.fields.get;
    const theme = pageTheme();
    this.title.textContent = field("title");
    this.status.textContent = HINT;
    const grid = this.grid(theme);
    grid.addEventListener("mouseleave", () => {
      this.status.textContent = HINT;
      this.preview(null);
    });
    this.box.replaceChildren(grid, this.scale(theme));
  }

  /** The table of cells with layer labels on the left and head numbers on top. */
  private grid(theme: Theme): HTMLDivElement {
    const field = this.fields.get;
    const [layers, heads] = [field("nLayers"), field("nHeads")];
    const [min, max] = [field("valueMin"), field("valueMax")];
    const scores = field("scores");
    const selected = field("selected");
    const size = gridCellSize(layers, heads);
    const grid = element("div", "tslens-score-grid");
    grid.style.gridTemplateColumns = `auto repeat(${heads}, ${size}px)`;
    grid.style.gridAutoRows = `${size}px`;
    grid.style.gridTemplateRows = "1.4em";
    element("div", "tslens-axis", grid).textContent = "layer \\ head";
    const every = Math.max(1, Math.ceil(18 / size)); // head numbers at least 18 px apart
    for (let h = 0; h < heads; h++) element("div", "tslens-axis tslens-axis-head", grid).textContent = h % every ? "" : String(h);
    for (let l = 0; l < layers; l++) {
      element("div", "tslens-axis tslens-axis-layer", grid).textContent = `L${l}`;
      for (let h = 0; h < heads; h++) {
        const value = scores[l]?.[h] ?? NaN;
        const { background, text, label } = gridCell(value, min, max, theme);
        const cell = element("div", "tslens-score-cell", grid);
        cell.dataset.layer = String(l);
        cell.dataset.head = String(h);
        cell.style.background = cssColor(background);
        cell.style.color = cssColor(text);
        if (printsValues(size)) cell.textContent = label;
        if (selected && selected.layer === l && selected.head === h) cell.classList.add("tslens-selected");
        cell.addEventListener("mouseenter", () => {
          this.status.textContent = `${headLabel({ layer: l, head: h })}: ${formatValue(value)} — click to select`;
          this.preview({ layer: l, head: h });
        });
        cell.addEventListener("click", () => this.fields.save("selected", { layer: l, head: h }));
      }
    }
    return grid;
  }

  /** The colour bar: the scale's note, a vertical ramp from max (top) to min, and its ends (and 0 between). */
  private scale(theme: Theme): HTMLDivElement {
    const field = this.fields.get;
    const [min, max] = [field("valueMin"), field("valueMax")];
    const box = element("div", "tslens-grid-scale");
    element("div", "tslens-grid-scale-note", box).textContent = field("scaleNote");
    const bar = element("div", "tslens-grid-scale-bar", box);
    const canvas = element("canvas", "", bar);
    const height = Math.max(60, Math.min(200, field("nLayers") * gridCellSize(field("nLayers"), field("nHeads"))));
    canvas.style.height = `${height}px`;
    paint(canvas, verticalRamp(min, max, theme), 1, 128);
    const ticks = element("div", "tslens-grid-scale-ticks", bar);
    ticks.style.height = `${height}px`;
    const labels = min < 0 && max > 0 ? [max, 0, min] : [max, min];
    for (const v of labels) element("div", "", ticks).textContent = formatShort(v);
    return box;
  }

  /** Shows `head` in the linked pattern view (null: its selected head again). */
  private preview(head: HeadRef | null): void {
    if (head === this.previewing || (head && this.previewing && headLabel(head) === headLabel(this.previewing))) return;
    this.previewing = head;
    void this.linkedPatterns().then((patterns) => {
      if (!patterns) return;
      const names = (patterns.get("head_names") as string[] | undefined) ?? [];
      const index = head ? names.indexOf(headLabel(head)) : -1;
      patterns.trigger(PREVIEW_HEAD_EVENT, index >= 0 ? index : null);
    });
  }

  /** The attentionPatterns model named by `linkedPatterns`, or undefined. */
  private async linkedPatterns(): Promise<WidgetModel | undefined> {
    const ref = this.fields.get("linkedPatterns");
    if (!ref || !ref.startsWith("IPY_MODEL_")) return undefined;
    try {
      return await this.model.widget_manager.get_model(ref.slice("IPY_MODEL_".length));
    } catch {
      return undefined;
    }
  }

  remove(): void {
    this.stopWatching?.();
    super.remove();
  }
}

/** RGBA pixels of a 1 × 128 vertical ramp, max at the top. */
function verticalRamp(min: number, max: number, theme: Theme): Uint8ClampedArray {
  const row = rampPixels(min, max, 128, theme); // min → max, left to right
  const out = new Uint8ClampedArray(128 * 4);
  for (let y = 0; y < 128; y++) out.set(row.subarray((127 - y) * 4, (128 - y) * 4), y * 4);
  return out;
}
