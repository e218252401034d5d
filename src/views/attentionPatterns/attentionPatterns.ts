/**
 * `attentionPatterns({ tokens, attention })`, or `attentionPatterns({ cache })` for a run's own patterns
 * and token text: every head of a layer (or of several layers) as thumbnails plus one head large;
 * hovering a token shows where it attends or what attends to it, clicking locks. The patterns travel
 * as one byte per weight; the selected head is shared with the view both ways (a click in the view
 * sets it; setting it moves the view), as `selectedHead` (its index among the heads shown) or
 * `selected` ({ layer, head }).
 */
import type { Tensor } from "@tensorflow/tfjs-core";
import type { ActivationCache } from "../../cache/activationCache";
import { HeadRef, headLabel, isHeadRef } from "../../common/heads";
import { quantise, valueRange } from "../../common/quantise";
import type { ValueOf, Values } from "../../common/spec";
import { ViewWidget } from "../core/viewWidget";
import { attentionPng } from "./snapshot";
import { AttentionPatternsFields, attentionPatternsSpec, patternsOf } from "./spec";

type Spec = typeof attentionPatternsSpec;

/** Options of attentionPatterns. */
export interface AttentionPatternsOptions {
  /** Token strings of the key (source) positions, e.g. model.toStrTokens(text). */
  tokens: string[];
  /**
   * Patterns [heads, query, key], or a hook_pattern [batch, heads, query, key] (row `batchIndex`), or a list of
   * those, one per layer (heads are then named "L{layer}H{head}").
   */
  attention: Tensor | Tensor[];
  /** Token strings of the query (destination) positions when they differ from `tokens` (default: the last ones). */
  queryTokens?: string[];
  /** Batch row of a 4-d pattern (default 0). */
  batchIndex?: number;
  /** Layer numbers of a list of patterns (default 0, 1, …), or of a single one (adds "L{layer}" to head names). */
  layers?: number | number[];
  /** Head names (default "H0", "H1", … or "L1H0", …). */
  headNames?: string[];
  /** Colour scale (default [0, 1] for patterns, else the values' range). */
  min?: number;
  max?: number;
  /** Grey out keys after each query (default true: causal attention). */
  maskUpperTri?: boolean;
  /** The head shown large at first: its index among the heads shown, or { layer, head } (default the first). */
  selectedHead?: number | HeadRef;
}

/** attentionPatterns of a run: the patterns and token text its cache holds (options as AttentionPatternsOptions). */
export interface AttentionPatternsFromCache extends Omit<AttentionPatternsOptions, "tokens" | "attention" | "layers"> {
  /** A runWithCache's cache holding blocks.{l}.attn.hook_pattern (e.g. namesFilter: (n) => n.endsWith("hook_pattern")). */
  cache: ActivationCache;
  /** The layers to show (default: every layer whose pattern the cache holds). */
  layers?: number | number[];
  /** Key tokens (default: the cache's own, cache.strTokens[batchIndex]). */
  tokens?: string[];
}

/** The layers whose hook_pattern `cache` holds, in order. */
function cachedPatternLayers(cache: ActivationCache): number[] {
  return cache.keys().flatMap((name) => {
    const match = /^blocks\.(\d+)\.attn\.hook_pattern$/.exec(name);
    return match ? [Number(match[1])] : [];
  });
}

/** The patterns and tokens of a cache's run as plain options (the cache's own tensors: valid while it lives). */
function fromCache(options: AttentionPatternsFromCache): AttentionPatternsOptions {
  const { cache, layers: asked, tokens, ...rest } = options;
  const layers = asked === undefined ? cachedPatternLayers(cache) : ([] as number[]).concat(asked);
  if (layers.length === 0)
    throw new Error(
      'the cache holds no attention patterns: run runWithCache keeping them, e.g. namesFilter: (n) => n.endsWith("hook_pattern")',
    );
  const batch = cache.tokens.shape[0]; // [batch, pos]
  const row = options.batchIndex ?? 0;
  if (!Number.isInteger(row) || row < 0 || row >= batch)
    throw new Error(
      `batchIndex ${row} is out of range: the cache holds ${batch} sequence${batch === 1 ? "" : "s"} (0…${batch - 1})`,
    );
  return {
    ...rest,
    tokens: tokens ?? cache.strTokens[row],
    attention: layers.map((l) => cache.get(`blocks.${l}.attn.hook_pattern`)), // each [batch, heads, query, key]
    layers,
  };
}

