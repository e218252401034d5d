/**
 * Dropdown and Checkbox (@jupyter-widgets/controls 2.0.0).
 */
import { Widget } from "../widget-core/widget";
import { controlState, DescriptionOptions } from "./base";

/** An option: a label that is also the value, or a [label, value] pair. */
export type DropdownOption<T> = string | readonly [string, T];

/** Options of Dropdown. */
export interface DropdownOptions<T> extends DescriptionOptions {
  options?: readonly DropdownOption<T>[];
  /** Initial value (default: the first option's). */
  value?: T;
  /** Initial index (alternative to value). */
  index?: number | null;
}

/**
 * A drop-down list. On the wire it carries `_options_labels` and `index`;
 * `value` and `label` are derived from the index, as in ipywidgets.
 */
export class Dropdown<T = string> extends Widget {
  declare index: number | null;
  declare description: string;
  declare disabled: boolean;
  private readonly optionPairs: (readonly [string, T])[];

  constructor(options: DropdownOptions<T> = {}) {
    const { options: choices = [], value, index, ...rest } = options;
    const pairs = choices.map((o) => (typeof o === "string" ? ([o, o as unknown as T] as const) : o));
    let initial = index ?? (pairs.length > 0 ? 0 : null);
    if (value !== undefined) {
      initial = pairs.findIndex(([, v]) => v === value);
      if (initial < 0) throw new Error(`Dropdown value ${JSON.stringify(value)} is not one of the options`);
    }
    const state = controlState("Dropdown", rest);
    state._options_labels = pairs.map(([label]) => label);
    state.index = initial;
    super(state);
    this.optionPairs = pairs;
  }

  /** The options as [label, value] pairs. */
  get options(): readonly (readonly [string, T])[] {
    return this.optionPairs;
  }

  /** The selected value (null when nothing is selected). */
  get value(): T | null {
    return this.index === null ? null : (this.optionPairs[this.index]?.[1] ?? null);
  }

  set value(value: T | null) {
    if (value === null) {
      this.index = null;
      return;
    }
    const i = this.optionPairs.findIndex(([, v]) => v === value);
    if (i < 0) throw new Error(`Dropdown value ${JSON.stringify(value)} is not one of the options`);
    this.index = i;
  }

  /** The selected label (null when nothing is selected). */
  get label(): string | null {
    return this.index === null ? null : (this.optionPairs[this.index]?.[0] ?? null);
  }

  protected override validate(key: string, value: unknown): unknown {
    if (key !== "index" || value === null) return value;
    if (!Number.isInteger(value) || (value as number) < 0 || (value as number) >= this.optionPairs.length) {
      throw new RangeError(`Dropdown index ${JSON.stringify(value)} is out of range 0..${this.optionPairs.length - 1}`);
    }
    return value;
  }

  protected override changed(key: string, old: unknown, value: unknown): void {
    if (key !== "index") return;
    const valueAt = (i: unknown) => (typeof i === "number" ? this.optionPairs[i]?.[1] : null);
    const labelAt = (i: unknown) => (typeof i === "number" ? this.optionPairs[i]?.[0] : null);
    this.emit("value", valueAt(old), valueAt(value));
    this.emit("label", labelAt(old), labelAt(value));
  }

  protected override extraEvents(): string[] {
    return ["value", "label"];
  }

  override toString(): string {
    return `Dropdown(options=${JSON.stringify(this.optionPairs.map(([l]) => l))}, value=${JSON.stringify(this.value)})`;
  }
}

/** Options of Checkbox. */
export interface CheckboxOptions extends DescriptionOptions {
  value?: boolean;
  indent?: boolean;
}

/** A check box. */
export class Checkbox extends Widget {
  declare value: boolean;
  declare description: string;
  declare disabled: boolean;
  declare indent: boolean;

  constructor(options: CheckboxOptions = {}) {
    super(controlState("Checkbox", options));
  }
}
