/**
 * The large pattern of the attention view: a title ("selected L0H1", "L1H1 — preview"), the pattern on a
 * canvas of CSS size × devicePixelRatio (cells drawn as crisp blocks, faint guides on the diagonal and the
 * offset −1 diagonal, the focused row or column outlined), token labels on both axes as text elements
 * (thinned so they never overlap; the focused token always labelled and marked), the axis titles, and the
 * colour legend 0 … max. For a long prompt the view passes a window of positions around the focused token.
 */
import { thinnedLabels } from "../../../src/common/draw/axes";
import { cssColor, paletteOf } from "../../../src/common/draw/colors";
import type { Theme } from "../../../src/common/draw/colors";
import { fadeOutside, rampPixels } from "../../../src/common/draw/pattern";
import { imagePixels } from "../../../src/common/draw/patternImage";
import type { PatternImage } from "../../../src/common/draw/patternImage";
import { displayToken, formatValue } from "../../../src/common/draw/tokens";
import { element, paint } from "../core/dom";

/** Width of the query labels left of the pattern, and height of the key labels under it (CSS px). */
export const LABEL_SPACE = { left: 118, bottom: 76 };
/** Width of the legend right of the pattern. */
export const LEGEND_WIDTH = 64;
/** Smallest distance between two label centres on an axis (CSS px). */
const LABEL_GAP = 14;

/** Positions [start, end) of the queries and keys shown. */
export interface PlotWindow {
  q0: number;
  q1: number;
  k0: number;
  k1: number;
}

/** Everything one drawing of the pattern depends on. */
export interface PlotState {
  title: string;
  image: PatternImage;
  /** False while only the thumbnail arrived (drawn stretched, no focus fading). */
  full: boolean;
  min: number;
  max: number;
  theme: Theme;
  queryTokens: string[];
  keyTokens: string[];
  /** The focused token (a key position) and whether its row (query mode) or column (key mode) is shown. */
  focus?: { token: number; mode: "query" | "key" };
  window: PlotWindow;
  /** A repeated sequence to mark: its second copy's start (key position) and each copy's length. */
  repeat?: { start: number; length: number } | null;
}

/** "·cat 20": an axis label, the token cut to 12 characters. */
function axisLabel(tokens: string[], index: number): string {
  const text = displayToken(tokens[index] ?? "");
  return `${text.length > 12 ? `${text.slice(0, 11)}…` : text} ${index}`;
}

/** The large pattern with its title, axes and legend. */
export class PatternPlot {
  readonly el: HTMLDivElement;
  readonly canvas: HTMLCanvasElement;
  private readonly title: HTMLDivElement;
  private readonly frame: HTMLDivElement;
  private readonly queryAxis: HTMLDivElement;
  private readonly queryTitle: HTMLDivElement;
  private readonly keyAxis: HTMLDivElement;
  private readonly legendMax: HTMLSpanElement;
  private readonly legendMin: HTMLSpanElement;
  private readonly ramp: HTMLCanvasElement;
  private readonly note: HTMLDivElement;
  private side = 320;
  private state: PlotState | undefined;

  /** `onCell(q, k)` gets the cell under the pointer (undefined when it leaves). */
  constructor(parent: HTMLElement, onCell: (cell: { q: number; k: number } | undefined) => void) {
    this.el = element("div", "tslens-attn-pattern", parent);
    this.title = element("div", "tslens-attn-title", this.el);
    const body = element("div", "tslens-attn-plot-row", this.el);
    this.frame = element("div", "tslens-attn-plot", body);
    this.queryTitle = element("div", "tslens-attn-axis-title tslens-attn-query-title", this.frame);
    this.queryTitle.textContent = "destination (query)";
    this.queryAxis = element("div", "tslens-attn-axis tslens-attn-query-axis", this.frame);
    this.canvas = element("canvas", "tslens-main", this.frame);
    this.keyAxis = element("div", "tslens-attn-axis tslens-attn-key-axis", this.frame);
    element("div", "tslens-attn-axis-title tslens-attn-key-title", this.frame).textContent = "source (key)";
    const legend = element("div", "tslens-legend", body);
    element("span", "tslens-legend-title", legend).textContent = "weight";
    this.legendMax = element("span", "tslens-legend-max", legend);
    this.ramp = element("canvas", "", legend);
    this.legendMin = element("span", "tslens-legend-min", legend);
    this.note = element("div", "tslens-attn-window", this.el);
    this.canvas.addEventListener("mousemove", (event) => onCell(this.cellAt(event)));
    this.canvas.addEventListener("mouseleave", () => onCell(undefined));
  }

