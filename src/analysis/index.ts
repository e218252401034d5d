/**
 * Analysis instruments over a model and its runs: head detectors, induction diagnostics and repeated sequences, the
 * logit lens, activation patching, FLOP accounting, composition scores between heads.
 */
export { detectHead } from "./detectHead";
export type { DetectHeadOptions, DetectionPatternInput } from "./detectHead";
export { detectionPattern, duplicateTokenPattern, inductionPattern, previousTokenPattern, HEAD_NAMES } from "./detectionPatterns";
export type { HeadName } from "./detectionPatterns";
export { inductionLoss, inductionScores, repeatedRandomTokens } from "./induction";
export type { InductionLossOptions, InductionScoresOptions, RepeatedTokensOptions } from "./induction";
export { countFlops } from "./flops";
export type { ComponentCount, FlopComponent, FlopReport } from "./flops";
export { compositionScores } from "./compositionScores";
export type { CompositionMode, CompositionScores, CompositionScoresOptions } from "./compositionScores";
export * from "./patching";
export { attentionEntropy, bosAttention, headSummary, topSource } from "./attentionSummaries";
export { logitLensHooks, logitLensTopK } from "./logitLens";
export type { LogitLensTopK, LogitLensTopKOptions } from "./logitLens";
export { repeatedSequence, repeatedSequenceScores } from "./repeatedSequence";
export type { RepeatedSequenceOptions, RepeatedSequenceScores } from "./repeatedSequence";
export { testPrompt } from "./testPrompt";
export type { AnswerTokenScore, TestPromptOptions, TestPromptResult, TokenScore } from "./testPrompt";
export * from "./attribution/attrPatch";
export { attributionVsPatching } from "./attribution/compareView";
export type { AttributionVsPatchingOptions } from "./attribution/compareView";
