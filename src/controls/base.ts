/**
 * Shared pieces of the standard controls: Layout and Style models, and the
 * construction of a control's initial state from ipywidgets' recorded defaults
 * plus camelCase options.
 */
import { wireName, Widget } from "../widget-core/widget";
import { defaultState, RecordedModel, referencedModels } from "./defaults";

/** CSS layout properties (camelCase of ipywidgets' Layout traits), e.g. { width: "300px" }. */
export type LayoutOptions = Record<string, string | null>;

/** The `@jupyter-widgets/base` LayoutModel every DOM widget references. */
export class Layout extends Widget {
  constructor(options: LayoutOptions = {}) {
    super(withOptions("Layout", defaultState("Layout"), options));
  }
}

/** A style model (SliderStyle, ButtonStyle, …), e.g. { descriptionWidth: "120px" }. */
export class Style extends Widget {
  constructor(model: RecordedModel, options: Record<string, unknown> = {}) {
    super(withOptions(model, defaultState(model), options));
  }
}

/** Options every DOM control accepts. */
export interface DOMWidgetOptions {
  layout?: Layout | LayoutOptions;
  style?: Style | Record<string, unknown>;
  tooltip?: string | null;
  tabbable?: boolean | null;
}

/** Options of controls with a description label. */
export interface DescriptionOptions extends DOMWidgetOptions {
  description?: string;
  /** Render the description as HTML (default false: shown as text). */
  descriptionAllowHtml?: boolean;
  disabled?: boolean;
}

function withOptions(model: string, state: Record<string, unknown>, options: object): Record<string, unknown> {
  for (const [name, value] of Object.entries(options)) {
    if (value === undefined) continue;
    const key = wireName(name);
    if (!(key in state) || key.startsWith("_")) throw new Error(`${model} has no option "${name}"`);
    state[key] = value;
  }
  return state;
}

/**
 * Initial state for the recorded control `model`: its defaults, a Layout and
 * Style created (or taken from options), then the remaining options.
 */
export function controlState(model: RecordedModel, options: object): Record<string, unknown> {
  const { layout, style, ...rest } = options as DOMWidgetOptions & Record<string, unknown>;
  const refs = referencedModels(model);
  const state = defaultState(model);
  if (refs.layout) state.layout = layout instanceof Layout ? layout : new Layout(layout ?? {});
  else if (layout !== undefined) throw new Error(`${model} has no option "layout"`);
  if (refs.style) state.style = style instanceof Style ? style : new Style(refs.style, style ?? {});
  else if (style !== undefined) throw new Error(`${model} has no option "style"`);
  return withOptions(model, state, rest);
}
