/**
 * The synced fields of compositionView, shared by the kernel class (compositionView.ts) and the browser model and
 * view (widgets/src/compositionView/): the Q-, K- and V-composition scores of every earlier head (rows: the heads of
 * layers 0 … n_layers − 2) into every later head (columns: the heads of layers 1 … n_layers − 1) as float32
 * [3, rows, columns] in the order Q, K, V (cells whose column is not in a later layer than their row hold 0 and are
 * drawn masked), which of the three is shown (`kind`, switched in the view), the colour scale (one for all three
 * kinds, so switching keeps the colours' meaning), an optional baseline subtracted before colouring (the score random
 * weights of the same shapes would get), how many of the strongest edges the view lists, and the selected edge.
 */
import type { HeadRef } from "../../common/heads";
import { floatsSerializer } from "../../common/quantise";
import { defineView, field } from "../../common/spec";
import type { FieldsOf } from "../../common/spec";
import type { CompositionKind, EdgeRef } from "../../common/draw/compositionEdges";

export const compositionViewSpec = defineView("CompositionView", {
  title: field("title", "composition scores"),
  /** The kind shown: "Q", "K" or "V". */
  kind: field<CompositionKind>("kind", "K"),
  nLayers: field("n_layers", 0),
  nHeads: field("n_heads", 0),
  /** Scores [kind (Q, K, V), earlier head, later head], float32. */
  scores: field<Float32Array | null>("scores", null, floatsSerializer),
  valueMin: field("value_min", 0),
  valueMax: field("value_max", 1),
  /** What the colour scale is: "fixed 0 … 1", "autoscaled: max 0.239". */
  scaleNote: field("scale_note", ""),
  /** Subtracted from every score before colouring (0: none). */
  baseline: field("baseline", 0),
  /** Where the baseline comes from, e.g. "random weights of the same shapes (mean of 200 draws)"; "" without one. */
  baselineNote: field("baseline_note", ""),
  /** How many of the strongest edges of the shown kind the view lists. */
  topCount: field("top_count", 8),
  /** The edge framed: { from: earlier head, to: later head }, set by a click in the view, or null. */
  selected: field<EdgeRef | null>("selected", null),
});

/** The fields of compositionView. */
export type CompositionViewFields = FieldsOf<typeof compositionViewSpec>;

export type { HeadRef };
