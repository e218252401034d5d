/** tslens's own views: the kernel-side classes a cell gets (one folder per view). */
export { AttentionPatterns, attentionPatterns } from "./attentionPatterns/attentionPatterns";
export type { AttentionPatternsOptions } from "./attentionPatterns/attentionPatterns";
export { HeadScores, headScores } from "./headScores/headScores";
export type { HeadScoresOptions } from "./headScores/headScores";
export { headLabel, parseHeadLabel } from "../common/heads";
export type { HeadRef } from "../common/heads";
export { InductionHeads, inductionHeads } from "./inductionHeads/inductionHeads";
export type { InductionHeadsOptions } from "./inductionHeads/inductionHeads";
export { ColoredTokens, coloredTokens } from "./coloredTokens/coloredTokens";
export type { ColoredTokensOptions } from "./coloredTokens/coloredTokens";
export { LogitLens, logitLens } from "./logitLens/logitLens";
export type { LogitLensOptions } from "./logitLens/logitLens";
export { Plot, plot } from "./plot/plot";
export type { Figure } from "./plot/spec";
export { ProgressBar } from "./progress/progressBar";
export type { ProgressBarOptions } from "./progress/progressBar";
export type { ProgressUnit } from "./progress/format";
