/**
 * Sparse autoencoders in SAELens's format: loading, encode/decode, splicing into a model, metrics.
 */
export { loadSae, bundledSaes, bundledSaesDir, expectedParameters, SAE_CONFIG_FILE, SAE_WEIGHTS_FILE } from "./loadSae";
export type { LoadSaeOptions } from "./hubSae";
export { Sae, SAE_HOOK_SUFFIXES } from "./sae";
export type { SaeHookSuffix } from "./sae";
export { parseSaeConfig, SAE_ARCHITECTURES, SAE_NORMALIZATIONS } from "./config";
export type { SaeArchitecture, SaeConfig, SaeNormalization } from "./config";
export { runWithSaes, runWithCacheWithSaes } from "./splice";
export type {
  AnyHookName,
  RunWithCacheWithSaesOptions,
  RunWithSaesOptions,
  SaeHookFn,
  SaeHookName,
  SaeHookTarget,
} from "./splice";
import "./methods";
export { saeMetrics } from "./metrics";
export type { SaeMetrics, SaeMetricsOptions } from "./metrics";
export { featureHistogram, featureLogits, featureTopExamples } from "./features";
export type {
  FeatureExample,
  FeatureHistogram,
  FeatureHistogramOptions,
  FeatureInputs,
  FeatureLogit,
  FeatureLogits,
  FeatureStreamOptions,
  FeatureTopExamples,
  FeatureTopExamplesOptions,
} from "./features";