/** Values [heads, query, key] of one pattern tensor. */
function headsOf(t: Tensor, batchIndex: number, what: string): { values: Float32Array; shape: number[] } {
  if (t.rank === 3) return { values: t.dataSync() as Float32Array, shape: t.shape };
  if (t.rank === 4) {
    const [batch, ...rest] = t.shape;
    if (!Number.isInteger(batchIndex) || batchIndex < 0 || batchIndex >= batch)
      throw new Error(`batchIndex ${batchIndex} is out of range for ${what} of batch ${batch}`);
    const size = rest[0] * rest[1] * rest[2];
    const all = t.dataSync() as Float32Array;
    return { values: all.slice(batchIndex * size, (batchIndex + 1) * size), shape: rest };
  }
  throw new Error(`${what} must be [heads, query, key] or [batch, heads, query, key], got [${t.shape}]`);
}

/** What the options make: the view's fields, the exact values [heads, query, key] and which head each one is. */
interface Patterns {
  fields: Partial<Values<AttentionPatternsFields>>;
  values: Float32Array;
  heads: HeadRef[];
}

/** The index of `selected` (an index or a head) among `heads`, checked. */
function headIndex(selected: number | HeadRef, heads: HeadRef[]): number {
  if (isHeadRef(selected)) {
    const index = heads.findIndex((h) => h.layer === selected.layer && h.head === selected.head);
    if (index < 0) throw new Error(`${headLabel(selected)} is not among the heads shown (${heads.map(headLabel).join(", ")})`);
    return index;
  }
  if (!Number.isInteger(selected) || selected < 0 || selected >= heads.length)
    throw new Error(`selectedHead must be an integer in 0…${heads.length - 1}, got ${String(selected)}`);
  return selected;
}

/** The view's fields for `options` (validated: patterns quantised to bytes, tokens, names, scale) and the exact values. */
function patternFields(given: AttentionPatternsOptions | AttentionPatternsFromCache): Patterns {
  const options = "cache" in given ? fromCache(given) : given;
  const tensors = Array.isArray(options.attention) ? options.attention : [options.attention];
  if (tensors.length === 0) throw new Error("attention must hold at least one pattern");
  const layers = options.layers === undefined ? undefined : ([] as number[]).concat(options.layers);
  if (layers && layers.length !== tensors.length)
    throw new Error(`layers names ${layers.length} layers but attention holds ${tensors.length} patterns`);
  const parts = tensors.map((t, i) => headsOf(t, options.batchIndex ?? 0, tensors.length > 1 ? `attention[${i}]` : "attention"));
  const [, queries, keys] = parts[0].shape;
  parts.forEach((part, i) => {
    if (part.shape[1] !== queries || part.shape[2] !== keys)
      throw new Error(
        `attention[${i}] is [${part.shape}] but attention[0] is [${parts[0].shape}]: every pattern needs the same query and key lengths`,
      );
  });
  const heads = parts.flatMap((part, i) =>
    Array.from({ length: part.shape[0] }, (_, h) => ({ layer: layers ? layers[i] : i, head: h })),
  );
  const values = new Float32Array(heads.length * queries * keys);
  parts.reduce((at, part) => (values.set(part.values, at), at + part.values.length), 0);
  const { tokens } = options;
  if (!Array.isArray(tokens) || tokens.length !== keys || !tokens.every((t) => typeof t === "string"))
    throw new Error(
      `tokens must be ${keys} strings (one per key position), got ${Array.isArray(tokens) ? tokens.length : typeof tokens}`,
    );
  const queryTokens = options.queryTokens ?? tokens.slice(keys - queries);
  if (queryTokens.length !== queries)
    throw new Error(`queryTokens must be ${queries} strings (one per query position), got ${queryTokens.length}`);
  const names = options.headNames ?? heads.map((ref) => (layers || tensors.length > 1 ? headLabel(ref) : `H${ref.head}`));
  if (names.length !== heads.length) throw new Error(`headNames must name ${heads.length} heads, got ${names.length}`);
  const [low, high] = valueRange(values);
  const isPattern = low >= 0 && high <= 1;
  const min = options.min ?? (isPattern ? 0 : low);
  const max = options.max ?? (isPattern ? 1 : high);
  const fields = {
    tokens: [...tokens],
    queryTokens: [...queryTokens],
    headNames: names,
    patterns: quantise(values, min, max), // [heads, query, key] bytes
    nHeads: heads.length,
    nQueries: queries,
    nKeys: keys,
    valueMin: min,
    valueMax: max,
    maskUpperTri: options.maskUpperTri ?? true,
    selectedHead: headIndex(options.selectedHead ?? 0, heads),
  };
  return { fields, values, heads };
}

