/**
 * The numbers behind a head-score grid, free of the widget classes (the kernel's view and tslens live's pages use
 * them alike): the scores as rows, and their colour scale with the note that titles the colour bar.
 */
import type { Tensor } from "@tensorflow/tfjs-core";
import { symmetricRange } from "../../common/draw/colors";
import { formatShort } from "../../common/draw/tokens";
import type { HeadScoresFields } from "./spec";
import type { Values } from "../../common/spec";

/** `scale`, or an error when its ends are not in order. */
export function checkedScale(scale: ScoreScale): ScoreScale {
  if (!(scale.max > scale.min)) throw new Error(`the colour scale needs max > min, got [${scale.min}, ${scale.max}]`);
  return scale;
}

/** `scores` as a copy of its rows, or an error unless it is a non-empty [layers, heads] grid of numbers. */
export function scoreRows(scores: Tensor | number[][]): number[][] {
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

/** The fields of a grid showing `scores` (the colour scale from `range`'s fixed ends, see scoreScale). */
export function scoreFields(
  scores: Tensor | number[][],
  range: { min?: number; max?: number } = {},
): Pick<Values<HeadScoresFields>, "scores" | "nLayers" | "nHeads" | "valueMin" | "valueMax" | "scaleNote"> {
  const rows = scoreRows(scores);
  const { min, max, note } = checkedScale(scoreScale(rows.flat(), range));
  return { scores: rows, nLayers: rows.length, nHeads: rows[0].length, valueMin: min, valueMax: max, scaleNote: note };
}
