/**
 * The synced fields of attentionPatterns, shared by the kernel class (attentionPatterns.ts) and the
 * browser model and view (widgets/src/attentionPatterns/). Patterns travel as one byte per weight
 * on the scale [valueMin, valueMax], in two resolutions:
 *
 * - `thumbnails`: every head max-pooled to at most THUMB_SIZE × THUMB_SIZE ([heads, thumbRows,
 *   thumbCols] bytes; smaller for hundreds of heads, see thumbSide), always sent — enough to draw the
 *   grid of heads at once;
 * - `patterns`: the full [query, key] bytes of the heads listed in `patternHeads`, one after the
 *   other. A small view (every head together ≤ ALL_HEADS_BYTES) lists every head; a large one lists
 *   only the selected head (the kernel replaces it when the selection changes, so saved state always
 *   holds the selected head in full). The browser asks for any other head with a custom message.
 *
 * Custom messages (view → kernel, and the kernel's replies, each tagged with `patterns_version` so the
 * view can drop replies about older patterns):
 *   { request: "head", head }    → { head_for: head, patterns_version } + one buffer: its bytes [query, key]
 *   { request: "values", head }  → { values_for: head, patterns_version } + one buffer: float32 [query, key]
 * `PatternStore` (widgets/src/attentionPatterns/store.ts) does all of this for the view.
 */
import { bytesSerializer } from "../../common/quantise";
import type { QuantisedPatterns } from "../../common/quantise";
import { defineView, field } from "../../common/spec";
import type { FieldReader, FieldsOf } from "../../common/spec";

/** Largest thumbnail side: a head with more queries or keys is pooled to this many rows or columns. */
export const THUMB_SIZE = 64;

/** Every thumbnail together stays within this many bytes: with many heads (a whole large model) each gets smaller. */
export const THUMBNAILS_BYTES = 1 << 20;

/** The thumbnail side for `heads` heads: THUMB_SIZE, less when THUMBNAILS_BYTES would not hold them (at least 16). */
export function thumbSide(heads: number): number {
  return Math.max(16, Math.min(THUMB_SIZE, Math.floor(Math.sqrt(THUMBNAILS_BYTES / Math.max(1, heads)))));
}

/** A view whose heads together hold at most this many bytes sends them all at once (12 heads × 256² fit). */
export const ALL_HEADS_BYTES = 1 << 20;

/**
 * What one head does, in numbers computed from its exact weights (the mean over queries of the weight on one key):
 * null where no query has such a key (no earlier position; no repeated token).
 */
export interface HeadBadge {
  /** Weight on the previous position, over the queries that have one. */
  previous: number | null;
  /** Weight on the query's own position. */
  self: number | null;
  /** Weight on position 0 (BOS when the text starts with it). */
  bos: number | null;
  /**
   * Over the queries whose token occurred earlier: the weight on the positions right after those earlier copies
   * ([A][B] … [A] → [B]); null when no token repeats.
   */
  induction: number | null;
}

export const attentionPatternsSpec = defineView("AttentionPatterns", {
  /** Token strings of the key (source) positions. */
  tokens: field<string[]>("tokens", []),
  /** Token strings of the query (destination) positions. */
  queryTokens: field<string[]>("query_tokens", []),
  headNames: field<string[]>("head_names", []),
  /** The layer of each head shown (from the hook its pattern came from, or `layers`); null when unknown. */
  headLayers: field<(number | null)[]>("head_layers", []),
  /** Previous-token, self, BOS and induction weights of each head (see HeadBadge). */
  headBadges: field<HeadBadge[]>("head_badges", []),
  /** Quantised full patterns of the heads in `patternHeads`, one after the other: [patternHeads.length, query, key]. */
  patterns: field<Uint8Array | null>("patterns", null, bytesSerializer),
  /** The heads (indices in the order of `headNames`) whose full bytes `patterns` holds, in that order. */
  patternHeads: field<number[]>("pattern_heads", []),
  /** Every head max-pooled to [thumbRows, thumbCols]: [heads, thumbRows, thumbCols] bytes on the same scale. */
  thumbnails: field<Uint8Array | null>("thumbnails", null, bytesSerializer),
  thumbRows: field("thumb_rows", 0),
  thumbCols: field("thumb_cols", 0),
  nHeads: field("n_heads", 0),
  nQueries: field("n_queries", 0),
  nKeys: field("n_keys", 0),
  valueMin: field("value_min", 0),
  valueMax: field("value_max", 1),
  maskUpperTri: field("mask_upper_tri", true),
  /** A repeated sequence to mark (its second copy's start, each copy's length), or null. */
  repeat: field<{ start: number; length: number } | null>("repeat", null),
  /** Index of the head shown large, in the order of `headNames`. */
  selectedHead: field("selected_head", 0),
  /** What a hovered token shows: where it attends ("query") or what attends to it ("key"). */
  tokenMode: field<"query" | "key">("token_mode", "query"),
  /** The locked token's position, or −1. */
  lockedToken: field("locked_token", -1),
  /** Counts the kernel's new patterns (update()); replies about an older version are dropped. */
  patternsVersion: field("patterns_version", 0),
});

/** The fields of attentionPatterns. */
export type AttentionPatternsFields = FieldsOf<typeof attentionPatternsSpec>;

/**
 * Every head's quantised patterns and their scale, when `patterns` holds every head in order (a small view, or
 * the kernel's own state); undefined otherwise (a large view sends one head: read heads through PatternStore).
 */
export function patternsOf(read: FieldReader<AttentionPatternsFields>): QuantisedPatterns | undefined {
  const bytes = read("patterns");
  const heads = read("nHeads");
  const listed = read("patternHeads");
  if (!bytes || listed.length !== heads || listed.some((h, i) => h !== i)) return undefined;
  return {
    bytes,
    heads,
    queries: read("nQueries"),
    keys: read("nKeys"),
    min: read("valueMin"),
    max: read("valueMax"),
    maskUpper: read("maskUpperTri"),
  };
}
