/**
 * The synced fields of headScores, shared by the kernel class (headScores.ts) and the browser model
 * and view (widgets/src/headScores/): a [layers, heads] grid of scores on the colour scale
 * [valueMin, valueMax] (titled by `scaleNote`: fixed, or autoscaled to the scores), and the selected head as
 * { layer, head } (set by a click in the view). `linkedPatterns` ("IPY_MODEL_<id>" of an attentionPatterns view, or
 * null) is the view whose large pattern previews a hovered cell's head: the grid's view sends that model the
 * PREVIEW_HEAD_EVENT with the head's index in its headNames (null when the pointer leaves the grid).
 */
import type { HeadRef } from "../../common/heads";
import { defineView, field } from "../../common/spec";
import type { FieldsOf } from "../../common/spec";

export const headScoresSpec = defineView("HeadScores", {
  title: field("title", "head scores"),
  /** Scores [layer][head]. */
  scores: field<number[][]>("scores", []),
  nLayers: field("n_layers", 0),
  nHeads: field("n_heads", 0),
  valueMin: field("value_min", 0),
  valueMax: field("value_max", 1),
  /** What the colour scale is, shown as the colour bar's title: "fixed 0 … 1" or "autoscaled: max 0.080". */
  scaleNote: field("scale_note", ""),
  selected: field<HeadRef | null>("selected", null),
  /** "IPY_MODEL_<id>" of the attentionPatterns view that previews a hovered cell's head, or null. */
  linkedPatterns: field<string | null>("linked_patterns", null),
});

/**
 * The browser-side event a score grid's view triggers on its linked attentionPatterns model when a cell is hovered:
 * its argument is the head's index in that model's headNames, or null when the pointer left the grid (show the
 * selected head again). Never synced to the kernel: a hover is a preview, a click selects.
 */
export const PREVIEW_HEAD_EVENT = "tslens:preview-head";

/** The fields of headScores. */
export type HeadScoresFields = FieldsOf<typeof headScoresSpec>;
