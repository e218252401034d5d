/**
 * Default states of the standard controls, recorded from ipywidgets 8 by
 * scripts/record_widget_defaults.py (defaults.json), so a control created here
 * carries exactly the state ipykernel would send.
 */
import recorded from "./defaults.json";

/** Name of a recorded model ("IntSlider", "Layout", "SliderStyle", …). */
export type RecordedModel = keyof typeof recorded.models;

/** A fresh copy of the recorded default state of `name`. */
export function defaultState(name: RecordedModel): Record<string, unknown> {
  return structuredClone(recorded.models[name].state) as Record<string, unknown>;
}

/** Which model the recorded `name` uses for its layout / style references. */
export function referencedModels(name: RecordedModel): { layout?: RecordedModel; style?: RecordedModel } {
  return recorded.models[name].refs as { layout?: RecordedModel; style?: RecordedModel };
}
