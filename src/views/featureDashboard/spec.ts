/**
 * The synced fields of featureDashboard, shared by the kernel class (featureDashboard.ts) and the browser view
 * (widgets/src/featureDashboard/): one SAE feature's top-activating examples (each a window of tokens around the
 * token where it fires), the tokens its decoder direction most promotes and suppresses through the unembedding
 * (W_dec · W_U), and the histogram of its non-zero activations with its firing density. All JSON: a dashboard holds
 * tens of numbers.
 */
import { defineView, field } from "../../common/spec";
import type { FieldsOf } from "../../common/spec";

export const featureDashboardSpec = defineView("FeatureDashboard", {
  /** The feature shown (−1: none yet). */
  feature: field("feature", -1),
  /** What the SAE is ("the standard SAE at blocks.1.hook_resid_pre (…)"). */
  saeName: field("sae_name", ""),
  /** "" when the data shown is the feature's; otherwise what is happening ("computing feature 3 …") or went wrong. */
  status: field("status", ""),
  /** Why a part is missing ("no corpus given …"), one line per missing part. */
  notes: field<string[]>("notes", []),
  /** Each example's tokens, as displayed [examples][window]. */
  exampleTokens: field<string[][]>("example_tokens", []),
  /** Where the feature fires in each example's window. */
  exampleIndex: field<number[]>("example_index", []),
  /** Its activation there. */
  exampleActs: field<number[]>("example_acts", []),
  /** The corpus row and position of each example. */
  exampleRows: field<number[]>("example_rows", []),
  examplePositions: field<number[]>("example_positions", []),
  /** The most promoted tokens (highest W_dec[feature] · W_U first) and their values. */
  topTokens: field<string[]>("top_tokens", []),
  topValues: field<number[]>("top_values", []),
  /** The most suppressed tokens (lowest first) and their values. */
  bottomTokens: field<string[]>("bottom_tokens", []),
  bottomValues: field<number[]>("bottom_values", []),
  /** Histogram of the non-zero activations: bins + 1 edges and a count per bin. */
  histEdges: field<number[]>("hist_edges", []),
  histCounts: field<number[]>("hist_counts", []),
  /** Non-zero activations over the corpus, tokens seen, and their ratio (the firing density). */
  nonZero: field("non_zero", 0),
  tokensSeen: field("tokens_seen", 0),
  density: field("density", 0),
});

/** The fields of featureDashboard. */
export type FeatureDashboardFields = FieldsOf<typeof featureDashboardSpec>;
