/**
 * The attention-patterns view: a layers × heads grid of thumbnails with score badges (hover previews a
 * head, click selects it — the kernel sees `selected_head`), the focused head large beside the grid with
 * a title, token labels on both axes and a legend, and the token strip: hovering a token marks it, fades
 * everything but its row (query mode: where it attends) or column (key mode: what attends to it), colours
 * the strip relative to that row's maximum and lists its top three; clicking locks it (a chip unlocks).
 * Canvases follow the page's theme. Token text is set as text only.
 */
import { DOMWidgetView } from "@jupyter-widgets/base";
import { windowAround } from "../../../src/common/draw/axes";
import type { Theme } from "../../../src/common/draw/colors";
import { isMasked } from "../../../src/common/draw/pattern";
import type { PatternImage } from "../../../src/common/draw/patternImage";
import { displayToken, formatValue, positionLabel } from "../../../src/common/draw/tokens";
import { AttentionPatternsFields, attentionPatternsSpec } from "../../../src/views/attentionPatterns/spec";
import { PREVIEW_HEAD_EVENT } from "../../../src/views/headScores/spec";
import { element } from "../core/dom";
import { FieldAccess, fieldsOf } from "../core/model";
import { addStyle } from "../core/style";
import { pageTheme, watchTheme } from "../core/theme";
import { HeadGrid } from "./grid";
import { LABEL_SPACE, LEGEND_WIDTH, PatternPlot, PlotWindow } from "./plot";
import { PatternStore } from "./store";
import { FocusWeights, TokenStrip, topText } from "./strip";

/** Prompts of at least this many positions show a window around the focused token instead of the whole pattern. */
const LONG_PROMPT = 100;
/** Positions in that window. */
const WINDOW = 64;
/** Largest side of the large pattern (CSS px): with the grid beside it and the strip under it, it fits a laptop screen. */
const MAX_SIDE = 440;

export class AttentionPatternsView extends DOMWidgetView {
  private fields!: FieldAccess<AttentionPatternsFields>;
  private store!: PatternStore;
  private grid: HeadGrid | undefined;
  private plot: PatternPlot | undefined;
  private strip: TokenStrip | undefined;
  private tooltip!: HTMLDivElement;
  private top!: HTMLDivElement;
  private chip!: HTMLButtonElement;
  private hoveredHead: number | undefined;
  private hoveredToken: number | undefined;
  private hoveredCell: { q: number; k: number } | undefined;
  private theme: Theme = "light";
  private stopTheme: (() => void) | undefined;
  private resizer: ResizeObserver | undefined;
  private laidOutWidth = 0;

  render(): void {
    this.fields = fieldsOf(attentionPatternsSpec, this.model);
    const { changes } = this.fields;
    addStyle(document);
    this.el.classList.add("tslens-view", "tslens-attention");
    this.theme = pageTheme();
    this.store = new PatternStore(this, {
      onArrive: (h) => h === this.focusedHead && this.refresh(),
      onExact: () => this.refresh(),
    });
    const shape = changes("tokens", "queryTokens", "headNames", "headLayers", "headBadges", "nHeads", "nQueries", "nKeys");
    this.listenTo(this.model, shape, () => this.build());
    this.listenTo(this.model, changes("thumbnails", "valueMin", "valueMax", "maskUpperTri", "patternsVersion"), () => {
      this.paintThumbs();
      this.refresh();
    });
    this.listenTo(this.model, changes("selectedHead", "lockedToken", "tokenMode", "repeat"), () => this.refresh());
    // A linked score grid previews the head under its pointer (null: the pointer left the grid).
    this.listenTo(this.model, PREVIEW_HEAD_EVENT, (head: number | null) => {
      this.hoveredHead = typeof head === "number" && head >= 0 && head < this.fields.get("nHeads") ? head : undefined;
      this.refresh();
    });
    this.stopTheme = watchTheme((theme) => {
      this.theme = theme;
      this.paintThumbs();
      this.refresh();
    });
    this.resizer = new ResizeObserver(() => this.layout());
    this.resizer.observe(this.el);
    this.build();
  }