  /** Sets the pattern's side in CSS pixels (and redraws). */
  resize(side: number): void {
    this.side = Math.round(side);
    const { left, bottom } = LABEL_SPACE;
    Object.assign(this.frame.style, { width: `${left + this.side + 4}px`, height: `${this.side + bottom + 20}px` });
    Object.assign(this.canvas.style, { left: `${left}px`, width: `${this.side}px`, height: `${this.side}px` });
    Object.assign(this.queryAxis.style, { width: `${left - 20}px`, height: `${this.side}px` });
    this.queryTitle.style.height = `${this.side}px`;
    Object.assign(this.keyAxis.style, {
      left: `${left}px`,
      top: `${this.side + 2}px`,
      width: `${this.side}px`,
      height: `${bottom}px`,
    });
    this.ramp.style.height = `${Math.round(this.side * 0.6)}px`;
    if (this.state) this.draw(this.state);
  }

  /** The cell (query, key) under a pointer event, inside the window shown. */
  private cellAt(event: MouseEvent): { q: number; k: number } | undefined {
    const w = this.state?.window;
    if (!w) return undefined;
    const rect = this.canvas.getBoundingClientRect();
    const k = w.k0 + Math.floor(((event.clientX - rect.left) / rect.width) * (w.k1 - w.k0));
    const q = w.q0 + Math.floor(((event.clientY - rect.top) / rect.height) * (w.q1 - w.q0));
    return q >= w.q0 && q < w.q1 && k >= w.k0 && k < w.k1 ? { q, k } : undefined;
  }

  /** Draws `state`: title, pattern, guides, focus outline, axis labels, legend. */
  draw(state: PlotState): void {
    this.state = state;
    this.title.textContent = state.title;
    this.drawPattern(state);
    this.drawAxes(state);
    const palette = paletteOf(state.theme);
    this.legendMax.textContent = formatValue(state.max);
    this.legendMin.textContent = formatValue(state.min);
    const horizontal = rampPixels(state.min, state.max, 128, state.theme);
    const vertical = new Uint8ClampedArray(128 * 4);
    for (let y = 0; y < 128; y++) vertical.set(horizontal.subarray((127 - y) * 4, (127 - y) * 4 + 4), y * 4);
    paint(this.ramp, vertical, 1, 128);
    this.ramp.style.borderColor = cssColor(palette.guide);
    const { q0, q1, k0, k1 } = state.window;
    const whole = q0 === 0 && k0 === 0 && q1 === state.image.queries && k1 === state.image.keys;
    this.note.textContent = whole
      ? ""
      : `Showing positions ${k0}–${k1 - 1} of ${state.image.keys} around the focused token (hover or lock another token to move).`;
  }

  private drawPattern(state: PlotState): void {
    const { image, window: w, theme } = state;
    const ratio = window.devicePixelRatio || 1;
    const size = Math.max(1, Math.round(this.side * ratio));
    this.canvas.width = size;
    this.canvas.height = size;
    const pixels = imagePixels(image, state.min, state.max, theme);
    const offset = image.keys - image.queries; // key position of query 0
    if (state.focus && state.full) {
      const { token, mode } = state.focus;
      fadeOutside(pixels, image, mode === "query" ? { row: token - offset } : { column: token }, theme);
    }
    const source = document.createElement("canvas");
    paint(source, pixels, image.cols, image.rows);
    const ctx = this.canvas.getContext("2d")!;
    ctx.imageSmoothingEnabled = false;
    // Window in image cells (a thumbnail is drawn whole: windows need the full pattern).
    const [sx, sy, sw, sh] = state.full ? [w.k0, w.q0, w.k1 - w.k0, w.q1 - w.q0] : [0, 0, image.cols, image.rows];
    ctx.drawImage(source, sx, sy, sw, sh, 0, 0, size, size);
    const cellW = size / (w.k1 - w.k0);
    const cellH = size / (w.q1 - w.q0);
    const x = (k: number) => (k - w.k0) * cellW;
    const y = (q: number) => (q - w.q0) * cellH;
    const palette = paletteOf(theme);
    ctx.save();
    ctx.lineWidth = Math.max(1, ratio);
    ctx.setLineDash([3 * ratio, 3 * ratio]);
    ctx.strokeStyle = cssColor(palette.guide);
    ctx.globalAlpha = 0.5;
    for (const shift of [0, -1]) {
      // The cells k = q + offset + shift: self (0) and previous token (−1), through their centres.
      ctx.beginPath();
      ctx.moveTo(x(w.q0 + offset + shift + 0.5), y(w.q0 + 0.5));
      ctx.lineTo(x(w.q1 + offset + shift - 0.5), y(w.q1 - 0.5));
      ctx.stroke();
    }
    ctx.restore();
    if (state.repeat) this.drawRepeat(ctx, state.repeat, offset, w, { x, y, ratio, palette });
    if (state.focus) {
      const { token, mode } = state.focus;
      const accent = getComputedStyle(this.el).getPropertyValue("--jp-brand-color1").trim() || cssColor(palette.positive);
      ctx.save();
      ctx.strokeStyle = accent;
      ctx.lineWidth = 2 * ratio;
      if (mode === "query") ctx.strokeRect(1, y(token - offset), size - 2, cellH);
      else ctx.strokeRect(x(token), 1, cellW, size - 2);
      ctx.restore();
    }
  }

