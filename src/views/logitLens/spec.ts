/**
 * The synced fields of logitLens, shared by the kernel class (logitLens.ts) and the browser model
 * and view (widgets/src/logitLens/): for every layer and position the top-k next tokens and their
 * probabilities (float32 [layers, pos, k]).
 */
import { floatsSerializer } from "../../common/quantise";
import { defineView, field } from "../../common/spec";
import type { FieldsOf } from "../../common/spec";

export const logitLensSpec = defineView("LogitLens", {
  /** The input tokens (column heads). */
  tokens: field<string[]>("tokens", []),
  /** One label per row: "0_pre" … "final_post". */
  layerLabels: field<string[]>("layer_labels", []),
  /** Top-k token strings [layers, pos, k]. */
  topTokens: field<string[][][]>("top_tokens", []),
  /** Their probabilities [layers, pos, k], float32. */
  topProbs: field<Float32Array | null>("top_probs", null, floatsSerializer),
  topK: field("top_k", 5),
});

/** The fields of logitLens. */
export type LogitLensFields = FieldsOf<typeof logitLensSpec>;
