/**
 * `attentionPatterns({ tokens, attention })`: every head of a layer (or of several layers) as
 * thumbnails plus one head large; hovering a token shows where it attends or what attends to it,
 * clicking locks. The patterns travel as one byte per weight; `selectedHead` is shared with the
 * view both ways (a click in the view sets it; setting it moves the view).
 */
import type { Tensor } from "@tensorflow/tfjs-core";
import { attentionPng } from "./snapshot";
import { LensWidget, viewState } from "../core/viewWidget";
import { quantise, valueRange } from "../../common/quantise";

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
  /** The head shown large at first (default 0). */
  selectedHead?: number;
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

/** The view's traits for `options` (validated: patterns quantised to bytes, tokens, names, scale) and the exact values. */
function patternTraits(options: AttentionPatternsOptions): { traits: Record<string, unknown>; values: Float32Array } {
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
  const heads = parts.reduce((n, part) => n + part.shape[0], 0);
  const values = new Float32Array(heads * queries * keys);
  parts.reduce((at, part) => (values.set(part.values, at), at + part.values.length), 0);
  const { tokens } = options;
  if (!Array.isArray(tokens) || tokens.length !== keys || !tokens.every((t) => typeof t === "string"))
    throw new Error(
      `tokens must be ${keys} strings (one per key position), got ${Array.isArray(tokens) ? tokens.length : typeof tokens}`,
    );
  const queryTokens = options.queryTokens ?? tokens.slice(keys - queries);
  if (queryTokens.length !== queries)
    throw new Error(`queryTokens must be ${queries} strings (one per query position), got ${queryTokens.length}`);
  const names =
    options.headNames ??
    parts.flatMap((part, i) =>
      Array.from({ length: part.shape[0] }, (_, h) =>
        layers ? `L${layers[i]}H${h}` : tensors.length > 1 ? `L${i}H${h}` : `H${h}`,
      ),
    );
  if (names.length !== heads) throw new Error(`headNames must name ${heads} heads, got ${names.length}`);
  const [low, high] = valueRange(values);
  const isPattern = low >= 0 && high <= 1;
  const min = options.min ?? (isPattern ? 0 : low);
  const max = options.max ?? (isPattern ? 1 : high);
  const selected = options.selectedHead ?? 0;
  if (!Number.isInteger(selected) || selected < 0 || selected >= heads)
    throw new Error(`selectedHead must be an integer in 0…${heads - 1}, got ${selected}`);
  const traits = {
    tokens: [...tokens],
    query_tokens: [...queryTokens],
    head_names: names,
    patterns: quantise(values, min, max), // [heads, query, key] bytes
    n_heads: heads,
    n_queries: queries,
    n_keys: keys,
    value_min: min,
    value_max: max,
    mask_upper_tri: options.maskUpperTri ?? true,
    selected_head: selected,
  };
  return { traits, values };
}

/** The attention-patterns view. */
export class AttentionPatterns extends LensWidget {
  /** The head shown large (a click on a thumbnail sets it). */
  declare selectedHead: number;
  /** What a hovered token shows: "query" (where it attends) or "key" (what attends to it). */
  declare tokenMode: "query" | "key";
  /** The locked token's position, or −1. */
  declare lockedToken: number;

  /** The exact patterns [heads, query, key]; the view asks for one head's at a time, for its tooltips. */
  private values: Float32Array;

  constructor(options: AttentionPatternsOptions) {
    const { traits, values } = patternTraits(options);
    super(viewState("AttentionPatterns", { ...traits, token_mode: "query", locked_token: -1, patterns_version: 0 }));
    this.values = values;
    this.noEcho.add("patterns");
  }

  /** `{ request: "values", head }` from the view: replies `{ values_for: head }` with that head's float32 [query, key]. */
  protected override handleCustom(content: unknown): void {
    const { request, head } = (content ?? {}) as { request?: unknown; head?: unknown };
    const heads = this.get("n_heads") as number;
    if (request !== "values" || !Number.isInteger(head) || (head as number) < 0 || (head as number) >= heads) return;
    const size = (this.get("n_queries") as number) * (this.get("n_keys") as number);
    const h = head as number;
    this.send({ values_for: h, patterns_version: this.version }, [this.values.slice(h * size, (h + 1) * size)]);
  }

  /** Counts update() calls, so the view can drop exact values of older patterns. */
  private version = 0;

  /** Shows new patterns (and tokens); the selected head stays unless `options.selectedHead` is given or it is out of range. */
  update(options: AttentionPatternsOptions): void {
    const kept = this.selectedHead;
    const { traits, values } = patternTraits({ ...options, selectedHead: options.selectedHead ?? 0 });
    if (options.selectedHead === undefined && kept < (traits.n_heads as number)) traits.selected_head = kept;
    this.headCount = traits.n_heads as number; // the selected head is checked against the new count
    try {
      this.set({ ...traits, locked_token: -1, patterns_version: this.version + 1 });
    } finally {
      this.headCount = undefined;
    }
    this.values = values;
    this.version++;
  }

  /** The head count a new selected head must fit: the incoming one during update(). */
  private headCount: number | undefined;

  protected override validate(key: string, value: unknown): unknown {
    const heads = this.headCount ?? (this.get("n_heads") as number);
    if (key === "selected_head" && !(Number.isInteger(value) && (value as number) >= 0 && (value as number) < heads))
      throw new Error(`selectedHead must be an integer in 0…${heads - 1}, got ${String(value)}`);
    if (key === "token_mode" && value !== "query" && value !== "key")
      throw new Error(`tokenMode must be "query" or "key", got ${String(value)}`);
    return value;
  }

  protected snapshot(): Uint8Array | undefined {
    return attentionPng({
      patterns: {
        bytes: this.get("patterns") as Uint8Array,
        heads: this.get("n_heads") as number,
        queries: this.get("n_queries") as number,
        keys: this.get("n_keys") as number,
        min: this.get("value_min") as number,
        max: this.get("value_max") as number,
        maskUpper: this.get("mask_upper_tri") as boolean,
      },
      headNames: this.get("head_names") as string[],
      queryTokens: this.get("query_tokens") as string[],
      keyTokens: this.get("tokens") as string[],
      selectedHead: this.get("selected_head") as number,
    });
  }

  override toString(): string {
    const names = this.get("head_names") as string[];
    return `AttentionPatterns(${names.length} heads, ${this.get("n_queries")}×${this.get("n_keys")} tokens, selected ${names[this.get("selected_head") as number]})`;
  }
}

/** Shows attention patterns as a live view (the last expression of a cell displays it). */
export function attentionPatterns(options: AttentionPatternsOptions): AttentionPatterns {
  return new AttentionPatterns(options);
}
