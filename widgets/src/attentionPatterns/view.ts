/**
 * The attention-patterns view: a thumbnail per head (hover previews, click selects — the kernel
 * sees `selected_head`), the focused head large with a tooltip per cell, a colour legend, and the
 * tokens: hovering one shows where it attends (query mode) or what attends to it (key mode) in
 * the token colours and in the large pattern; clicking locks it. Token text is set as text only.
 */
import { DOMWidgetView } from "@jupyter-widgets/base";
import { byteColors, headColor } from "../../../src/common/draw/colors";
import { headPixels, isMasked, rampPixels } from "../../../src/common/draw/pattern";
import { displayToken, formatValue, positionLabel } from "../../../src/common/draw/tokens";
import { cellValue, floatsSerializer, QuantisedPatterns } from "../../../src/common/quantise";
import { AttentionPatternsFields, attentionPatternsSpec, patternsOf } from "../../../src/views/attentionPatterns/spec";
import { element, paint } from "../core/dom";
import { FieldAccess, fieldsOf } from "../core/model";
import { addStyle } from "../core/style";

export class AttentionPatternsView extends DOMWidgetView {
  private fields!: FieldAccess<AttentionPatternsFields>;
  private thumbs: HTMLDivElement[] = [];
  private main!: HTMLCanvasElement;
  private tooltip!: HTMLDivElement;
  private tokenSpans: HTMLSpanElement[] = [];
  private hoveredHead: number | undefined;
  private hoveredToken: number | undefined;
  /** Exact values [query, key] of heads the kernel sent on request (tooltips show them; the bytes are ±half a level). */
  private exact = new Map<number, Float32Array>();
  private requested = new Set<number>();
  private lastCell: MouseEvent | undefined;

  render(): void {
    this.fields = fieldsOf(attentionPatternsSpec, this.model);
    const { changes } = this.fields;
    addStyle(document);
    this.el.classList.add("tslens-view", "tslens-attention");
    this.listenTo(this.model, changes("patterns", "nHeads", "tokens", "queryTokens", "headNames"), () => this.build());
    this.listenTo(this.model, changes("selectedHead", "lockedToken", "tokenMode"), () => this.refresh());
    this.listenTo(this.model, changes("patternsVersion"), () => (this.exact.clear(), this.requested.clear()));
    this.listenTo(this.model, "msg:custom", (content: { values_for?: number; patterns_version?: number }, buffers: DataView[]) =>
      this.receiveExact(content, buffers),
    );
    this.build();
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
    const p = patternsOf(this.fields.get);
    if (!p) return;
    const names = this.fields.get("headNames");
    const controls = element("div", "tslens-controls", this.el);
    const label = element("span", "", controls);
    label.textContent = "Hovered token:";
    const mode = element("select", "tslens-mode", controls);
    for (const [value, text] of [
      ["query", "where it attends (destination → sources)"],
      ["key", "what attends to it (source ← destinations)"],
    ]) {
      const option = element("option", "", mode);
      option.value = value;
      option.textContent = text;
    }
    mode.value = this.fields.get("tokenMode");
    mode.addEventListener("change", () => this.fields.save("tokenMode", mode.value === "key" ? "key" : "query"));
    const row = element("div", "tslens-row tslens-thumbs", this.el);
    this.thumbs = names.map((name, h) => {
      const thumb = element("div", "tslens-thumb", row);
      const canvas = element("canvas", "", thumb);
      canvas.style.borderColor = headColor(h, p.heads);
      paint(canvas, headPixels(p, h), p.keys, p.queries);
      const caption = element("span", "tslens-head-name", thumb);
      caption.textContent = name;
      caption.style.color = headColor(h, p.heads);
      thumb.addEventListener("mouseenter", () => ((this.hoveredHead = h), this.refresh()));
      thumb.addEventListener("mouseleave", () => ((this.hoveredHead = undefined), this.refresh()));
      thumb.addEventListener("click", () => this.fields.save("selectedHead", h));
      return thumb;
    });
    const zoom = element("div", "tslens-zoom", this.el);
    this.main = element("canvas", "tslens-main", zoom);
    this.main.addEventListener("mousemove", (event) => this.showCell(event));
    this.main.addEventListener("mouseleave", () => (this.tooltip.textContent = ""));
    this.legend(zoom, p);
    this.tooltip = element("div", "tslens-tooltip", this.el);
    const strip = element("div", "tslens-tokens", this.el);
    const tokens = this.fields.get("tokens");
    this.tokenSpans = tokens.map((token, i) => {
      const span = element("span", "tslens-token", strip);
      span.textContent = displayToken(token);
      span.title = positionLabel(tokens, i);
      span.addEventListener("mouseenter", () => ((this.hoveredToken = i), this.refresh()));
      span.addEventListener("mouseleave", () => ((this.hoveredToken = undefined), this.refresh()));
      span.addEventListener("click", () => this.fields.save("lockedToken", this.fields.get("lockedToken") === i ? -1 : i));
      return span;
    });
    this.refresh();
  }

