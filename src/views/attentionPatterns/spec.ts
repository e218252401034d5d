/**
 * The synced fields of attentionPatterns, shared by the kernel class (attentionPatterns.ts) and the
 * browser model and view (widgets/src/attentionPatterns/). The patterns travel as one byte per
 * weight on the scale [valueMin, valueMax]; `patternsVersion` counts kernel-side updates so the
 * view can drop exact values it asked for about older patterns.
 */
import { bytesSerializer } from "../../common/quantise";
import type { QuantisedPatterns } from "../../common/quantise";
import { defineView, field } from "../../common/spec";
import type { FieldReader, FieldsOf } from "../../common/spec";

export const attentionPatternsSpec = defineView("AttentionPatterns", {
  /** Token strings of the key (source) positions. */
  tokens: field<string[]>("tokens", []),
  /** Token strings of the query (destination) positions. */
  queryTokens: field<string[]>("query_tokens", []),
  headNames: field<string[]>("head_names", []),
  /** Quantised patterns [heads, query, key]. */
  patterns: field<Uint8Array | null>("patterns", null, bytesSerializer),
  nHeads: field("n_heads", 0),
  nQueries: field("n_queries", 0),
  nKeys: field("n_keys", 0),
  valueMin: field("value_min", 0),
  valueMax: field("value_max", 1),
  maskUpperTri: field("mask_upper_tri", true),
  /** Index of the head shown large, in the order of `headNames`. */
  selectedHead: field("selected_head", 0),
  /** What a hovered token shows: where it attends ("query") or what attends to it ("key"). */
  tokenMode: field<"query" | "key">("token_mode", "query"),
  /** The locked token's position, or −1. */
  lockedToken: field("locked_token", -1),
  patternsVersion: field("patterns_version", 0),
});

/** The fields of attentionPatterns. */
export type AttentionPatternsFields = FieldsOf<typeof attentionPatternsSpec>;

/** The quantised patterns and their scale, read from the fields (undefined before any arrived). */
export function patternsOf(read: FieldReader<AttentionPatternsFields>): QuantisedPatterns | undefined {
  const bytes = read("patterns");
  if (!bytes) return undefined;
  return {
    bytes,
    heads: read("nHeads"),
    queries: read("nQueries"),
    keys: read("nKeys"),
    min: read("valueMin"),
    max: read("valueMax"),
    maskUpper: read("maskUpperTri"),
  };
}
