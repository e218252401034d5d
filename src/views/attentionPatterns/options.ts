/**
 * What attentionPatterns is given, read and checked: the options a cell passes (`{ tokens, attention }` or
 * `{ cache }`) become the exact weights [heads, query, key], which head each one is (layer from `layers`, from the
 * cache, or from the hook its tensor came from), the token text and the colour scale. Bad input gets one error
 * naming the option.
 */
import type { Tensor } from "@tensorflow/tfjs-core";
import { ActivationCache, hookNameOf } from "../../cache/activationCache";
import { HeadRef, headLabel } from "../../common/heads";
import { valueRange } from "../../common/quantise";

/** Options of attentionPatterns. */
export interface AttentionPatternsOptions {
  /** Token strings of the key (source) positions, e.g. model.toStrTokens(text). */
  tokens: string[];
  /**
   * Patterns [heads, query, key], or a hook_pattern [batch, heads, query, key] (row `batchIndex`), or a list of
   * those, one per layer (heads are then named "L{layer}H{head}"). A pattern taken from a cache
   * (`cache.get("blocks.1.attn.hook_pattern")`) knows its layer; a list of other tensors needs `layers`.
   */
  attention: Tensor | Tensor[];
  /** Token strings of the query (destination) positions when they differ from `tokens` (default: the last ones). */
  queryTokens?: string[];
  /** Batch row of a 4-d pattern (default 0). */
  batchIndex?: number;
  /** Layer numbers of a list of patterns, or of a single one (default: from the hooks the patterns came from). */
  layers?: number | number[];
  /** Head names (default "L1H0", … when the layers are known, else "H0", "H1", …). */
  headNames?: string[];
  /** Colour scale (default [0, 1] for patterns, else the values' range). */
  min?: number;
  max?: number;
  /** Grey out keys after each query (default true: causal attention). */
  maskUpperTri?: boolean;
  /** The head shown large at first: its index among the heads shown, or { layer, head } (default the first). */
  selectedHead?: number | HeadRef;
  /**
   * A repeated sequence in the prompt, marked on the large pattern: a line where its second copy starts (key position
   * `start`) and the diagonal an induction head attends along, from query position t to key t − length + 1.
   */
  repeat?: RepeatMark;
}

/** A repeated sequence: its second copy starts at position `start`; each copy is `length` tokens. */
export interface RepeatMark {
  start: number;
  length: number;
}

/** attentionPatterns of a run: the patterns and token text its cache holds (options as AttentionPatternsOptions). */
export interface AttentionPatternsFromCache extends Omit<AttentionPatternsOptions, "tokens" | "attention" | "layers"> {
  /** A runWithCache's cache holding blocks.{l}.attn.hook_pattern (e.g. namesFilter: (n) => n.endsWith("hook_pattern")). */
  cache: ActivationCache;
  /** The layers to show (default: every layer whose pattern the cache holds). */
  layers?: number | number[];
  /** Key tokens (default: the cache's own text for display, cache.displayTokens[batchIndex]). */
  tokens?: string[];
}

/** The options read: exact weights, heads, text and scale (the selected head is checked by the view). */
export interface PatternData {
  /** Exact weights [heads, query, key]. */
  values: Float32Array;
  /** Which head each one is ({ layer: 0 } where the layer is unknown). */
  heads: HeadRef[];
  /** The layer of each head, null where unknown. */
  layers: (number | null)[];
  names: string[];
  tokens: string[];
  queryTokens: string[];
  /** What makes two key positions the same token for the induction badge: token ids from a cache, else the text. */
  tokenKeys: (string | number)[];
  queries: number;
  keys: number;
  min: number;
  max: number;
  maskUpper: boolean;
  repeat: RepeatMark | null;
}

/** The layer of a tensor a cache handed out ("blocks.{l}.…"), or null. */
function hookLayer(tensor: Tensor): number | null {
  const match = /^blocks\.(\d+)\./.exec(hookNameOf(tensor) ?? "");
  return match ? Number(match[1]) : null;
}

/** The layers whose hook_pattern `cache` holds, in order. */
function cachedPatternLayers(cache: ActivationCache): number[] {
  return cache.keys().flatMap((name) => {
    const match = /^blocks\.(\d+)\.attn\.hook_pattern$/.exec(name);
    return match ? [Number(match[1])] : [];
  });
}

/** The patterns and tokens of a cache's run as plain options, plus its token ids (the cache's own tensors). */
function fromCache(options: AttentionPatternsFromCache): { plain: AttentionPatternsOptions; ids: number[] } {
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
  const plain = {
    ...rest,
    tokens: tokens ?? cache.displayTokens[row],
    attention: layers.map((l) => cache.get(`blocks.${l}.attn.hook_pattern`)), // each [batch, heads, query, key]
    layers,
  };
  return { plain, ids: (cache.tokens.arraySync() as number[][])[row] };
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
    return { values: all.subarray(batchIndex * size, (batchIndex + 1) * size), shape: rest };
  }
  throw new Error(`${what} must be [heads, query, key] or [batch, heads, query, key], got [${t.shape}]`);
}

