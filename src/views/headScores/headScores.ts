/**
 * `headScores({ scores })`: a layer × head heatmap of any per-head score (drawn with plotly in the
 * view). Clicking a cell sets `selected = { layer, head }` in the kernel; setting it moves the frame.
 */
import type { Tensor } from "@tensorflow/tfjs-core";
import { HeadRef, headLabel, isHeadRef } from "../../common/heads";
import { scaleWithZero } from "../../common/quantise";
import type { ValueOf } from "../../common/spec";
import { ViewWidget } from "../core/viewWidget";
import { headScoresPng } from "./snapshot";
import { HeadScoresFields, headScoresSpec } from "./spec";

export type { HeadRef };

/** Options of headScores. */
export interface HeadScoresOptions {
  /** Scores [layers, heads], e.g. lens.detectHead(model, text, "induction_head"). */
  scores: Tensor | number[][];
  title?: string;
  /** Colour scale (default: the scores' range, widened to include 0). */
  min?: number;
  max?: number;
  /** The head framed at first (default none). */
  selected?: HeadRef | null;
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
    const [min, max] = scaleWithZero(rows.flat(), options);
    if (!(max > min)) throw new Error(`the colour scale needs max > min, got [${min}, ${max}]`);
    super(headScoresSpec, {
      title: options.title ?? "head scores",
      scores: rows,
      nLayers: rows.length,
      nHeads: rows[0].length,
      valueMin: min,
      valueMax: max,
      selected: checkedHead(options.selected ?? null, rows.length, rows[0].length),
    });
  }

  protected override validate(key: string, value: unknown): unknown {
    return key === "selected" ? checkedHead(value, this.field("nLayers"), this.field("nHeads")) : value;
  }

  /** Replaces the scores (and the colour scale, unless given). */
  update(scores: Tensor | number[][], range: { min?: number; max?: number } = {}): void {
    const rows = scoreRows(scores);
    const [min, max] = scaleWithZero(rows.flat(), range);
    this.setFields({ scores: rows, nLayers: rows.length, nHeads: rows[0].length, valueMin: min, valueMax: max });
  }

  protected snapshot(): Uint8Array | undefined {
    return headScoresPng({
      title: this.field("title"),
      scores: this.field("scores"),
      min: this.field("valueMin"),
      max: this.field("valueMax"),
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
