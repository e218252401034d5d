/**
 * `headScores({ scores })`: a layer × head heatmap of any per-head score (drawn with plotly in the
 * view). Clicking a cell sets `selected = { layer, head }` in the kernel; setting it moves the frame.
 */
import type { Tensor } from "@tensorflow/tfjs-core";
import { headScoresPng } from "./snapshot";
import { LensWidget, viewState } from "../core/viewWidget";
import { scaleWithZero } from "../../common/quantise";

/** A head, by layer and index. */
export interface HeadRef {
  layer: number;
  head: number;
}

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

/** The head-score grid view. */
export class HeadScores extends LensWidget {
  /** The clicked (or set) head, or null. */
  declare selected: HeadRef | null;
  declare title: string;

  constructor(options: HeadScoresOptions) {
    const rows = scoreRows(options.scores);
    const [min, max] = scaleWithZero(rows.flat(), options);
    if (!(max > min)) throw new Error(`the colour scale needs max > min, got [${min}, ${max}]`);
    super(
      viewState("HeadScores", {
        title: options.title ?? "head scores",
        scores: rows,
        n_layers: rows.length,
        n_heads: rows[0].length,
        value_min: min,
        value_max: max,
        selected: null,
      }),
    );
    if (options.selected) this.selected = options.selected;
  }

  protected override validate(key: string, value: unknown): unknown {
    if (key !== "selected" || value === null) return value;
    const v = value as HeadRef;
    const [layers, heads] = [this.get("n_layers") as number, this.get("n_heads") as number];
    if (
      typeof v !== "object" ||
      !Number.isInteger(v.layer) ||
      !Number.isInteger(v.head) ||
      v.layer < 0 ||
      v.layer >= layers ||
      v.head < 0 ||
      v.head >= heads
    )
      throw new Error(`selected must be null or { layer: 0…${layers - 1}, head: 0…${heads - 1} }, got ${JSON.stringify(value)}`);
    return { layer: v.layer, head: v.head };
  }

  /** Replaces the scores (and the colour scale, unless given). */
  update(scores: Tensor | number[][], range: { min?: number; max?: number } = {}): void {
    const rows = scoreRows(scores);
    const [min, max] = scaleWithZero(rows.flat(), range);
    this.set({ scores: rows, n_layers: rows.length, n_heads: rows[0].length, value_min: min, value_max: max });
  }

  protected snapshot(): Uint8Array | undefined {
    return headScoresPng({
      title: this.get("title") as string,
      scores: this.get("scores") as number[][],
      min: this.get("value_min") as number,
      max: this.get("value_max") as number,
      selected: this.get("selected") as HeadRef | null,
    });
  }

  override toString(): string {
    const s = this.get("selected") as HeadRef | null;
    return `HeadScores(${JSON.stringify(this.get("title"))}, ${this.get("n_layers")} layers × ${this.get("n_heads")} heads, selected ${s ? `L${s.layer}H${s.head}` : "none"})`;
  }
}

/** Shows per-head scores as a layer × head heatmap. */
export function headScores(options: HeadScoresOptions): HeadScores {
  return new HeadScores(options);
}
