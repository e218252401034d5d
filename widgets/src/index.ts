/** Every model and view of the "tslens-widgets" module. */
export { AttentionPatternsModel } from "./attentionPatterns/model";
export { AttentionPatternsView } from "./attentionPatterns/view";
export { HeadScoresModel } from "./headScores/model";
export { HeadScoresView } from "./headScores/view";
export { ColoredTokensModel } from "./coloredTokens/model";
export { ColoredTokensView } from "./coloredTokens/view";
export { LogitLensModel } from "./logitLens/model";
export { LogitLensView } from "./logitLens/view";
export { PlotModel } from "./plot/model";
export { PlotView } from "./plot/view";