  /**
   * A repeated sequence: solid lines where its second copy starts (that query row, that key column) and, dashed in the
   * scale's strong colour, the induction diagonal from each query t of the second copy to key t − length + 1.
   */
  private drawRepeat(
    ctx: CanvasRenderingContext2D,
    repeat: { start: number; length: number },
    offset: number,
    w: PlotWindow,
    at: { x: (k: number) => number; y: (q: number) => number; ratio: number; palette: ReturnType<typeof paletteOf> },
  ): void {
    const { x, y, ratio, palette } = at;
    const firstQuery = Math.max(repeat.start - offset, w.q0); // query index of the second copy's first token
    ctx.save();
    ctx.lineWidth = Math.max(1, ratio);
    ctx.strokeStyle = cssColor(palette.guide);
    ctx.globalAlpha = 0.9;
    ctx.beginPath();
    ctx.moveTo(0, y(repeat.start - offset));
    ctx.lineTo(x(w.k1), y(repeat.start - offset));
    ctx.moveTo(x(repeat.start), 0);
    ctx.lineTo(x(repeat.start), y(w.q1));
    ctx.stroke();
    ctx.setLineDash([2 * ratio, 4 * ratio]);
    ctx.lineWidth = 2 * ratio;
    ctx.strokeStyle = cssColor(palette.negative);
    const shift = offset - repeat.length + 1; // key of query q: q + shift
    ctx.beginPath();
    ctx.moveTo(x(firstQuery + shift + 0.5), y(firstQuery + 0.5));
    ctx.lineTo(x(w.q1 + shift - 0.5), y(w.q1 - 0.5));
    ctx.stroke();
    ctx.restore();
  }

  /** Token labels on both axes, thinned to LABEL_GAP, the focused token's always shown and marked. */
  private drawAxes(state: PlotState): void {
    const { window: w, image } = state;
    const offset = image.keys - image.queries;
    const token = state.focus?.token;
    const rows = w.q1 - w.q0;
    const cols = w.k1 - w.k0;
    const focusRow = token === undefined ? undefined : token - offset - w.q0;
    const focusCol = token === undefined ? undefined : token - w.k0;
    this.queryAxis.replaceChildren();
    for (const i of thinnedLabels(rows, this.side, LABEL_GAP, focusRow)) {
      const label = element("span", "tslens-attn-label", this.queryAxis);
      label.textContent = axisLabel(state.queryTokens, w.q0 + i);
      label.title = label.textContent;
      label.style.top = `${((i + 0.5) * this.side) / rows - 7}px`;
      label.classList.toggle("tslens-attn-label-focus", i === focusRow);
    }
    this.keyAxis.replaceChildren();
    for (const i of thinnedLabels(cols, this.side, LABEL_GAP, focusCol)) {
      const label = element("span", "tslens-attn-label", this.keyAxis);
      label.textContent = axisLabel(state.keyTokens, w.k0 + i);
      label.title = label.textContent;
      label.style.left = `${((i + 0.5) * this.side) / cols - 7}px`;
      label.classList.toggle("tslens-attn-label-focus", i === focusCol);
    }
  }
}