  remove(): void {
    this.store?.dispose();
    this.stopTheme?.();
    this.resizer?.disconnect();
    return super.remove();
  }

  private get focusedHead(): number {
    return this.hoveredHead ?? this.fields.get("selectedHead");
  }

  /** Position (key index) of the focused token, or undefined. */
  private get focusedToken(): number | undefined {
    const locked = this.fields.get("lockedToken");
    return this.hoveredToken ?? (locked >= 0 ? locked : undefined);
  }

  private build(): void {
    this.el.replaceChildren();
    this.grid = this.plot = this.strip = undefined;
    if (!this.store.dims.heads) return;
    const get = this.fields.get;
    const controls = element("div", "tslens-controls", this.el);
    element("span", "", controls).textContent = "Hovered token shows:";
    const mode = element("select", "tslens-mode", controls);
    for (const [value, text] of [
      ["query", "where it attends (destination → sources)"],
      ["key", "what attends to it (source ← destinations)"],
    ]) {
      const option = element("option", "", mode);
      option.value = value;
      option.textContent = text;
    }
    mode.value = get("tokenMode");
    mode.addEventListener("change", () => this.fields.save("tokenMode", mode.value === "key" ? "key" : "query"));
    element("span", "tslens-attn-hint", controls).textContent = "Hover a head or a token to preview; click to lock.";
    this.chip = element("button", "tslens-attn-chip", controls);
    this.chip.type = "button";
    this.chip.title = "unlock the token";
    this.chip.addEventListener("click", () => this.fields.save("lockedToken", -1));
    const body = element("div", "tslens-attn-body", this.el);
    this.grid = new HeadGrid(
      body,
      { names: get("headNames"), layers: get("headLayers"), badges: get("headBadges") },
      {
        hover: (h) => ((this.hoveredHead = h), this.refresh()),
        select: (h) => this.fields.save("selectedHead", h),
      },
    );
    this.plot = new PatternPlot(body, (cell) => ((this.hoveredCell = cell), this.showCell()));
    this.tooltip = element("div", "tslens-tooltip", this.el);
    this.top = element("div", "tslens-attn-top", this.el);
    this.strip = new TokenStrip(this.el, get("tokens"), {
      hover: (i) => ((this.hoveredToken = i), this.refresh()),
      click: (i) => this.fields.save("lockedToken", get("lockedToken") === i ? -1 : i),
    });
    this.paintThumbs();
    this.laidOutWidth = 0;
    this.layout();
  }

  /** Sizes the thumbnails and the large pattern to the view's width: the pattern beside the grid when both fit. */
  private layout(): void {
    if (!this.grid || !this.plot) return;
    const width = this.el.clientWidth || 860;
    if (Math.abs(width - this.laidOutWidth) < 4) return;
    this.laidOutWidth = width;
    const { rows, columns } = this.grid;
    const thumb = Math.max(24, Math.min(64, Math.floor(Math.min((width * 0.42 - 36) / columns - 6, 420 / rows - 22))));
    this.grid.resize(thumb);
    const gridWidth = 36 + columns * (thumb + 6);
    const plotExtras = LABEL_SPACE.left + LEGEND_WIDTH + 8;
    const beside = width - gridWidth - 24 - plotExtras;
    const side = beside >= 240 ? beside : width - plotExtras;
    this.plot.resize(Math.max(160, Math.min(MAX_SIDE, side)));
    this.refresh();
  }

  private paintThumbs(): void {
    if (!this.grid) return;
    const { min, max } = this.store.scale;
    for (let h = 0; h < this.store.dims.heads; h++) {
      const image = this.store.thumbnail(h) ?? (this.store.hasHead(h) ? this.store.head(h) : undefined);
      this.grid.paint(h, image, min, max, this.theme);
    }
  }

  /** The window of positions the large pattern shows: all, or WINDOW around the focused token of a long prompt. */
  private windowFor(image: PatternImage, full: boolean, token: number | undefined): PlotWindow {
    const { queries, keys } = image;
    if (!full || token === undefined || keys < LONG_PROMPT) return { q0: 0, q1: queries, k0: 0, k1: keys };
    const offset = keys - queries;
    const [k0, k1] = windowAround(keys, token, WINDOW);
    const q0 = Math.max(0, k0 - offset);
    return { q0, q1: Math.max(q0 + 1, Math.min(queries, k1 - offset)), k0, k1 };
  }

