/**
 * The synced fields of saeFeatures' token view (SaeFeatureTokens), shared by the kernel class (saeFeatures.ts) and the browser view
 * (widgets/src/saeFeatures/): the text's tokens, each token's strongest SAE features (indices and activations,
 * [pos, k]), the feature the tokens are coloured by with its activation at every token, and the features that fire
 * on the text (the picker's choices, strongest first). A click on a feature in the view sends the custom message
 * `{ request: "dashboard", feature }`; the kernel answers by filling the linked featureDashboard.
 */
import { floatsSerializer } from "../../common/quantise";
import { defineView, field } from "../../common/spec";
import type { FieldReader, FieldsOf } from "../../common/spec";

export const saeFeatureTokensSpec = defineView("SaeFeatureTokens", {
  /** The text's tokens, as displayed. */
  tokens: field<string[]>("tokens", []),
  /** The hook point the SAE reads ("blocks.1.hook_resid_pre"). */
  hookName: field("hook_name", ""),
  /** Number of features of the SAE. */
  dSae: field("d_sae", 0),
  /** Features listed per token. */
  topK: field("top_k", 0),
  /** Each token's strongest firing features [pos][≤ k], strongest first (features that do not fire are left out). */
  topFeatures: field<number[][]>("top_features", []),
  /** Their activations [pos, k], float32, 0 where a token has fewer than k firing features. */
  topActs: field<Float32Array | null>("top_acts", null, floatsSerializer),
  /** The feature the tokens are coloured by (−1 before one is chosen). */
  feature: field("feature", -1),
  /** The feature featureActs belongs to: it trails `feature` while the kernel recolours after a pick in the view. */
  actsFeature: field("acts_feature", -1),
  /** Its activation at every token [pos], float32. */
  featureActs: field<Float32Array | null>("feature_acts", null, floatsSerializer),
  /** The colour scale's top: the feature's largest activation on the text (1 when it never fires). */
  featureMax: field("feature_max", 1),
  /** Features that fire on the text, by their largest activation there (strongest first): the picker's choices. */
  choices: field<number[]>("choices", []),
  /** The largest activation of each choice. */
  choiceMaxes: field<number[]>("choice_maxes", []),
});

/** The fields of saeFeatures. */
export type SaeFeatureTokensFields = FieldsOf<typeof saeFeatureTokensSpec>;

/** The custom message a click on a feature sends to the kernel. */
export interface DashboardRequest {
  request: "dashboard";
  feature: number;
}

/** The features listed at token `position`: index and activation, strongest first. */
export function tokenFeatures(read: FieldReader<SaeFeatureTokensFields>, position: number): { feature: number; act: number }[] {
  const acts = read("topActs");
  const k = read("topK");
  const features = read("topFeatures")[position] ?? [];
  if (!acts) return [];
  return features.map((feature, i) => ({ feature, act: acts[position * k + i] }));
}