/** The attention-patterns view. */
export class AttentionPatterns extends ViewWidget<AttentionPatternsFields> {
  /** The head shown large, as its index among the heads shown (a click on a thumbnail sets it). */
  declare selectedHead: ValueOf<Spec, "selectedHead">;
  /** What a hovered token shows: "query" (where it attends) or "key" (what attends to it). */
  declare tokenMode: ValueOf<Spec, "tokenMode">;
  /** The locked token's position, or −1. */
  declare lockedToken: ValueOf<Spec, "lockedToken">;

  /** The exact patterns [heads, query, key]; the view asks for one head's at a time, for its tooltips. */
  private values: Float32Array;
  /** Which head each shown head is, in the order of the thumbnails. */
  private headRefs: HeadRef[];

  constructor(options: AttentionPatternsOptions | AttentionPatternsFromCache) {
    const { fields, values, heads } = patternFields(options);
    super(attentionPatternsSpec, fields);
    this.values = values;
    this.headRefs = heads;
  }

  /** Every head shown, as { layer, head }, in thumbnail order (layer numbers from `layers`, else 0, 1, …). */
  get heads(): HeadRef[] {
    return this.headRefs.map((ref) => ({ ...ref }));
  }

  /** The head shown large, as { layer, head }; setting it selects that head (it must be among those shown). */
  get selected(): HeadRef {
    return { ...this.headRefs[this.selectedHead] };
  }

  set selected(ref: HeadRef) {
    this.setFields({ selectedHead: headIndex(ref, this.headRefs) });
  }

  /** `{ request: "values", head }` from the view: replies `{ values_for: head }` with that head's float32 [query, key]. */
  protected override handleCustom(content: unknown): void {
    const { request, head } = (content ?? {}) as { request?: unknown; head?: unknown };
    const heads = this.field("nHeads");
    if (request !== "values" || !Number.isInteger(head) || (head as number) < 0 || (head as number) >= heads) return;
    const size = this.field("nQueries") * this.field("nKeys");
    const h = head as number;
    this.send({ values_for: h, patterns_version: this.field("patternsVersion") }, [this.values.slice(h * size, (h + 1) * size)]);
  }

  /** Shows new patterns (and tokens); the selected head stays unless `options.selectedHead` is given or it is out of range. */
  update(options: AttentionPatternsOptions | AttentionPatternsFromCache): void {
    const kept = this.selectedHead;
    const next = patternFields({ ...options, selectedHead: options.selectedHead ?? 0 });
    if (options.selectedHead === undefined && kept < next.heads.length) next.fields.selectedHead = kept;
    this.pendingHeads = next.heads; // the selected head is checked against the new heads
    try {
      this.setFields({ ...next.fields, lockedToken: -1, patternsVersion: this.field("patternsVersion") + 1 });
    } finally {
      this.pendingHeads = undefined;
    }
    this.values = next.values;
    this.headRefs = next.heads;
  }

  /** The heads a new selected head must fit: the incoming ones during update(). */
  private pendingHeads: HeadRef[] | undefined;

  protected override validate(key: string, value: unknown): unknown {
    if (key === "selected_head") return headIndex(value as number, this.pendingHeads ?? this.headRefs);
    if (key === "token_mode" && value !== "query" && value !== "key")
      throw new Error(`tokenMode must be "query" or "key", got ${String(value)}`);
    return value;
  }

  /** A change of the selected head is also a change of `selected` ({ layer, head }). */
  protected override changed(key: string, old: unknown, value: unknown): void {
    if (key !== "selected_head") return;
    const heads = this.pendingHeads ?? this.headRefs;
    this.emit("selected", this.headRefs[old as number] ?? null, { ...heads[value as number] });
  }

  protected override extraEvents(): string[] {
    return ["selected"];
  }

  protected snapshot(): Uint8Array | undefined {
    const patterns = patternsOf(this.field);
    if (!patterns) return undefined;
    return attentionPng({
      patterns,
      headNames: this.field("headNames"),
      queryTokens: this.field("queryTokens"),
      keyTokens: this.field("tokens"),
      selectedHead: this.field("selectedHead"),
    });
  }

  override toString(): string {
    const names = this.field("headNames");
    return `AttentionPatterns(${names.length} heads, ${this.field("nQueries")}×${this.field("nKeys")} tokens, selected ${names[this.field("selectedHead")]})`;
  }
}

/**
 * Shows attention patterns as a live view (the last expression of a cell displays it): given as `{ tokens, attention }`,
 * or read from a run as `{ cache }` (its patterns and its token text; `layers` picks some).
 */
export function attentionPatterns(options: AttentionPatternsOptions | AttentionPatternsFromCache): AttentionPatterns {
  return new AttentionPatterns(options);
}
