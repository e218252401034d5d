/**
 * TransformerLens's short activation names (utils.get_act_name): ("pattern", 2) → "blocks.2.attn.hook_pattern",
 * "k6" → "blocks.6.attn.hook_k", ("scale", 4, "ln1") or "scale4ln1" → "blocks.4.ln1.hook_scale", "scale" →
 * "ln_final.hook_scale", "embed" → "hook_embed". Full names pass through. The result is checked to be a hook point
 * name, so a misspelt short name is an error here rather than a missing key later.
 */
import { hookName, HookName } from "./hookPoints";
import { describeValue } from "./hooks";

/** The activation part of a short name: a hook name without its "hook_" and prefix, or one of TL's aliases. */
export type ActName =
  | "embed"
  | "pos_embed"
  | "tokens"
  | "resid_pre"
  | "resid_mid"
  | "resid_post"
  | "attn_out"
  | "mlp_out"
  | "attn_in"
  | "mlp_in"
  | "q_input"
  | "k_input"
  | "v_input"
  | "q"
  | "k"
  | "v"
  | "z"
  | "rot_q"
  | "rot_k"
  | "result"
  | "pattern"
  | "attn_scores"
  | "pre"
  | "post"
  | "mid"
  | "pre_linear"
  | "scale"
  | "normalized"
  | "attn"
  | "attn_logits"
  | "key"
  | "query"
  | "value"
  | "mlp_pre"
  | "mlp_mid"
  | "mlp_post";

/** The layer-type argument: "a"/"attn"/"attention", "m"/"mlp", "b"/"block"/"blocks" (none), "ln1", "ln2". */
export type ActLayerType = "a" | "attn" | "attention" | "m" | "mlp" | "b" | "block" | "blocks" | "ln1" | "ln2";

/** A compact short name with its layer (and layer type) inside, as "k6", "pre5", "scale4ln1". */
export type CompactActName = `${ActName}${number}` | `${ActName}${number}${ActLayerType}`;

const ALIASES: Record<string, string> = {
  attn: "pattern",
  attn_logits: "attn_scores",
  key: "k",
  query: "q",
  value: "v",
  mlp_pre: "pre",
  mlp_mid: "mid",
  mlp_post: "post",
};
const LAYER_TYPES: Record<string, string> = {
  a: "attn",
  attn: "attn",
  attention: "attn",
  m: "mlp",
  mlp: "mlp",
  b: "",
  block: "",
  blocks: "",
  ln1: "ln1",
  ln2: "ln2",
};
const ATTN_NAMES = ["q", "k", "v", "z", "rot_q", "rot_k", "result", "pattern", "attn_scores"];
const MLP_NAMES = ["pre", "post", "mid", "pre_linear"];
const NORM_NAMES = ["scale", "normalized"];

/**
 * The full hook name of a short activation name (TransformerLens's get_act_name): `name` with `layer` (a layer
 * index ≥ 0) and `layerType` (see ActLayerType), or a compact name such as "k6" or "scale4ln1", or a full name.
 * Throws naming the short name when the result is not a hook point name.
 */
export function actName(name: ActName | CompactActName | HookName, layer?: number, layerType?: ActLayerType): HookName {
  if (typeof name !== "string") throw new Error(`actName takes a name, got ${describeValue(name)}`);
  const call = `actName(${[JSON.stringify(name), layer, layerType && JSON.stringify(layerType)].filter((a) => a !== undefined).join(", ")})`;
  if (layer !== undefined && (!Number.isSafeInteger(layer) || layer < 0))
    throw new Error(`${call}: the layer must be an integer ≥ 0, got ${describeValue(layer)}`);
  if ((name.includes(".") || name.startsWith("hook_")) && layer === undefined && layerType === undefined) return hookName(name);
  let base: string = name;
  let at = layer;
  let type: string | undefined = layerType;
  const compact = /^([a-z_]+?)(\d+)([a-z_0-9]*)$/.exec(name);
  if (compact && layer === undefined && layerType === undefined) {
    [base, at, type] = [compact[1], Number(compact[2]), compact[3] || undefined];
  }
  if (type !== undefined && !Object.hasOwn(LAYER_TYPES, type))
    throw new Error(`${call}: unknown layer type "${type}" (known: ${Object.keys(LAYER_TYPES).join(", ")})`);
  base = ALIASES[base] ?? base;
  let part = type === undefined ? "" : LAYER_TYPES[type];
  if (ATTN_NAMES.includes(base)) part = "attn";
  else if (MLP_NAMES.includes(base)) part = "mlp";
  let full = `${at === undefined ? "" : `blocks.${at}.`}${part ? `${part}.` : ""}hook_${base}`;
  if (NORM_NAMES.includes(base) && at === undefined) full = `ln_final.${full}`;
  try {
    return hookName(full);
  } catch (err) {
    throw new Error(`${call} gives "${full}", which is not a hook point: ${(err as Error).message}`);
  }
}
