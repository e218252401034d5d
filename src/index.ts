/**
 * tslens: look inside transformer language models from TypeScript notebooks.
 *
 *   import * as lens from "tslens";
 *   const model = await lens.loadModel("path/to/hf-folder");
 *   const { logits, cache } = model.runWithCache("The cat sat. The cat");
 */
export * from "./widget-core";
export * from "./controls";
export * from "./views";
export type { AttentionPatternsFromCache } from "./views/attentionPatterns/attentionPatterns";
export { MIME_BUNDLE_KEY } from "./common/host";
export type { MimeBundle } from "./common/host";
export { loadModel } from "./model/loadModel";
export type { LoadModelOptions } from "./model/loadModel";
export { HookedTransformer } from "./model/hookedTransformer";
export type {
  ModelInput,
  TokenOptions,
  RunWithCacheOptions,
  RunWithHooksOptions,
  RunWithGradsOptions,
  GradRun,
  RunFromLayerOptions,
  NamesFilter,
  TokenPositionOptions,
} from "./model/hookedTransformer";
export { processWeights } from "./model/processWeights";
export type { HookFn, HookInfo, HookTarget } from "./model/hooks";
export { hookName } from "./model/hookPoints";
export { actName } from "./model/actName";
export type { ActLayerType, ActName, CompactActName } from "./model/actName";
export type { BlockHookSuffix, HookName, HookTensor } from "./model/hookPoints";
export { ActivationCache } from "./cache/activationCache";
export type { Slice } from "./cache/slice";
export * from "./analysis";
export type { TransformerConfig } from "./loading/config";
export { backend, backendInfo, initBackend, tf } from "./tensor";
export { Tokenizer } from "./tokenizer";
export type { BwdHookFn, GradMetric } from "./gradients/gradientRun";
export * from "./sae";
export { gradientXInput, integratedGradients } from "./gradients/tokenAttribution";
export type { IntegratedGradientsOptions } from "./gradients/tokenAttribution";
