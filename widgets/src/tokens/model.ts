/** The coloured-tokens model (see src/widgets/views/coloredTokens.ts for the kernel side). */
import { DOMWidgetModel, ISerializers } from "@jupyter-widgets/base";
import { MODULE_NAME, MODULE_VERSION } from "../version";

/** Float32 values from a bytes buffer. */
const floatsSerializer = {
  deserialize(value: DataView | null): Float32Array | null {
    if (!value) return null;
    const copy = value.buffer.slice(value.byteOffset, value.byteOffset + value.byteLength); // aligned for Float32Array
    return new Float32Array(copy);
  },
  serialize(value: Float32Array | null): DataView | null {
    return value ? new DataView(value.buffer, value.byteOffset, value.byteLength) : null;
  },
};

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
