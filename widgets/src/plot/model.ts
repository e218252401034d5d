/** The plotly-figure model (see src/widgets/views/plot.ts for the kernel side). */
import { DOMWidgetModel } from "@jupyter-widgets/base";
import { MODULE_NAME, MODULE_VERSION } from "../version";

export class PlotModel extends DOMWidgetModel {
  defaults() {
    return {
      ...super.defaults(),
      _model_name: "PlotModel",
      _model_module: MODULE_NAME,
      _model_module_version: MODULE_VERSION,
      _view_name: "PlotView",
      _view_module: MODULE_NAME,
      _view_module_version: MODULE_VERSION,
      figure_data: [],
      figure_layout: {},
    };
  }
}
