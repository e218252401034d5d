/**
 * The token strip of the attention view: every key token as text; hovering one focuses it, clicking
 * locks it. With a token focused, each token is coloured by its weight in the focused row (query mode:
 * how much the focused token reads it) or column (key mode: how much it reads the focused token),
 * relative to that row's or column's maximum, with black or white text by contrast; the top three are
 * listed as text under the pattern.
 */
import { topK } from "../../../src/common/draw/axes";
import { colorOf, cssColor, textColorOn } from "../../../src/common/draw/colors";
import type { Theme } from "../../../src/common/draw/colors";
import { displayToken, formatValue, positionLabel } from "../../../src/common/draw/tokens";
import { element } from "../core/dom";

/** What the strip tells the view. */
export interface StripEvents {
  hover(token: number | undefined): void;
  click(token: number): void;
}

/** The focused token's weights: one per key position (undefined where masked or not a query), exact or not. */
export interface FocusWeights {
  token: number;
  mode: "query" | "key";
  /** Weight per key position of the strip (query mode: on each source; key mode: from each destination). */
  values: (number | undefined)[];
  /** True when the values are the kernel's exact float32 weights (else read from the bytes, ±half a level). */
  exact: boolean;
}

/** `"·cat" (20)`: a token as quoted text with its position. */
function quoted(tokens: string[], index: number): string {
  return `“${displayToken(tokens[index] ?? "")}” (${index})`;
}

/** The text listing the focused token's three strongest sources (query mode) or destinations (key mode). */
export function topText(tokens: string[], weights: FocusWeights): string {
  const values = weights.values.map((v) => v ?? NaN);
  const top = topK(values, 3);
  const what = weights.mode === "query" ? "attends most to" : "is read most by";
  const list = top.map((r) => `${quoted(tokens, r.index)} ${weights.exact ? "" : "≈"}${formatValue(r.value)}`);
  return `${quoted(tokens, weights.token)} ${what}: ${list.length ? list.join(", ") : "nothing (every weight masked)"}`;
}

/** The strip of tokens under the pattern. */
export class TokenStrip {
  readonly el: HTMLDivElement;
  private readonly spans: HTMLSpanElement[];
  private readonly legend: HTMLDivElement;

  constructor(parent: HTMLElement, tokens: string[], events: StripEvents) {
    this.legend = element("div", "tslens-attn-strip-legend", parent);
    this.el = element("div", "tslens-tokens", parent);
    this.spans = tokens.map((token, i) => {
      const span = element("span", "tslens-token", this.el);
      span.textContent = displayToken(token);
      span.title = positionLabel(tokens, i);
      span.addEventListener("mouseenter", () => events.hover(i));
      span.addEventListener("mouseleave", () => events.hover(undefined));
      span.addEventListener("click", () => events.click(i));
      return span;
    });
  }

  /** Colours the tokens by `weights` relative to their maximum (none when undefined) and marks the focused and locked tokens. */
  show(weights: FocusWeights | undefined, hovered: number | undefined, locked: number, theme: Theme): void {
    let peak = 0;
    for (const v of weights?.values ?? []) if (v !== undefined && v > peak) peak = v;
    this.spans.forEach((span, i) => {
      span.classList.toggle("tslens-locked", i === locked);
      span.classList.toggle("tslens-hovered", i === hovered);
      const value = weights?.values[i];
      if (value === undefined || !(peak > 0)) {
        span.style.background = "";
        span.style.color = "";
        return;
      }
      const background = colorOf(value / peak, 0, 1, theme);
      span.style.background = cssColor(background);
      span.style.color = cssColor(textColorOn(background));
    });
    if (!weights) this.legend.textContent = "Hover a token to see where it attends; click it to lock.";
    else {
      const of = weights.mode === "query" ? "its row's" : "its column's";
      this.legend.textContent = `Token colours: weight ÷ ${of} maximum (${weights.exact ? "" : "≈"}${formatValue(peak)} = full colour).`;
    }
  }

  /** The span of token `i` (tests and the view read its place). */
  span(i: number): HTMLSpanElement | undefined {
    return this.spans[i];
  }
}
