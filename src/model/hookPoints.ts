/**
 * Every hook point of the model, read off the components' tables (each component declares its own points once, see
 * pointSpec.ts). From the one table come:
 *   - `HookName`, a TypeScript type: the union of every name, `blocks.${number}.…` for the blocks, so a misspelt
 *     name is a compile error wherever a hook name is expected (cache.get, fwdHooks, namesFilter);
 *   - `HookTensor<N>`: the tensor type (rank) that hook point `N` holds;
 *   - `hookNames(cfg)`: the names a model with `cfg` has, in forward order, gated ones only when enabled;
 *   - `modelPointNames(nLayers)`: the name objects the forward pass passes its activations through.
 */
import type { Tensor, Tensor3D, Tensor4D } from "@tensorflow/tfjs-core";
import type { TransformerConfig } from "../loading/config";
import { BLOCK_POINTS } from "./components/block";
import { EMBED_POINTS } from "./components/embed";
import { NORM_POINTS } from "./components/norm";
import { describeValue, unknownHookError } from "./hooks";
import { FLAG_GATES, Gate, GATES, gatesHold, isPoint, PointSpec, PointTable } from "./pointSpec";

/** The model's hook points in forward order: the embeddings, every block's, the final norm's. */
export const MODEL_POINTS = {
  ...EMBED_POINTS,
  blocks: { points: BLOCK_POINTS, perLayer: true },
  ln_final: { points: NORM_POINTS, when: ["norm"] },
} as const satisfies PointTable;

/**
 * [name, rank] of every point of table `T` under prefix `P`; `V`: the ranks vary (a head axis may join them).
 * A per-layer table contributes `P<key>.${number}.<point>`.
 */
type Entries<T, P extends string, V extends boolean> = {
  [K in keyof T & string]: T[K] extends { readonly shape: string }
    ? [`${P}${K}`, V extends true ? undefined : T[K] extends { readonly rank: infer R } ? R : undefined]
    : T[K] extends { readonly points: infer S; readonly perLayer: true }
      ? Entries<S, `${P}${K}.${number}.`, V>
      : T[K] extends { readonly points: infer S; readonly headAxisWhen: Gate }
        ? Entries<S, `${P}${K}.`, true>
        : T[K] extends { readonly points: infer S }
          ? Entries<S, `${P}${K}.`, V>
          : never;
}[keyof T & string];

/** Every hook point with its rank. */
type HookEntry = Entries<typeof MODEL_POINTS, "", false>;

/**
 * The name of a hook point, as TransformerLens spells it: "hook_embed", `blocks.${number}.attn.hook_pattern`,
 * "ln_final.hook_scale", …. A name built at run time is a `string`: turn it into a HookName with `hookName(str)`
 * (checked against every name any model can have) or `model.hookName(str)` (checked against that model's), or
 * assert it with `str as HookName`.
 */
export type HookName = HookEntry[0] | never; // "| never": compile errors then say "HookName", not every name

/** A block's hook point after "blocks.{l}.", e.g. "hook_resid_pre" or "attn.hook_z". */
export type BlockHookSuffix = Entries<typeof BLOCK_POINTS, "", false>[0] | never;

/** The rank(s) the hook points matching `N` hold (undefined where the rank varies). */
type RankOf<N extends string> = HookEntry extends infer E
  ? E extends [infer Path extends string, infer R]
    ? N extends Path
      ? R
      : never
    : never
  : never;

/** The tfjs tensor type of rank `R` (Tensor when it varies). */
type TensorOfRank<R> = R extends 3 ? Tensor3D : R extends 4 ? Tensor4D : Tensor;

/**
 * The tensor hook point `N` holds, typed by rank: Tensor4D for attention's q, k, v, z, scores and pattern, Tensor3D
 * for the residual stream, the MLP's activations and ln2 / ln_final (ln1's rank varies with useSplitQkvInput, so
 * it is a Tensor). A name typed only as `HookName` gives a Tensor.
 */
export type HookTensor<N extends HookName> = HookName extends N ? Tensor : TensorOfRank<RankOf<N>>;

/** An object of the names of table `T`'s points, shaped as the table (the blocks: one object per layer). */
export type PointNames<T> = {
  readonly [K in keyof T]: T[K] extends PointSpec
    ? HookName
    : T[K] extends { readonly points: infer S; readonly perLayer: true }
      ? readonly PointNames<S>[]
      : T[K] extends { readonly points: infer S }
        ? PointNames<S>
        : never;
};

