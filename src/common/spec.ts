/**
 * View specs: one typed declaration per view of the fields the kernel and the browser keep in sync.
 * A field has a name in code (camelCase, the kernel property), a wire name (the ipywidgets state
 * key), a type, a default, and for binary data a serialiser. The kernel class (src/views/<view>/)
 * and the browser model and view (widgets/src/<view>/) read the same spec, so wire names, defaults
 * and serialisers are written once:
 *
 *   export const barsSpec = defineView("Bars", {
 *     label: field("label", ""),
 *     values: field<Float32Array | null>("values", null, floatsSerializer),
 *   });
 *   read("values") // Float32Array | null, from a kernel widget or a browser model alike
 */
import { MODULE_NAME } from "./module";
import type { Serializer } from "./quantise";

/** camelCase name of a wire state key ("continuous_update" → "continuousUpdate"). */
export function camelName(key: string): string {
  return key.replace(/_([a-z0-9])/g, (_m, c: string) => c.toUpperCase());
}

/** Wire state key of a camelCase name ("readoutFormat" → "readout_format"). */
export function wireName(name: string): string {
  return name.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);
}

/** One synced field of a view. */
export interface Field<T> {
  /** The state key on the wire (snake_case). */
  readonly wire: string;
  /** The value before the kernel sets one (a browser model's default; the kernel's when an option is not given). */
  readonly default: T;
  /** How binary values are read from comm buffers and written back; absent for JSON values. */
  readonly serializer?: Serializer<T>;
}

/** The fields of a view, by name in code. */
export type Fields = Record<string, Field<unknown>>;

/** The value type of a field. */
export type FieldValue<F> = F extends Field<infer T> ? T : never;

/** A value for every field of `F`, by name in code. */
export type Values<F extends Fields> = { [K in keyof F]: FieldValue<F[K]> };

/** A view: its name (models "<name>Model", views "<name>View" in MODULE_NAME) and its synced fields. */
export interface ViewSpec<F extends Fields = Fields> {
  readonly name: string;
  readonly modelName: string;
  readonly viewName: string;
  readonly fields: F;
}

/** The fields of a spec. */
export type FieldsOf<S> = S extends ViewSpec<infer F> ? F : never;

/** The value type of field `K` of spec `S`, e.g. `ValueOf<typeof attentionPatternsSpec, "selectedHead">`. */
export type ValueOf<S extends ViewSpec, K extends keyof FieldsOf<S>> = FieldValue<FieldsOf<S>[K]>;

/** Reads a field by its name in code, typed by the spec. */
export type FieldReader<F extends Fields> = <K extends keyof F & string>(name: K) => FieldValue<F[K]>;

/** State keys every DOM widget has already; a view's own fields must not take them. */
const RESERVED = new Set(["layout", "tabbable", "tooltip", "_dom_classes"]);

/** Declares a field: wire name, default and (for binary values) serialiser. */
export function field<T>(wire: string, defaultValue: T, serializer?: Serializer<T>): Field<T> {
  return serializer ? { wire, default: defaultValue, serializer } : { wire, default: defaultValue };
}

/**
 * Declares a view. Each field's name in code must be the camelCase form of its wire name (that is
 * the property the kernel object shows; so wire names are unique too), and not a DOM widget's own key.
 */
export function defineView<F extends Fields>(name: string, fields: F): ViewSpec<F> {
  if (!/^[A-Z][A-Za-z0-9]*$/.test(name)) throw new Error(`view name must be PascalCase, got ${JSON.stringify(name)}`);
  for (const [key, f] of Object.entries(fields)) {
    if (f.wire.startsWith("_") || RESERVED.has(f.wire)) throw new Error(`${name}: field "${key}" takes a DOM widget's own key`);
    if (camelName(f.wire) !== key || wireName(key) !== f.wire)
      throw new Error(`${name}: field "${key}" has wire name "${f.wire}"; they must be the same name (camelCase / snake_case)`);
  }
  return { name, modelName: `${name}Model`, viewName: `${name}View`, fields };
}

/** A fresh copy of a default (JSON values are copied so instances never share a list or object). */
function copyDefault<T>(value: T): T {
  return value !== null && typeof value === "object" && !ArrayBuffer.isView(value)
    ? (JSON.parse(JSON.stringify(value)) as T)
    : value;
}

/** The `_model_*` / `_view_*` keys of a view's state; `version` is a range (kernel) or a version (browser). */
export function identityState(spec: ViewSpec, version: string): Record<string, string> {
  return {
    _model_name: spec.modelName,
    _model_module: MODULE_NAME,
    _model_module_version: version,
    _view_name: spec.viewName,
    _view_module: MODULE_NAME,
    _view_module_version: version,
  };
}

/** The defaults of every field, by wire name. */
export function wireDefaults(spec: ViewSpec): Record<string, unknown> {
  return Object.fromEntries(Object.values(spec.fields).map((f) => [f.wire, copyDefault(f.default)]));
}

/** State by wire name: every field, from `values` where given, else its default. Unknown names are refused. */
export function wireState<F extends Fields>(spec: ViewSpec<F>, values: Partial<Values<F>>): Record<string, unknown> {
  for (const key of Object.keys(values))
    if (!Object.prototype.hasOwnProperty.call(spec.fields, key)) throw new Error(`${spec.name} has no field "${key}"`);
  return Object.fromEntries(
    Object.entries(spec.fields).map(([key, f]) => [
      f.wire,
      Object.prototype.hasOwnProperty.call(values, key) ? values[key as keyof F] : copyDefault(f.default),
    ]),
  );
}

/** `values` (some fields, by name in code) by wire name. */
export function wireValues<F extends Fields>(spec: ViewSpec<F>, values: Partial<Values<F>>): Record<string, unknown> {
  return Object.fromEntries(
    Object.entries(values).map(([key, value]) => {
      const f = spec.fields[key];
      if (!f) throw new Error(`${spec.name} has no field "${key}"`);
      return [f.wire, value];
    }),
  );
}

/** The serialisers of the binary fields, by wire name (ipywidgets' `serializers` shape). */
export function wireSerializers(spec: ViewSpec): Record<string, Serializer<unknown>> {
  const out: Record<string, Serializer<unknown>> = {};
  for (const f of Object.values(spec.fields)) if (f.serializer) out[f.wire] = f.serializer;
  return out;
}

/** A typed reader over any store of wire-named values (a kernel widget's `get`, a browser model's `get`). */
export function fieldReader<F extends Fields>(spec: ViewSpec<F>, get: (wire: string) => unknown): FieldReader<F> {
  return <K extends keyof F & string>(name: K) => get(spec.fields[name].wire) as FieldValue<F[K]>;
}

/** Backbone change events of some fields ("change:a change:b"), for a browser view's listenTo. */
export function changeEvents<F extends Fields>(spec: ViewSpec<F>, names: (keyof F & string)[]): string {
  return names.map((name) => `change:${spec.fields[name].wire}`).join(" ");
}
