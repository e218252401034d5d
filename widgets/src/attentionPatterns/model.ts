/** The attention-patterns model: traits as the kernel sends them (see src/widgets/views/attentionPatterns.ts). */
import { DOMWidgetModel, ISerializers } from "@jupyter-widgets/base";
import type { QuantisedPatterns } from "../../../src/common/quantise";
import { bytesSerializer } from "../../../src/common/quantise";
import { MODULE_NAME, MODULE_VERSION } from "../version";

export class AttentionPatternsModel extends DOMWidgetModel {
  defaults() {
    return {
      ...super.defaults(),
      _model_name: "AttentionPatternsModel",
      _model_module: MODULE_NAME,
      _model_module_version: MODULE_VERSION,
      _view_name: "AttentionPatternsView",
      _view_module: MODULE_NAME,
      _view_module_version: MODULE_VERSION,
      tokens: [],
      query_tokens: [],
      head_names: [],
      patterns: null,
      n_heads: 0,
      n_queries: 0,
      n_keys: 0,
      value_min: 0,
      value_max: 1,
      mask_upper_tri: true,
      selected_head: 0,
      token_mode: "query",
      locked_token: -1,
      patterns_version: 0,
    };
  }

  static serializers: ISerializers = { ...DOMWidgetModel.serializers, patterns: bytesSerializer };

  /** The patterns with their scale, or undefined before any arrived. */
  patterns(): QuantisedPatterns | undefined {
    const bytes = this.get("patterns") as Uint8Array | null;
    if (!bytes) return undefined;
    return {
      bytes,
      heads: this.get("n_heads"),
      queries: this.get("n_queries"),
      keys: this.get("n_keys"),
      min: this.get("value_min"),
      max: this.get("value_max"),
      maskUpper: this.get("mask_upper_tri"),
    };
  }
}
