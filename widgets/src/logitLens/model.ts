/** The logit-lens model (see src/widgets/views/logitLens.ts for the kernel side). */
import { DOMWidgetModel, ISerializers } from "@jupyter-widgets/base";
import { floatsSerializer } from "../../../src/common/quantise";
import { MODULE_NAME, MODULE_VERSION } from "../version";

export class LogitLensModel extends DOMWidgetModel {
  defaults() {
    return {
      ...super.defaults(),
      _model_name: "LogitLensModel",
      _model_module: MODULE_NAME,
      _model_module_version: MODULE_VERSION,
      _view_name: "LogitLensView",
      _view_module: MODULE_NAME,
      _view_module_version: MODULE_VERSION,
      tokens: [],
      layer_labels: [],
      top_tokens: [],
      top_probs: null,
      top_k: 5,
    };
  }

  static serializers: ISerializers = { ...DOMWidgetModel.serializers, top_probs: floatsSerializer };
}
