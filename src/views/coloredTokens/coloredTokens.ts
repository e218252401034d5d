/**
 * `coloredTokens({ tokens, values })`: tokens as text on a background coloured by a value per
 * token (a loss, a neuron, an attribution), with the scale drawn out and the value on hover.
 * Several named value sets can be given; the view switches between them (`selected`).
 */
import type { Tensor } from "@tensorflow/tfjs-core";
import { symmetricRange } from "../../common/draw/colors";
import { scaleWithZero } from "../../common/quantise";
import type { ValueOf } from "../../common/spec";
import { ViewWidget } from "../core/viewWidget";
import { coloredTokensPng } from "./snapshot";
import { ColoredTokensFields, coloredTokensSpec, selectedSet } from "./spec";

/** Options of coloredTokens. */
export interface ColoredTokensOptions {
  tokens: string[];
  /** One value per token, or several named sets of them. */
  values: Tensor | number[] | Record<string, Tensor | number[]>;
  /**
   * Colour scale of every set. Default: each set's range widened to include 0, and made symmetric about 0
   * (±max|v|) when it holds values of both signs, so −v and +v get equally strong colours and 0 sits mid-legend;
   * a set of values ≥ 0 gets a sequential scale from 0. A given end is kept as given.
   */
  min?: number;
  max?: number;
  /** The set shown first (default the first). */
  selected?: string;
}

function asNumbers(values: Tensor | number[], name: string, n: number): number[] {
  const list = Array.isArray(values) ? values : Array.from(values.dataSync());
  if (list.length !== n || !list.every((v) => typeof v === "number"))
    throw new Error(`values${name ? ` "${name}"` : ""} must hold ${n} numbers (one per token), got ${list.length}`);
  return list;
}

/** The colour scale [min, max] of one value set: `given` ends as they are, the rest symmetric about 0 when it crosses 0. */
function scaleOf(values: number[], given: { min?: number; max?: number }): [number, number] {
  const [low, high] = symmetricRange(...scaleWithZero(values, given));
  return [given.min ?? low, given.max ?? high];
}

/** The coloured-tokens view. */
export class ColoredTokens extends ViewWidget<ColoredTokensFields> {
  /** Name of the value set shown. */
  declare selected: ValueOf<typeof coloredTokensSpec, "selected">;

  constructor(options: ColoredTokensOptions) {
    const { tokens } = options;
    if (!Array.isArray(tokens) || tokens.length === 0 || !tokens.every((t) => typeof t === "string"))
      throw new Error("tokens must be a non-empty list of strings");
    const single = Array.isArray(options.values) || (options.values as Tensor).dataSync !== undefined;
    const sets = single ? { values: options.values as Tensor | number[] } : (options.values as Record<string, Tensor | number[]>);
    const names = Object.keys(sets);
    if (names.length === 0) throw new Error("values must hold at least one set");
    const rows = names.map((name) => asNumbers(sets[name], single ? "" : name, tokens.length));
    const ranges = rows.map((row) => scaleOf(row, options));
    const selected = options.selected ?? names[0];
    if (!names.includes(selected))
      throw new Error(`selected must be one of ${JSON.stringify(names)}, got ${JSON.stringify(selected)}`);
    super(coloredTokensSpec, {
      tokens: [...tokens],
      setNames: names,
      values: new Float32Array(rows.flat()), // [sets, tokens]
      valueMins: ranges.map((r) => r[0]),
      valueMaxs: ranges.map((r) => r[1]),
      selected,
    });
  }

  protected override validate(key: string, value: unknown): unknown {
    const names = this.field("setNames");
    if (key === "selected" && !names.includes(value as string))
      throw new Error(`selected must be one of ${JSON.stringify(names)}, got ${JSON.stringify(value)}`);
    return value;
  }

  protected snapshot(): Uint8Array | undefined {
    const set = selectedSet(this.field);
    if (!set) return undefined;
    return coloredTokensPng({
      tokens: this.field("tokens"),
      values: Array.from(set.values),
      name: set.name,
      min: set.min,
      max: set.max,
    });
  }

  override toString(): string {
    return `ColoredTokens(${this.field("tokens").length} tokens, ${JSON.stringify(this.field("selected"))} of ${JSON.stringify(this.field("setNames"))})`;
  }
}

/** Shows tokens coloured by a value per token. */
export function coloredTokens(options: ColoredTokensOptions): ColoredTokens {
  return new ColoredTokens(options);
}
