/**
 * The synced fields of logitLens, shared by the kernel class (logitLens.ts) and the browser model
 * and view (widgets/src/logitLens/): for every layer and position the top-k next tokens and their
 * probabilities (float32 [layers, pos, k]), the actual next token at each position and where it ranks in each
 * layer's top k (the view marks the cells whose top prediction is it). Token text is for display (byte pieces as
 * <0xNN>, word starts with their space) when the view was made with the model. A view made from a model and a text has
 * a prompt box: its text (null: no box) goes to the kernel, or to the page of a live export, which answers with the
 * new prompt's fields (src/views/logitLens/fields.ts logitLensWireFields) or an error.
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
  /** The token that follows each position [pos] ("" after the last one). */
  nextTokens: field<string[]>("next_tokens", []),
  /** Where the next token ranks in each layer's top k at each position [layers][pos]: 0 for the top prediction, −1 if absent. */
  nextRank: field<number[][]>("next_rank", []),
  /** The prompt box's text; null when the view has no box (it was given a lens result, a cache or token ids). */
  prompt: field<string | null>("prompt", null),
  /** The last typed prompt's error ("" when it was answered). */
  promptError: field<string>("prompt_error", ""),
});

/** The prompt box's placeholder (the box sends its text when it loses focus). */
export const LENS_PLACEHOLDER = "a prompt; click outside the box (or Tab) to run it";

/** The fields of logitLens. */
export type LogitLensFields = FieldsOf<typeof logitLensSpec>;
