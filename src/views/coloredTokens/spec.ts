/**
 * The synced fields of coloredTokens, shared by the kernel class (coloredTokens.ts) and the browser
 * model and view (widgets/src/coloredTokens/): the tokens, one or more named sets of exact float32
 * values [sets, tokens] with a colour scale each, and the set shown (`selected`, switched in the view).
 */
import { floatsSerializer } from "../../common/quantise";
import { defineView, field } from "../../common/spec";
import type { FieldReader, FieldsOf } from "../../common/spec";

export const coloredTokensSpec = defineView("ColoredTokens", {
  tokens: field<string[]>("tokens", []),
  setNames: field<string[]>("set_names", []),
  /** Values [sets, tokens], float32. */
  values: field<Float32Array | null>("values", null, floatsSerializer),
  valueMins: field<number[]>("value_mins", []),
  valueMaxs: field<number[]>("value_maxs", []),
  /** Name of the set shown. */
  selected: field("selected", ""),
});

/** The fields of coloredTokens. */
export type ColoredTokensFields = FieldsOf<typeof coloredTokensSpec>;

/** The set shown: its index, name, values (one per token) and scale; undefined before values arrived. */
export function selectedSet(
  read: FieldReader<ColoredTokensFields>,
): { index: number; name: string; values: Float32Array; min: number; max: number } | undefined {
  const names = read("setNames");
  const all = read("values");
  const n = read("tokens").length;
  if (!all || names.length === 0) return undefined;
  const index = Math.max(0, names.indexOf(read("selected")));
  return {
    index,
    name: names[index],
    values: all.subarray(index * n, (index + 1) * n),
    min: read("valueMins")[index],
    max: read("valueMaxs")[index],
  };
}
