/**
 * The synced fields of an attentionPatterns view computed from its options, free of the widget classes (the kernel's
 * view and tslens live's pages use them alike): the weights quantised, thumbnails pooled, badges, the bytes sent.
 */
import { poolHead } from "../../common/draw/patternImage";
import { quantise } from "../../common/quantise";
import type { Values } from "../../common/spec";
import { headBadges } from "./badges";
import { AttentionPatternsFromCache, AttentionPatternsOptions, PatternData, readOptions } from "./options";
import { ALL_HEADS_BYTES, AttentionPatternsFields, thumbSide } from "./spec";

/** Some fields of attentionPatterns, by their names in code. */
export type FieldValues = Partial<Values<AttentionPatternsFields>>;

/** Patterns as the kernel keeps them: the options read, every head's bytes, and whether all of them travel at once. */
export interface Shown {
  data: PatternData;
  /** Quantised weights [heads, query, key] on [data.min, data.max]. */
  bytes: Uint8Array;
  /** True when every head's bytes go in the state (a small view); else only the selected head's. */
  sendsAll: boolean;
}

/** Reads the options and quantises the weights. */
export function show(options: AttentionPatternsOptions | AttentionPatternsFromCache): Shown {
  const data = readOptions(options);
  const bytes = quantise(data.values, data.min, data.max); // [heads, query, key]
  return { data, bytes, sendsAll: bytes.byteLength <= ALL_HEADS_BYTES };
}

/** The full bytes the state carries with `selected` as the selected head: every head's, or that one's. */
export function sentPatterns(shown: Shown, selected: number): FieldValues {
  const { data, bytes, sendsAll } = shown;
  if (sendsAll) return { patterns: bytes, patternHeads: data.heads.map((_, h) => h) };
  const size = data.queries * data.keys;
  return { patterns: bytes.subarray(selected * size, (selected + 1) * size), patternHeads: [selected] };
}

/** Every field of `shown` with `selected` as the selected head: text, heads, badges, thumbnails, bytes, scale. */
export function fieldsOf(shown: Shown, selected: number): FieldValues {
  const { data, bytes } = shown;
  const heads = data.heads.length;
  const side = thumbSide(heads);
  const [rows, cols] = [Math.min(data.queries, side), Math.min(data.keys, side)];
  const shape = { queries: data.queries, keys: data.keys, maskUpper: data.maskUpper };
  const thumbnails = new Uint8Array(heads * rows * cols); // [heads, rows, cols]
  for (let h = 0; h < heads; h++) thumbnails.set(poolHead(bytes, h, shape, rows, cols).bytes, h * rows * cols);
  return {
    tokens: data.tokens,
    queryTokens: data.queryTokens,
    headNames: data.names,
    headLayers: data.layers,
    headBadges: headBadges(data.values, heads, data.queries, data.keys, data.tokenKeys),
    ...sentPatterns(shown, selected),
    thumbnails,
    thumbRows: rows,
    thumbCols: cols,
    nHeads: heads,
    nQueries: data.queries,
    nKeys: data.keys,
    valueMin: data.min,
    valueMax: data.max,
    maskUpperTri: data.maskUpper,
    repeat: data.repeat,
    selectedHead: selected,
  };
}
