/**
 * Every model and view of the MODULE_NAME module: for each view its spec (src/views/<view>/spec.ts)
 * and its browser view; the models are made from the specs.
 */
import { attentionPatternsSpec } from "../../src/views/attentionPatterns/spec";
import { coloredTokensSpec } from "../../src/views/coloredTokens/spec";
import { compositionViewSpec } from "../../src/views/compositionView/spec";
import { headScoresSpec } from "../../src/views/headScores/spec";
import { logitLensSpec } from "../../src/views/logitLens/spec";
import { plotSpec } from "../../src/views/plot/spec";
import { featureDashboardSpec } from "../../src/views/featureDashboard/spec";
import { saeFeatureTokensSpec } from "../../src/views/saeFeatures/spec";
import { AttentionPatternsView } from "./attentionPatterns/view";
import { ColoredTokensView } from "./coloredTokens/view";
import { CompositionViewView } from "./compositionView/view";
import { moduleExports } from "./core/model";
import { HeadScoresView } from "./headScores/view";
import { LogitLensView } from "./logitLens/view";
import { PlotView } from "./plot/view";
import { FeatureDashboardView } from "./featureDashboard/view";
import { SaeFeatureTokensView } from "./saeFeatures/view";

/** "<Name>Model" and "<Name>View" of every view, as the ipywidgets manager looks them up. */
export const VIEWS = moduleExports([
  [attentionPatternsSpec, AttentionPatternsView],
  [headScoresSpec, HeadScoresView],
  [coloredTokensSpec, ColoredTokensView],
  [logitLensSpec, LogitLensView],
  [plotSpec, PlotView],
  [compositionViewSpec, CompositionViewView],
  [saeFeatureTokensSpec, SaeFeatureTokensView],
  [featureDashboardSpec, FeatureDashboardView],
]);
