/**
 * tslens live: the engine in a browser page, with no server and no network. One script (live/build.js writes it)
 * exposes `tslensLive`: load an embedded model or one from bytes, run it with hooks and caches, and compute what the
 * views show — head detectors, induction scores, the logit lens — with the same code and numbers as the kernel.
 *
 *   const model = await tslensLive.loadModel("attn-only-2l");
 *   const scores = tslensLive.repeatedSequenceScores(model, { prompt: "The cat sat on the mat." });
 *
 * Loading the script also registers the live elements <tslens-induction-heads> and <tslens-logit-lens> (see
 * live/src/elements/index.ts).
 */
export { tf } from "../platform/tensor";
export { chosenBackend, initLiveBackend as initBackend } from "./backend";
export type { LiveBackendInfo, LiveBackendName, LiveBackendRequest } from "./backend";
export { loadModelFromFiles, tokenizerFromFiles } from "./loadModel";
export type { JsonFile, LiveLoadOptions, ModelFiles } from "./loadModel";
export { addModel, embeddedModels, loadModel } from "./models";
export type { EmbeddedModel } from "./models";
export { HookedTransformer } from "../../src/model/hookedTransformer";
export { ActivationCache } from "../../src/cache/activationCache";
export { Tokenizer } from "../../src/tokenizer/tokenizer";
export { detectHead } from "../../src/analysis/detectHead";
export { detectionPattern, HEAD_NAMES } from "../../src/analysis/detectionPatterns";
export { inductionLoss, inductionScores, repeatedRandomTokens } from "../../src/analysis/induction";
export { repeatedSequence, repeatedSequenceScores } from "../../src/analysis/repeatedSequence";
export { logitLensHooks, logitLensTopK } from "../../src/analysis/logitLens";
export { wireExportedPage } from "./exportedPage";
export type { LiveViewReport } from "./exportedPage";
export { defineElements, InductionHeadsElement, LogitLensElement, sharedModel } from "./elements";
export type { InductionHeadsResult, LogitLensResult } from "./elements";
import { defineElements } from "./elements";

defineElements();