  /** The colour legend: a vertical ramp from min (bottom) to max (top) with both values written out. */
  private legend(parent: HTMLElement, p: QuantisedPatterns): void {
    const box = element("div", "tslens-legend", parent);
    const top = element("span", "tslens-legend-max", box);
    top.textContent = formatValue(p.max);
    const ramp = element("canvas", "", box);
    const horizontal = rampPixels(p.min, p.max, 128);
    const vertical = new Uint8ClampedArray(128 * 4);
    for (let y = 0; y < 128; y++) vertical.set(horizontal.subarray((127 - y) * 4, (127 - y) * 4 + 4), y * 4);
    paint(ramp, vertical, 1, 128);
    const bottom = element("span", "tslens-legend-min", box);
    bottom.textContent = formatValue(p.min);
  }

  /** Redraws what depends on the focused head and token. */
  private refresh(): void {
    const p = patternsOf(this.fields.get);
    if (!p || !this.main) return;
    const head = this.focusedHead;
    const selected = this.fields.get("selectedHead");
    this.thumbs.forEach((thumb, h) => thumb.classList.toggle("tslens-selected", h === selected));
    const token = this.focusedToken;
    const queryMode = this.fields.get("tokenMode") === "query";
    const offset = p.keys - p.queries; // key position of query 0
    const pixels = headPixels(p, head);
    if (token !== undefined) {
      // Fade every cell outside the focused token's row (query mode) or column (key mode).
      for (let q = 0; q < p.queries; q++)
        for (let k = 0; k < p.keys; k++) {
          const inside = queryMode ? q + offset === token : k === token;
          if (inside) continue;
          const at = (q * p.keys + k) * 4;
          for (let c = 0; c < 3; c++) pixels[at + c] = Math.round(pixels[at + c] * 0.3 + 255 * 0.7);
        }
    }
    paint(this.main, pixels, p.keys, p.queries);
    this.main.style.borderColor = headColor(head, p.heads);
    const table = byteColors(p.min, p.max);
    const locked = this.fields.get("lockedToken");
    this.tokenSpans.forEach((span, i) => {
      span.classList.toggle("tslens-locked", i === locked);
      let value: number | undefined;
      if (token !== undefined) {
        if (queryMode && token >= offset)
          value = isMasked(p, token - offset, i) ? undefined : cellValue(p, head, token - offset, i);
        if (!queryMode && i >= offset) value = isMasked(p, i - offset, token) ? undefined : cellValue(p, head, i - offset, token);
      }
      if (value === undefined) span.style.background = "";
      else {
        const b = Math.round(((value - p.min) / (p.max - p.min)) * 255);
        span.style.background = `rgb(${table[b * 3]}, ${table[b * 3 + 1]}, ${table[b * 3 + 2]})`;
      }
    });
  }

  /** Keeps a head's exact values from the kernel's reply, if they belong to the current patterns. */
  private receiveExact(content: { values_for?: number; patterns_version?: number }, buffers: DataView[]): void {
    if (typeof content?.values_for !== "number" || content.patterns_version !== this.fields.get("patternsVersion")) return;
    const view = buffers[0];
    if (!view) return;
    this.exact.set(content.values_for, floatsSerializer.deserialize(view)!);
    if (this.lastCell) this.showCell(this.lastCell);
  }

  /** Tooltip of the cell under the pointer: destination, source, both tokens and the value (exact once the kernel sent it). */
  private showCell(event: MouseEvent): void {
    const p = patternsOf(this.fields.get);
    if (!p) return;
    this.lastCell = event;
    const head = this.focusedHead;
    if (!this.exact.has(head) && !this.requested.has(head)) {
      this.requested.add(head); // no kernel (a static export): the quantised value stays, marked ≈
      this.send({ request: "values", head });
    }
    const rect = this.main.getBoundingClientRect();
    const k = Math.floor(((event.clientX - rect.left) / rect.width) * p.keys);
    const q = Math.floor(((event.clientY - rect.top) / rect.height) * p.queries);
    if (k < 0 || q < 0 || k >= p.keys || q >= p.queries) return;
    const names = this.fields.get("headNames");
    const where = `${names[this.focusedHead]} destination (query) ${positionLabel(this.fields.get("queryTokens"), q)} → source (key) ${positionLabel(this.fields.get("tokens"), k)}`;
    const exact = this.exact.get(head);
    const value = exact ? formatValue(exact[q * p.keys + k]) : `≈${formatValue(cellValue(p, head, q, k))}`;
    this.tooltip.textContent = isMasked(p, q, k) ? `${where}: N/A (masked)` : `${where}: ${value}`;
  }
}