  /** The focused token's weights in head `head` (exact once the kernel sent them), or undefined. */
  private weightsOf(head: number, token: number, image: PatternImage | undefined): FocusWeights | undefined {
    const mode = this.fields.get("tokenMode");
    const exact = this.store.exact(head);
    if (!exact && !image) return undefined;
    const { queries, keys } = this.store.dims;
    const { min, max, maskUpper } = this.store.scale;
    const shape = { queries, keys, maskUpper };
    const offset = keys - queries;
    const at = (q: number, k: number): number | undefined => {
      if (q < 0 || q >= queries || isMasked(shape, q, k)) return undefined;
      return exact ? exact[q * keys + k] : min + (image!.bytes[q * keys + k] / 255) * (max - min);
    };
    const values = Array.from({ length: keys }, (_, i) => (mode === "query" ? at(token - offset, i) : at(i - offset, token)));
    return { token, mode, values, exact: !!exact };
  }

  /** Redraws what depends on the focused head and token. */
  private refresh(): void {
    if (!this.plot || !this.grid || !this.strip) return;
    const get = this.fields.get;
    const names = get("headNames");
    const selected = get("selectedHead");
    const head = this.focusedHead;
    this.grid.mark(selected, this.hoveredHead);
    const locked = get("lockedToken");
    const tokens = get("tokens");
    this.chip.hidden = locked < 0;
    this.chip.textContent = locked < 0 ? "" : `locked: ${displayToken(tokens[locked] ?? "")} (${locked}) ×`;
    const shown = this.store.preview(head);
    const token = this.focusedToken;
    const mode = get("tokenMode");
    const offset = get("nKeys") - get("nQueries");
    const full = shown?.full ? shown.image : undefined;
    const weights = token === undefined ? undefined : this.weightsOf(head, token, full);
    this.strip.show(weights, this.hoveredToken, locked, this.theme);
    this.top.textContent = weights ? topText(tokens, weights) : "";
    if (shown) {
      const hasFocus = token !== undefined && (mode === "key" || token >= offset);
      const { min, max } = this.store.scale;
      this.plot.draw({
        title:
          this.hoveredHead !== undefined && this.hoveredHead !== selected
            ? `${names[head]} — preview`
            : `selected ${names[selected]}`,
        image: shown.image,
        full: shown.full,
        min,
        max,
        theme: this.theme,
        queryTokens: get("queryTokens"),
        keyTokens: tokens,
        focus: hasFocus ? { token, mode } : undefined,
        window: this.windowFor(shown.image, shown.full, token),
        repeat: get("repeat"),
      });
    }
    this.showCell();
  }

  /** Tooltip of the cell under the pointer: destination, source, both tokens and the value (exact once the kernel sent it). */
  private showCell(): void {
    const cell = this.hoveredCell;
    if (!cell) {
      this.tooltip.textContent = "";
      return;
    }
    const get = this.fields.get;
    const head = this.focusedHead;
    const { q, k } = cell;
    const { queries, keys } = this.store.dims;
    if (q >= queries || k >= keys) return;
    const where = `${get("headNames")[head]} destination (query) ${positionLabel(get("queryTokens"), q)} → source (key) ${positionLabel(get("tokens"), k)}`;
    const { min, max, maskUpper } = this.store.scale;
    if (isMasked({ queries, keys, maskUpper }, q, k)) {
      this.tooltip.textContent = `${where}: N/A (masked)`;
      return;
    }
    const exact = this.store.exact(head); // no kernel (a static export): the quantised value stays, marked ≈
    const image = this.store.hasHead(head) ? this.store.head(head) : undefined;
    const value = exact
      ? formatValue(exact[q * keys + k])
      : image
        ? `≈${formatValue(min + (image.bytes[q * keys + k] / 255) * (max - min))}`
        : "…";
    this.tooltip.textContent = `${where}: ${value}`;
  }
}
