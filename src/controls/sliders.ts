/**
 * IntSlider and FloatSlider (@jupyter-widgets/controls 2.0.0).
 */
import { Widget } from "../widget-core/widget";
import { controlState, DescriptionOptions } from "./base";

/** Options shared by the sliders. */
export interface SliderOptions extends DescriptionOptions {
  value?: number;
  min?: number;
  max?: number;
  step?: number;
  orientation?: "horizontal" | "vertical";
  readout?: boolean;
  readoutFormat?: string;
  continuousUpdate?: boolean;
  behavior?: "drag-tap" | "drag-snap" | "tap" | "drag" | "snap";
}

abstract class Slider extends Widget {
  declare value: number;
  declare min: number;
  declare max: number;
  declare step: number;
  declare description: string;
  declare disabled: boolean;
  declare orientation: "horizontal" | "vertical";
  declare readout: boolean;
  declare readoutFormat: string;
  declare continuousUpdate: boolean;

  protected abstract coerce(value: number): number;

  /** Values are numbers clamped to [min, max], as ipywidgets does. */
  protected override validate(key: string, value: unknown): unknown {
    if (!["value", "min", "max", "step"].includes(key)) return value;
    if (typeof value !== "number" || Number.isNaN(value)) {
      throw new TypeError(`${this.constructor.name}.${key} must be a number, got ${JSON.stringify(value)}`);
    }
    const v = this.coerce(value);
    if (key !== "value") return v;
    return Math.min(Math.max(v, this.get("min") as number), this.get("max") as number);
  }

  protected override changed(key: string): void {
    if ((key === "min" || key === "max") && this.value !== this.validate("value", this.value)) {
      this.value = this.validate("value", this.value) as number;
    }
  }
}

/** An integer slider. */
export class IntSlider extends Slider {
  constructor(options: SliderOptions = {}) {
    super(controlState("IntSlider", options));
  }

  protected coerce(value: number): number {
    return Math.round(value);
  }
}

/** A floating-point slider. */
export class FloatSlider extends Slider {
  constructor(options: SliderOptions = {}) {
    super(controlState("FloatSlider", options));
  }

  protected coerce(value: number): number {
    return value;
  }
}