/** The layer of each tensor: `layers` when given, else read from the hooks (a list whose layers are unknown is refused). */
function layersOf(tensors: Tensor[], given: number | number[] | undefined): (number | null)[] {
  if (given !== undefined) {
    const layers = ([] as number[]).concat(given);
    if (layers.length !== tensors.length)
      throw new Error(`layers names ${layers.length} layers but attention holds ${tensors.length} patterns`);
    layers.forEach((l) => {
      if (!Number.isInteger(l) || l < 0) throw new Error(`layers must be non-negative integers, got ${String(l)}`);
    });
    return layers;
  }
  const read = tensors.map(hookLayer);
  if (tensors.length > 1) {
    const unknown = read.findIndex((l) => l === null);
    if (unknown >= 0)
      throw new Error(
        `attention[${unknown}] did not come from a cache (cache.get("blocks.{layer}.attn.hook_pattern")), so its layer ` +
          `is unknown: pass layers, one per pattern (e.g. layers: [${tensors.map((_, i) => i).join(", ")}])`,
      );
  }
  return read;
}

/** Reads and checks the options (see PatternData). */
export function readOptions(given: AttentionPatternsOptions | AttentionPatternsFromCache): PatternData {
  const { plain: options, ids } = "cache" in given ? fromCache(given) : { plain: given, ids: undefined };
  const tensors = Array.isArray(options.attention) ? options.attention : [options.attention];
  if (tensors.length === 0) throw new Error("attention must hold at least one pattern");
  const parts = tensors.map((t, i) => headsOf(t, options.batchIndex ?? 0, tensors.length > 1 ? `attention[${i}]` : "attention"));
  const [, queries, keys] = parts[0].shape;
  parts.forEach((part, i) => {
    if (part.shape[1] !== queries || part.shape[2] !== keys)
      throw new Error(
        `attention[${i}] is [${part.shape}] but attention[0] is [${parts[0].shape}]: every pattern needs the same query and key lengths`,
      );
  });
  const tensorLayers = layersOf(tensors, options.layers);
  const layers = parts.flatMap((part, i) => new Array<number | null>(part.shape[0]).fill(tensorLayers[i]));
  const heads = parts.flatMap((part, i) =>
    Array.from({ length: part.shape[0] }, (_, h) => ({ layer: tensorLayers[i] ?? 0, head: h })),
  );
  // [heads, query, key]: a single 3-d tensor's own data, else the parts copied one after the other
  const values = parts.length === 1 && tensors[0].rank === 3 ? parts[0].values : new Float32Array(heads.length * queries * keys);
  if (values !== parts[0].values) parts.reduce((at, part) => (values.set(part.values, at), at + part.values.length), 0);
  const { tokens } = options;
  if (!Array.isArray(tokens) || tokens.length !== keys || !tokens.every((t) => typeof t === "string"))
    throw new Error(
      `tokens must be ${keys} strings (one per key position), got ${Array.isArray(tokens) ? tokens.length : typeof tokens}`,
    );
  const queryTokens = options.queryTokens ?? tokens.slice(keys - queries);
  if (queryTokens.length !== queries)
    throw new Error(`queryTokens must be ${queries} strings (one per query position), got ${queryTokens.length}`);
  const names = options.headNames ?? heads.map((ref, i) => (layers[i] === null ? `H${ref.head}` : headLabel(ref)));
  if (names.length !== heads.length) throw new Error(`headNames must name ${heads.length} heads, got ${names.length}`);
  const [low, high] = valueRange(values);
  const isPattern = low >= 0 && high <= 1;
  const min = options.min ?? (isPattern ? 0 : low);
  const max = options.max ?? (isPattern ? 1 : high);
  if (!(max > min)) throw new Error(`the colour scale needs max > min, got min ${min} and max ${max}`);
  return {
    values,
    heads,
    layers,
    names: [...names],
    tokens: [...tokens],
    queryTokens: [...queryTokens],
    tokenKeys: ids && ids.length === keys ? ids : [...tokens],
    queries,
    keys,
    min,
    max,
    maskUpper: options.maskUpperTri ?? true,
    repeat: checkedRepeat(options.repeat, keys),
  };
}

/** The `repeat` option checked against the key length: whole positions, the second copy inside the prompt. */
function checkedRepeat(repeat: RepeatMark | undefined, keys: number): RepeatMark | null {
  if (repeat === undefined) return null;
  const { start, length } = repeat ?? {};
  if (!Number.isInteger(start) || !Number.isInteger(length) || length < 1 || start < length || start >= keys)
    throw new Error(
      `repeat must be { start, length } with whole numbers, 1 ≤ length ≤ start < ${keys} (the key length), got ${JSON.stringify(repeat)}`,
    );
  return { start, length };
}