/** Calls `visit` with every point of `table` under `prefix` (per-layer tables: for `layers`) and its gates. */
function walk(
  table: PointTable,
  prefix: string,
  layers: readonly number[],
  visit: (name: string, when: readonly Gate[]) => void,
  gates: readonly Gate[] = [],
): void {
  for (const [key, entry] of Object.entries(table)) {
    const when = entry.when ? [...gates, ...entry.when] : gates;
    if (isPoint(entry)) visit(prefix + key, when);
    else if (entry.perLayer) for (const l of layers) walk(entry.points, `${prefix}${key}.${l}.`, layers, visit, when);
    else walk(entry.points, `${prefix}${key}.`, layers, visit, when);
  }
}

const nameListCache = new Map<string, readonly HookName[]>();

/**
 * Every hook point name a model with `cfg` has, in forward order (gated ones only when enabled), shared and frozen:
 * built once per layer count and set of gates, as runs check hook names on every call.
 */
export function hookNameList(cfg: TransformerConfig): readonly HookName[] {
  const key = `${cfg.nLayers}:${Object.values(GATES).map((gate) => Number(gate(cfg)))}`;
  let names = nameListCache.get(key);
  if (!names) {
    const list: string[] = [];
    const layers = Array.from({ length: cfg.nLayers }, (_, l) => l);
    walk(MODEL_POINTS, "", layers, (name, when) => gatesHold(when, cfg) && list.push(name));
    names = Object.freeze(list as HookName[]);
    nameListCache.set(key, names);
  }
  return names;
}

/** Every hook point name a model with `cfg` has, in forward order (gated ones only when enabled): a new list. */
export function hookNames(cfg: TransformerConfig): HookName[] {
  return [...hookNameList(cfg)];
}

/** Each name the tables allow for block `layer` (and the top-level ones) with its gates, whatever the config. */
function namesAt(layer: number): Map<string, readonly Gate[]> {
  const names = new Map<string, readonly Gate[]>();
  walk(MODEL_POINTS, "", [layer], (name, when) => names.set(name, when));
  return names;
}

/** The layer a "blocks.{l}.…" name names (0 for any other name). */
function layerOf(name: string): number {
  const match = /^blocks\.(0|[1-9]\d*)\./.exec(name);
  const layer = match ? Number(match[1]) : 0;
  return Number.isSafeInteger(layer) ? layer : 0;
}

/**
 * `name` as a HookName, once checked to be a hook point name some model has (any layer, gated ones included):
 * the escape hatch for names built at run time. Throws "unknown hook point … did you mean …" otherwise. It does not
 * know a particular model's layers or flags: `model.hookName(name)` checks those.
 */
export function hookName(name: string): HookName {
  if (typeof name !== "string") throw new Error(`a hook name must be a string, got ${describeValue(name)}`);
  const known = namesAt(layerOf(name));
  if (known.has(name)) return name as HookName;
  throw unknownHookError(name, [...known.keys()]);
}

/**
 * The error for `name`, not a hook point of a model with `cfg` (whose points are `names`): "is off" naming the
 * flag to set when it is a gated point whose flag is off, else "unknown hook point … did you mean …".
 */
export function missingHookError(cfg: TransformerConfig, name: string, names: readonly string[]): Error {
  const when = namesAt(layerOf(name)).get(name);
  const off = when?.find((gate) => FLAG_GATES.includes(gate) && !gatesHold([gate], cfg));
  if (off) return new Error(`hook point "${name}" is off: set model.cfg.${off} = true first`);
  return unknownHookError(name, names);
}

const pointNameCache = new Map<number, PointNames<typeof MODEL_POINTS>>();

/** Builds the name object of `table` under `prefix`, its per-layer tables for layers 0 … nLayers−1. */
function namesObject(table: PointTable, prefix: string, nLayers: number): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, entry] of Object.entries(table)) {
    if (isPoint(entry)) out[key] = prefix + key;
    else if (entry.perLayer)
      out[key] = Object.freeze(
        Array.from({ length: nLayers }, (_, l) => namesObject(entry.points, `${prefix}${key}.${l}.`, nLayers)),
      );
    else out[key] = namesObject(entry.points, `${prefix}${key}.`, nLayers);
  }
  return Object.freeze(out);
}

/**
 * The names of every hook point of an `nLayers`-layer model, shaped as the tables:
 * `modelPointNames(2).blocks[1].attn.hook_z` is "blocks.1.attn.hook_z". Built once per layer count.
 */
export function modelPointNames(nLayers: number): PointNames<typeof MODEL_POINTS> {
  let names = pointNameCache.get(nLayers);
  if (!names) {
    names = namesObject(MODEL_POINTS, "", nLayers) as unknown as PointNames<typeof MODEL_POINTS>;
    pointNameCache.set(nLayers, names);
  }
  return names;
}
