/**
 * The heads grid of the attention view: one row per layer (labelled "L0", "L1" …), one column per head
 * ("H0" …), each head a thumbnail of its pattern with its notable score badges under it (P previous
 * token, I induction, S self, B first token), and a legend saying what the badges mean. Hovering a
 * thumbnail previews that head; a click selects it.
 */
import {
  BADGE_KINDS,
  badgeText,
  HeadRow,
  headRows,
  layerOfName,
  NOTABLE_SCORE,
  notableBadges,
} from "../../../src/common/draw/axes";
import type { BadgeScores } from "../../../src/common/draw/axes";
import type { Theme } from "../../../src/common/draw/colors";
import { imagePixels } from "../../../src/common/draw/patternImage";
import type { PatternImage } from "../../../src/common/draw/patternImage";
import { formatValue } from "../../../src/common/draw/tokens";
import { element, paint } from "../core/dom";

/** What the grid shows of each head. */
export interface GridHeads {
  names: string[];
  /** Layer of each head, or null (then read from a name like "L1H0", else one unlabelled row). */
  layers: (number | null)[];
  /** Score badges of each head (missing: none drawn). */
  badges: (BadgeScores | undefined)[];
}

/** What the grid tells the view. */
export interface GridEvents {
  hover(head: number | undefined): void;
  select(head: number): void;
}

/** The column label of a row's c-th head: "H{n}" from its name when it ends so, else its index. */
function columnLabel(rows: HeadRow[], names: string[], column: number): string {
  const widest = rows.reduce((a, b) => (b.heads.length > a.heads.length ? b : a), rows[0]);
  const name = names[widest.heads[column]] ?? "";
  const match = /H(\d+)$/.exec(name);
  return match ? `H${match[1]}` : String(column);
}

/** "L1H0: previous token 0.950 · induction — · self 0.010 · first token (BOS) 0.020": a thumbnail's tooltip. */
function thumbTitle(name: string, scores: BadgeScores | undefined): string {
  if (!scores) return name;
  const parts = BADGE_KINDS.map(({ key, name: what }) => `${what} ${scores[key] === null ? "—" : formatValue(scores[key])}`);
  return `${name}: ${parts.join(" · ")}`;
}

/** The layers × heads grid of thumbnails. */
export class HeadGrid {
  readonly el: HTMLDivElement;
  /** Rows (layers) and columns (heads of the widest layer) of the grid. */
  readonly rows: number;
  readonly columns: number;
  private readonly thumbs: { box: HTMLDivElement; canvas: HTMLCanvasElement }[] = [];

  constructor(parent: HTMLElement, heads: GridHeads, events: GridEvents) {
    this.el = element("div", "tslens-attn-grid-panel", parent);
    const layers = heads.names.map((name, h) => heads.layers[h] ?? layerOfName(name));
    const rows = headRows(layers);
    const columns = Math.max(...rows.map((r) => r.heads.length));
    this.rows = rows.length;
    this.columns = columns;
    const grid = element("div", "tslens-attn-grid", this.el);
    grid.style.gridTemplateColumns = `auto repeat(${columns}, var(--tslens-thumb, 56px))`;
    element("span", "tslens-attn-corner", grid);
    for (let c = 0; c < columns; c++)
      element("span", "tslens-attn-col-label", grid).textContent = columnLabel(rows, heads.names, c);
    for (const row of rows) {
      element("span", "tslens-attn-row-label", grid).textContent = row.label;
      for (let c = 0; c < columns; c++) {
        const h = row.heads[c];
        if (h === undefined) {
          element("span", "", grid);
          continue;
        }
        const box = element("div", "tslens-thumb", grid);
        box.dataset.head = heads.names[h];
        box.title = thumbTitle(heads.names[h], heads.badges[h]);
        const canvas = element("canvas", "", box);
        const badges = element("div", "tslens-attn-badges", box);
        const scores = heads.badges[h];
        for (const badge of scores ? notableBadges(scores) : []) {
          const chip = element("span", `tslens-badge tslens-badge-${badge.key}`, badges);
          chip.textContent = badgeText(badge);
        }
        box.addEventListener("mouseenter", () => events.hover(h));
        box.addEventListener("mouseleave", () => events.hover(undefined));
        box.addEventListener("click", () => events.select(h));
        this.thumbs[h] = { box, canvas };
      }
    }
    const legend = element("div", "tslens-attn-badge-legend", this.el);
    const kinds = BADGE_KINDS.map(({ code, name }) => `${code} ${name}`).join(" · ");
    legend.textContent = `Badges: ${kinds} — the head's mean weight there, shown when ≥ ${NOTABLE_SCORE}.`;
  }

  /** Sets the thumbnails' side in CSS pixels. */
  resize(side: number): void {
    this.el.style.setProperty("--tslens-thumb", `${side}px`);
  }

  /** Paints head `h`'s thumbnail from `image` (a pooled or full pattern) on the scale [min, max]. */
  paint(h: number, image: PatternImage | undefined, min: number, max: number, theme: Theme): void {
    const thumb = this.thumbs[h];
    if (!thumb || !image) return;
    paint(thumb.canvas, imagePixels(image, min, max, theme), image.cols, image.rows);
  }

  /** Marks the selected head (framed) and the previewed one. */
  mark(selected: number, hovered: number | undefined): void {
    this.thumbs.forEach((thumb, h) => {
      thumb.box.classList.toggle("tslens-selected", h === selected);
      thumb.box.classList.toggle("tslens-previewed", h === hovered && h !== selected);
    });
  }
}
