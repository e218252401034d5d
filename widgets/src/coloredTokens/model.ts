/** The coloured-tokens model (see src/widgets/views/coloredTokens.ts for the kernel side). */
import { DOMWidgetModel, ISerializers } from "@jupyter-widgets/base";
import { floatsSerializer } from "../../../src/common/quantise";
import { MODULE_NAME, MODULE_VERSION } from "../version";

export class ColoredTokensModel extends DOMWidgetModel {
  defaults() {
    return {
      ...super.defaults(),
      _model_name: "ColoredTokensModel",
      _model_module: MODULE_NAME,
      _model_module_version: MODULE_VERSION,
      _view_name: "ColoredTokensView",
      _view_module: MODULE_NAME,
      _view_module_version: MODULE_VERSION,
      tokens: [],
      set_names: [],
      values: null,
      value_mins: [],
      value_maxs: [],
      selected: "",
    };
  }

  static serializers: ISerializers = { ...DOMWidgetModel.serializers, values: floatsSerializer };
}
