/** Every model and view of the "tslens-widgets" module. */
export { AttentionPatternsModel } from "./attention/model";
export { AttentionPatternsView } from "./attention/view";
export { HeadScoresModel } from "./scores/model";
export { HeadScoresView } from "./scores/view";
export { ColoredTokensModel } from "./tokens/model";
export { ColoredTokensView } from "./tokens/view";
export { LogitLensModel } from "./lens/model";
export { LogitLensView } from "./lens/view";
export { PlotModel } from "./plot/model";
export { PlotView } from "./plot/view";
