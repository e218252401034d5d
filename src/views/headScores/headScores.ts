/**
 * `headScores({ scores })`: a layer × head heatmap of any per-head score (drawn with plotly in the
 * view). Clicking a cell sets `selected = { layer, head }` in the kernel; setting it moves the frame.
 */
import type { Tensor } from "@tensorflow/tfjs-core";
import { symmetricRange } from "../../common/draw/colors";
import { formatShort } from "../../common/draw/tokens";
import { HeadRef, headLabel, isHeadRef } from "../../common/heads";
import type { ValueOf } from "../../common/spec";
import type { Widget } from "../../widget-core/widget";
import { ViewWidget } from "../core/viewWidget";
import { headScoresPng } from "./snapshot";
import { HeadScoresFields, headScoresSpec } from "./spec";

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

/** `scale`, or an error when its ends are not in order. */
function checkedScale(scale: ScoreScale): ScoreScale {
  if (!(scale.max > scale.min)) throw new Error(`the colour scale needs max > min, got [${scale.min}, ${scale.max}]`);
  return scale;
}

function scoreRows(scores: Tensor | number[][]): number[][] {
  const rows = Array.isArray(scores) ? scores : scores.rank === 2 ? (scores.arraySync() as number[][]) : undefined;
  if (!rows || rows.length === 0 || !rows.every((r) => Array.isArray(r) && r.length === rows[0].length && r.length > 0))
    throw new Error(
      `scores must be [layers, heads] (a non-empty grid), got ${Array.isArray(scores) ? "ragged or empty rows" : `[${scores.shape}]`}`,
    );
  if (!rows.every((r) => r.every((v) => typeof v === "number"))) throw new Error("scores must hold numbers");
  return rows.map((r) => [...r]);
}

/** An end of a scale as the colour bar's title gives it: "0", "1", "0.5", "-0.25" (no trailing zeros). */
function scaleEnd(value: number): string {
  return Number.isInteger(value)
    ? String(value)
    : formatShort(value)
        .replace(/(\.\d*?)0+$/, "$1")
        .replace(/\.$/, "");
}

/** A colour scale and the note that titles its colour bar. */
export interface ScoreScale {
  min: number;
  max: number;
  note: string;
}

/**
 * The colour scale of `values` given the fixed ends in `given` (see HeadScoresOptions.min). A scale that would be
 * empty (every score 0 and an end autoscaled) becomes [min, min + 1] so the grid still draws.
 */
export function scoreScale(values: number[], given: { min?: number; max?: number } = {}): ScoreScale {
  const finite = values.filter((v) => Number.isFinite(v));
  const low = given.min ?? Math.min(0, ...finite);
  const high = given.max ?? Math.max(0, ...finite);
  const [min, max] = given.min === undefined && given.max === undefined ? symmetricRange(low, high) : [low, high];
  if (given.min !== undefined && given.max !== undefined) return { min, max, note: `fixed ${scaleEnd(min)} … ${scaleEnd(max)}` };
  if (!(max > min)) return { min, max: min + 1, note: `every score is ${formatShort(min)}` };
  if (given.max !== undefined) return { min, max, note: `autoscaled: min ${formatShort(min)}` };
  if (min < 0 && given.min === undefined) return { min, max, note: `autoscaled: ${formatShort(min)} … ${formatShort(max)}` };
  return { min, max, note: `autoscaled: max ${formatShort(max)}` };
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
    const rows = scoreRows(scores);
    const { min, max, note } = checkedScale(scoreScale(rows.flat(), range));
    this.setFields({ scores: rows, nLayers: rows.length, nHeads: rows[0].length, valueMin: min, valueMax: max, scaleNote: note });
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
