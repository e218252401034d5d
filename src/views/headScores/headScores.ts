/**
 * `headScores({ scores })`: a layer × head heatmap of any per-head score (drawn with plotly in the
 * view). Clicking a cell sets `selected = { layer, head }` in the kernel; setting it moves the frame.
 */
import type { Tensor } from "@tensorflow/tfjs-core";
import { HeadRef, headLabel, isHeadRef } from "../../common/heads";
import type { ValueOf } from "../../common/spec";
import type { Widget } from "../../widget-core/widget";
import { ViewWidget } from "../core/viewWidget";
import { headScoresPng } from "./snapshot";
import { checkedScale, scoreFields, scoreRows, scoreScale } from "./scale";
import { HeadScoresFields, headScoresSpec } from "./spec";

export { scoreScale };
export type { ScoreScale } from "./scale";

export type { HeadRef };

/** Options of headScores. */
export interface HeadScoresOptions {
  /** Scores [layers, heads], e.g. lens.detectHead(model, text, "induction_head"). */
  scores: Tensor | number[][];
  title?: string;
  /**
   * Colour scale. A given end is fixed; a missing one follows the scores (widened to include 0, and to ±max|score|
   * when the scores have both signs). The colour bar's title says which: "fixed 0 … 1" or "autoscaled: max 0.08".
   */
  min?: number;
  max?: number;
  /** The head framed at first (default none). */
  selected?: HeadRef | null;
}

/** `value` as a head of a `layers` × `heads` grid (or null), or an error naming the allowed range. */
function checkedHead(value: unknown, layers: number, heads: number): HeadRef | null {
  if (value === null) return null;
  if (!isHeadRef(value) || value.layer >= layers || value.head >= heads)
    throw new Error(`selected must be null or { layer: 0…${layers - 1}, head: 0…${heads - 1} }, got ${JSON.stringify(value)}`);
  return { layer: value.layer, head: value.head };
}

/** The head-score grid view. */
export class HeadScores extends ViewWidget<HeadScoresFields> {
  /** The clicked (or set) head, or null. */
  declare selected: ValueOf<typeof headScoresSpec, "selected">;
  declare title: ValueOf<typeof headScoresSpec, "title">;

  constructor(options: HeadScoresOptions) {
    const rows = scoreRows(options.scores);
    const { min, max, note } = checkedScale(scoreScale(rows.flat(), options));
    super(headScoresSpec, {
      title: options.title ?? "head scores",
      scores: rows,
      nLayers: rows.length,
      nHeads: rows[0].length,
      valueMin: min,
      valueMax: max,
      scaleNote: note,
      selected: checkedHead(options.selected ?? null, rows.length, rows[0].length),
    });
  }

  protected override validate(key: string, value: unknown): unknown {
    return key === "selected" ? checkedHead(value, this.field("nLayers"), this.field("nHeads")) : value;
  }

  /** Replaces the scores (and the colour scale, unless given). */
  update(scores: Tensor | number[][], range: { min?: number; max?: number } = {}): void {
    this.setFields(scoreFields(scores, range));
  }

  /**
   * Makes `patterns` (an attentionPatterns view of the same heads) preview the head of a hovered cell in the
   * browser, without a round trip to the kernel; a click still selects. Null unlinks.
   */
  linkPatterns(patterns: Widget | null): void {
    this.setFields({ linkedPatterns: patterns ? `IPY_MODEL_${patterns.modelId}` : null });
  }

  protected snapshot(): Uint8Array | undefined {
    return headScoresPng({
      title: this.field("title"),
      scores: this.field("scores"),
      min: this.field("valueMin"),
      max: this.field("valueMax"),
      note: this.field("scaleNote"),
      selected: this.field("selected"),
    });
  }

  override toString(): string {
    const s = this.field("selected");
    return `HeadScores(${JSON.stringify(this.field("title"))}, ${this.field("nLayers")} layers × ${this.field("nHeads")} heads, selected ${s ? headLabel(s) : "none"})`;
  }
}

/** Shows per-head scores as a layer × head heatmap. */
export function headScores(options: HeadScoresOptions): HeadScores {
  return new HeadScores(options);
}
