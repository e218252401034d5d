/**
 * The composition view: a Q/K/V switch over one heatmap of earlier heads (rows) × later heads (columns), drawn on a
 * canvas by the same code as the kernel's PNG (src/common/draw/composition.ts) in the page's theme, a colour bar
 * titled with the scale's note, and the strongest edges of the shown kind listed as text. Hovering a cell or a listed
 * edge frames it and writes its exact Q, K and V scores below the grid; a click selects it (`selected` in the kernel).
 * Every string is set as text.
 */
import { DOMWidgetView } from "@jupyter-widgets/base";
import type { Theme } from "../../../src/common/draw/colors";
import { formatValue } from "../../../src/common/draw/tokens";
import { cellAt, compositionLayout, drawComposition } from "../../../src/common/draw/composition";
import type { CompositionLayout } from "../../../src/common/draw/composition";
import {
  columnHead,
  CompositionGrid,
  CompositionKind,
  EdgeRef,
  edgeLabel,
  edgeText,
  isEdge,
  KIND_INPUT,
  KINDS,
  rowHead,
  scoreAt,
  strongestEdges,
} from "../../../src/common/draw/compositionEdges";
import { CompositionViewFields, compositionViewSpec } from "../../../src/views/compositionView/spec";
import { element } from "../core/dom";
import { FieldAccess, fieldsOf } from "../core/model";
import { addStyle } from "../core/style";
import { pageTheme, watchTheme } from "../core/theme";

const HINT = "hover a cell or an edge for its Q, K and V scores; click to select it";

const CSS = `
.tslens-composition .tslens-comp-body { display: flex; flex-wrap: wrap; gap: 12px 20px; align-items: flex-start; }
.tslens-composition canvas.tslens-comp-grid { display: block; cursor: crosshair; }
.tslens-comp-kinds { display: inline-flex; gap: 0; }
.tslens-comp-kinds button { font: inherit; padding: 2px 10px; cursor: pointer; border: 1px solid var(--jp-border-color1, #bdbdbd); background: var(--jp-layout-color1, #fff); color: var(--jp-ui-font-color1, #222); }
.tslens-comp-kinds button[aria-pressed="true"] { background: var(--jp-brand-color1, #1976d2); border-color: var(--jp-brand-color1, #1976d2); color: var(--jp-ui-inverse-font-color0, #fff); font-weight: 600; }
.tslens-comp-side { display: flex; flex-direction: column; gap: 4px; min-width: 14em; }
.tslens-comp-note { color: var(--jp-ui-font-color1, #222); max-width: 22em; }
.tslens-comp-edges-title { font-weight: 600; margin-top: 4px; }
.tslens-comp-edges { margin: 0; padding-left: 1.8em; font-family: var(--jp-code-font-family, monospace); font-size: 11px; }
.tslens-comp-edges li { cursor: pointer; white-space: pre; padding: 0 2px; width: fit-content; }
.tslens-comp-edges li:hover { outline: 1px dashed var(--jp-ui-font-color2, #555); }
.tslens-comp-edges li.tslens-selected { outline: 2px solid var(--jp-ui-font-color0, #000); }
`;

/** Adds the view's stylesheet to `doc` once. */
function addCompositionStyle(doc: Document): void {
  if (doc.getElementById("tslens-composition-style")) return;
  const style = doc.createElement("style");
  style.id = "tslens-composition-style";
  style.textContent = CSS;
  doc.head.appendChild(style);
}

const sameEdge = (a: EdgeRef | null | undefined, b: EdgeRef | null | undefined) => !!a && !!b && edgeLabel(a) === edgeLabel(b);

export class CompositionViewView extends DOMWidgetView {
  private fields!: FieldAccess<CompositionViewFields>;
  private title!: HTMLDivElement;
  private kinds!: HTMLDivElement;
  private canvas!: HTMLCanvasElement;
  private side!: HTMLDivElement;
  private status!: HTMLDivElement;
  private layout!: CompositionLayout;
  /** The edge framed by a hover (grid or list), or null. */
  private hovered: EdgeRef | null = null;
  private stopWatching: (() => void) | undefined;

  render(): void {
    this.fields = fieldsOf(compositionViewSpec, this.model);
    addStyle(document);
    addCompositionStyle(document);
    this.el.classList.add("tslens-view", "tslens-composition");
    this.title = element("div", "tslens-title", this.el);
    const controls = element("div", "tslens-controls", this.el);
    element("span", "", controls).textContent = "later head reads through its";
    this.kinds = element("div", "tslens-comp-kinds", controls);
    for (const kind of KINDS) {
      const button = element("button", "", this.kinds);
      button.type = "button";
      button.dataset.kind = kind;
      button.textContent = `${KIND_INPUT[kind]} (${kind})`;
      button.addEventListener("click", () => this.fields.save("kind", kind));
    }
    const body = element("div", "tslens-comp-body", this.el);
    this.canvas = element("canvas", "tslens-comp-grid", body);
    this.side = element("div", "tslens-comp-side", body);
    this.status = element("div", "tslens-tooltip", this.el);
    this.status.textContent = HINT;
    this.canvas.addEventListener("mousemove", (event) => this.hoverCell(event));
    this.canvas.addEventListener("mouseleave", () => this.hover(null));
    this.canvas.addEventListener("click", (event) => {
      const edge = this.edgeAt(event);
      if (edge) this.fields.save("selected", edge);
    });
    this.listenTo(this.model, "change", () => this.draw());
    this.stopWatching = watchTheme(() => this.draw());
    this.draw();
  }

