/**
 * Browser models from view specs (src/views/<view>/spec.ts, shared with the kernel): a model's
 * defaults, identity keys and binary serialisers all come from the spec, and views read and write
 * fields by their names in code, typed by the spec, instead of by untyped state keys.
 */
import { DOMWidgetModel, DOMWidgetView, ExportMap, ISerializers, WidgetModel } from "@jupyter-widgets/base";
import { MODULE_VERSION } from "../../../src/common/module";
import { changeEvents, fieldReader, identityState, wireDefaults, wireSerializers } from "../../../src/common/spec";
import type { FieldReader, Fields, FieldValue, ViewSpec } from "../../../src/common/spec";

/** The model class of a view: defaults and serialisers from its spec. */
export function specModel(spec: ViewSpec): typeof DOMWidgetModel {
  class SpecModel extends DOMWidgetModel {
    defaults() {
      return { ...super.defaults(), ...identityState(spec, MODULE_VERSION), ...wireDefaults(spec) };
    }

    static serializers: ISerializers = { ...DOMWidgetModel.serializers, ...wireSerializers(spec) };
  }
  Object.defineProperty(SpecModel, "name", { value: spec.modelName });
  return SpecModel;
}

/** Typed access to a model's fields. */
export interface FieldAccess<F extends Fields> {
  /** Reads a field by its name in code. */
  readonly get: FieldReader<F>;
  /** Sets a field and sends the change to the kernel. */
  save<K extends keyof F & string>(name: K, value: FieldValue<F[K]>): void;
  /** The Backbone change events of the named fields, for listenTo. */
  changes(...names: (keyof F & string)[]): string;
}

/** Typed access to the fields of `model`, a model of `spec`'s view. */
export function fieldsOf<F extends Fields>(spec: ViewSpec<F>, model: WidgetModel): FieldAccess<F> {
  return {
    get: fieldReader(spec, (wire) => model.get(wire)),
    save: (name, value) => {
      model.set(spec.fields[name].wire, value);
      model.save_changes();
    },
    changes: (...names) => changeEvents(spec, names),
  };
}

/** What the module exports: "<Name>Model" and "<Name>View" of every view. */
export function moduleExports(views: [ViewSpec, typeof DOMWidgetView][]): ExportMap {
  const out: ExportMap = {};
  for (const [spec, view] of views) {
    out[spec.modelName] = specModel(spec);
    out[spec.viewName] = view;
  }
  return out;
}
