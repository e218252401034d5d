/**
 * FloatProgress and Label (@jupyter-widgets/controls 2.0.0): a bar that shows a value
 * between `min` and `max`, and a line of plain text.
 */
import { Widget } from "../widget-core/widget";
import { controlState, DescriptionOptions } from "./base";

/** Options of FloatProgress. */
export interface FloatProgressOptions extends DescriptionOptions {
  value?: number;
  min?: number;
  max?: number;
  /** "" (the theme's colour), "success" (green), "info", "warning" or "danger" (red). */
  barStyle?: "" | "success" | "info" | "warning" | "danger";
  orientation?: "horizontal" | "vertical";
}

/** A progress bar (it has no readout of its own; put the numbers in a Label beside it). */
export class FloatProgress extends Widget {
  declare value: number;
  declare min: number;
  declare max: number;
  declare barStyle: string;
  declare description: string;

  constructor(options: FloatProgressOptions = {}) {
    super(controlState("FloatProgress", options));
  }

  /** `value`, `min` and `max` are finite numbers. */
  protected override validate(key: string, value: unknown): unknown {
    if (["value", "min", "max"].includes(key) && (typeof value !== "number" || !Number.isFinite(value)))
      throw new TypeError(`FloatProgress.${key} must be a finite number, got ${JSON.stringify(value)}`);
    return value;
  }
}

/** Options of Label. */
export interface LabelOptions extends DescriptionOptions {
  value?: string;
}

/** One line of text, shown as text (never as markup). */
export class Label extends Widget {
  declare value: string;
  declare description: string;

  constructor(options: LabelOptions = {}) {
    super(controlState("Label", options));
  }
}