  /** The grid's numbers, or undefined before the scores arrive. */
  private grid(): CompositionGrid | undefined {
    const scores = this.fields.get("scores");
    return scores ? { nLayers: this.fields.get("nLayers"), nHeads: this.fields.get("nHeads"), scores } : undefined;
  }

  private draw(): void {
    const field = this.fields.get;
    this.title.textContent = field("title");
    const kind = field("kind");
    for (const button of Array.from(this.kinds.children) as HTMLButtonElement[])
      button.setAttribute("aria-pressed", String(button.dataset.kind === kind));
    this.layout = compositionLayout(field("nLayers"), field("nHeads"));
    this.paint(pageTheme());
    this.drawSide(kind);
  }

  /** Draws the grid on the canvas at the screen's pixel density. */
  private paint(theme: Theme): void {
    const grid = this.grid();
    const { width, height } = this.layout;
    const ratio = window.devicePixelRatio || 1;
    this.canvas.width = Math.round(width * ratio);
    this.canvas.height = Math.round(height * ratio);
    this.canvas.style.width = `${width}px`;
    this.canvas.style.height = `${height}px`;
    const ctx = this.canvas.getContext("2d");
    if (!ctx || !grid) return;
    ctx.setTransform(ratio, 0, 0, ratio, 0, 0);
    const field = this.fields.get;
    drawComposition(
      ctx,
      {
        ...grid,
        kind: field("kind"),
        min: field("valueMin"),
        max: field("valueMax"),
        baseline: field("baseline"),
        selected: field("selected"),
        highlighted: this.hovered,
      },
      this.layout,
      theme,
    );
  }

  /** The scale's notes and the list of the strongest edges of `kind`. */
  private drawSide(kind: CompositionKind): void {
    const field = this.fields.get;
    const grid = this.grid();
    const children: HTMLElement[] = [];
    const note = element("div", "tslens-comp-note");
    note.textContent = `colour: ${field("scaleNote")}`;
    children.push(note);
    if (field("baselineNote")) {
      const baseline = element("div", "tslens-comp-note");
      baseline.textContent = field("baselineNote");
      children.push(baseline);
    }
    const heading = element("div", "tslens-comp-edges-title");
    heading.textContent = `strongest ${kind}-composition`;
    const list = element("ol", "tslens-comp-edges");
    for (const edge of grid ? strongestEdges(grid, kind, field("topCount")) : []) {
      const item = element("li", sameEdge(edge, field("selected")) ? "tslens-selected" : "", list);
      item.textContent = edgeText(edge, kind);
      item.addEventListener("mouseenter", () => this.hover(edge));
      item.addEventListener("mouseleave", () => this.hover(null));
      item.addEventListener("click", () => this.fields.save("selected", { from: edge.from, to: edge.to }));
    }
    children.push(heading, list);
    this.side.replaceChildren(...children);
  }

  /** The edge under the pointer, or null (outside the grid, or a cell that is no edge). */
  private edgeAt(event: MouseEvent): EdgeRef | null {
    const box = this.canvas.getBoundingClientRect();
    const cell = cellAt(this.layout, event.clientX - box.left, event.clientY - box.top);
    const nHeads = this.fields.get("nHeads");
    if (!cell || !isEdge(cell.row, cell.column, nHeads)) return null;
    return { from: rowHead(cell.row, nHeads), to: columnHead(cell.column, nHeads) };
  }

  private hoverCell(event: MouseEvent): void {
    const box = this.canvas.getBoundingClientRect();
    const cell = cellAt(this.layout, event.clientX - box.left, event.clientY - box.top);
    const nHeads = this.fields.get("nHeads");
    if (cell && !isEdge(cell.row, cell.column, nHeads)) {
      const [from, to] = [rowHead(cell.row, nHeads), columnHead(cell.column, nHeads)];
      this.hover(null);
      this.status.textContent = `${edgeLabel({ from, to })}: no edge (a head reads only heads of earlier layers)`;
      return;
    }
    const edge = this.edgeAt(event);
    if (!sameEdge(edge, this.hovered)) this.hover(edge);
  }

  /** Frames `edge` on the grid and writes its three scores in the status line (null: the hint). */
  private hover(edge: EdgeRef | null): void {
    this.hovered = edge;
    const grid = this.grid();
    if (!edge || !grid) this.status.textContent = HINT;
    else {
      const field = this.fields.get;
      const kind = field("kind");
      const row = edge.from.layer * grid.nHeads + edge.from.head;
      const column = (edge.to.layer - 1) * grid.nHeads + edge.to.head;
      const order = [kind, ...KINDS.filter((k) => k !== kind)];
      const values = order.map((k) => `${k} ${formatValue(scoreAt(grid, k, row, column))}`).join(" · ");
      const baseline = field("baselineNote") ? ` (baseline ${formatValue(field("baseline"))})` : "";
      this.status.textContent = `${edgeLabel(edge)}: ${values}${baseline}`;
    }
    this.paint(pageTheme());
  }

  remove(): void {
    this.stopWatching?.();
    super.remove();
  }
}
