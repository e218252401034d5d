/** The example view's kernel class: `exampleBars({ labels, values })`; `update(values)` redraws. */
import { ViewWidget } from "../../src/views/core/viewWidget";
import type { ValueOf } from "../../src/common/spec";
import { barsPng } from "./snapshot";
import { ExampleBarsFields, exampleBarsSpec } from "./spec";

/** Options of exampleBars. */
export interface ExampleBarsOptions {
  labels: string[];
  values: number[];
}

/** `values` as float32 after checking there is one per label, each ≥ 0. */
function checkedValues(values: number[], labels: string[]): Float32Array {
  if (values.length !== labels.length || !values.every((v) => Number.isFinite(v) && v >= 0))
    throw new Error(`values must be ${labels.length} numbers ≥ 0 (one per label), got ${JSON.stringify(values)}`);
  return Float32Array.from(values);
}

/** One bar per value; a click selects a bar. */
export class ExampleBars extends ViewWidget<ExampleBarsFields> {
  /** The selected bar, or −1. */
  declare selectedBar: ValueOf<typeof exampleBarsSpec, "selectedBar">;

  constructor(options: ExampleBarsOptions) {
    super(exampleBarsSpec, { labels: [...options.labels], values: checkedValues(options.values, options.labels) });
  }

  /** New values for the same labels. */
  update(values: number[]): void {
    this.setFields({ values: checkedValues(values, this.field("labels")) });
  }

  protected override validate(key: string, value: unknown): unknown {
    const bars = this.field("labels").length;
    if (key === "selected_bar" && !(Number.isInteger(value) && (value as number) >= -1 && (value as number) < bars))
      throw new Error(`selectedBar must be −1 or a bar 0…${bars - 1}, got ${String(value)}`);
    return value;
  }

  protected snapshot(): Uint8Array | undefined {
    return barsPng(this.field("labels"), this.field("values") ?? [], this.field("selectedBar"));
  }

  override toString(): string {
    return `ExampleBars(${this.field("labels").length} bars, selected ${this.field("selectedBar")})`;
  }
}

/** Shows the example view. */
export function exampleBars(options: ExampleBarsOptions): ExampleBars {
  return new ExampleBars(options);
}
