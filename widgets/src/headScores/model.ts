/** The head-score grid model (see src/widgets/views/headScores.ts for the kernel side). */
import { DOMWidgetModel } from "@jupyter-widgets/base";
import { MODULE_NAME, MODULE_VERSION } from "../version";

/** A head, by layer and index. */
export interface HeadRef {
  layer: number;
  head: number;
}

export class HeadScoresModel extends DOMWidgetModel {
  defaults() {
    return {
      ...super.defaults(),
      _model_name: "HeadScoresModel",
      _model_module: MODULE_NAME,
      _model_module_version: MODULE_VERSION,
      _view_name: "HeadScoresView",
      _view_module: MODULE_NAME,
      _view_module_version: MODULE_VERSION,
      title: "head scores",
      scores: [],
      n_layers: 0,
      n_heads: 0,
      value_min: 0,
      value_max: 1,
      selected: null,
    };
  }
}
