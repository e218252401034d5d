/**
 * The synced fields of headScores, shared by the kernel class (headScores.ts) and the browser model
 * and view (widgets/src/headScores/): a [layers, heads] grid of scores on the colour scale
 * [valueMin, valueMax], and the selected head as { layer, head } (set by a click in the view).
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
  selected: field<HeadRef | null>("selected", null),
});

/** The fields of headScores. */
export type HeadScoresFields = FieldsOf<typeof headScoresSpec>;
