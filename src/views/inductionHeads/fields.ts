/**
 * What the induction view shows, free of the widget classes (the kernel's view and tslens live's pages use it
 * alike): the scores and patterns of a prompt repeated, their colour scales, the caption and the prompt box's
 * settings; inductionViewFields gives every child view's fields for a new prompt, as the kernel sets them.
 */
import { repeatedSequenceScores } from "../../analysis/repeatedSequence";
import type { RepeatedSequenceScores } from "../../analysis/repeatedSequence";
import type { HookedTransformer } from "../../model/hookedTransformer";
import { tf } from "../../tensor";
import { wireValues } from "../../common/spec";
import { fieldsOf, show } from "../attentionPatterns/fields";
import type { AttentionPatternsOptions } from "../attentionPatterns/options";
import { attentionPatternsSpec } from "../attentionPatterns/spec";
import { scoreFields } from "../headScores/scale";
import { headScoresSpec } from "../headScores/spec";

/** Options of inductionHeads. */
export interface InductionHeadsOptions {
  /** A prompt to repeat (default: `seqLen` random tokens, repeated). */
  prompt?: string;
  /** Length of the random sequence (default 20). */
  seqLen?: number;
  seed?: number;
}

export const PLACEHOLDER = "a prompt to repeat; click outside the box (or Tab) to run it (empty: random tokens)";

/**
 * Below this largest score a grid is autoscaled (its colour bar says "autoscaled: max …"): on a fixed 0…1 scale a
 * weak model's grid would be all but white and hide which heads stand out. At or above it the scale is 0…1.
 */
export const WEAK_SCORE = 0.2;

/** The colour scale of a grid of scores in [0, 1]: fixed 0…1, or 0…max when every score is below WEAK_SCORE. */
export function unitScale(scores: number[][]): { min: number; max?: number } {
  const top = Math.max(...scores.flat());
  return top >= WEAK_SCORE ? { min: 0, max: 1 } : { min: 0 };
}

/**
 * The length L of the repeated half of `tokens` (…, a1…aL, a1…aL, the second copy at the end, after a BOS or
 * not), or 0 when the sequence does not end in two equal halves.
 */
export function repeatLength(tokens: number[]): number {
  const half = Math.floor(tokens.length / 2);
  const n = tokens.length;
  for (let i = 0; i < half; i++) if (tokens[n - half + i] !== tokens[n - 2 * half + i]) return 0;
  return half;
}

/** The caption under the grids: where the second copy starts and the induction diagonal, in positions. */
export function repeatCaption(tokens: number[]): string {
  const length = repeatLength(tokens);
  if (length === 0) return "";
  const start = tokens.length - length;
  return (
    `repeated sequence: ${tokens.length - 2 * length > 0 ? "BOS, then " : ""}${length} tokens twice; the second copy ` +
    `starts at position ${start}. An induction head attends from query t to key t − ${length - 1} ` +
    `(the token after the earlier copy of token t): the diagonal ${length - 1} below the main one, from query ${start} (dashed on the pattern; the lines mark where the second copy starts).`
  );
}

/** Rows for a prompt box that shows all of `prompt` (about 100 characters a row), between 2 and 12. */
export function promptRows(prompt: string): number {
  const rows = prompt.split("\n").reduce((n, line) => n + Math.max(1, Math.ceil(line.length / 100)), 0);
  return Math.max(2, Math.min(12, rows));
}

/** Text as HTML: the caption is numbers only, but escaped all the same. */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/**
 * The scores and patterns of `prompt` repeated (random tokens when it is empty), from repeatedSequenceScores, handed
 * to `show` as the views take them; the patterns' tensors are freed afterwards.
 */
export function withScores<T>(
  model: HookedTransformer,
  prompt: string,
  options: InductionHeadsOptions,
  show: (scores: RepeatedSequenceScores, patterns: AttentionPatternsOptions) => T,
): T {
  const scores = repeatedSequenceScores(model, { ...options, prompt: prompt.trim() === "" ? undefined : prompt });
  try {
    if (!scores.strTokens || !model.tokenizer)
      throw new Error("inductionHeads shows the tokens' text, and this model has no tokenizer");
    // Display strings: byte pieces as <0xNN> rather than �, SentencePiece word starts with their space.
    const tokens = model.tokenizer.displayStrings(scores.tokens);
    const length = repeatLength(scores.tokens);
    // The second copy's start and the induction diagonal, drawn on the large pattern.
    const repeat = length > 0 ? { start: scores.tokens.length - length, length } : undefined;
    return show(scores, { tokens, attention: scores.patterns, layers: scores.patterns.map((_, l) => l), repeat });
  } finally {
    tf.dispose(scores.patterns);
  }
}

/** The head with the highest score. */
export function bestHead(scores: number[][]): { layer: number; head: number } {
  let best = { layer: 0, head: 0 };
  scores.forEach((row, layer) => row.forEach((v, head) => v > scores[best.layer][best.head] && (best = { layer, head })));
  return best;
}

/** The DOM class that marks an induction view's column (a VBox) in a notebook's widget state. */
export const INDUCTION_VIEW_CLASS = "tslens-induction-heads";
/** The prefix of the DOM class that names what a page needs to recompute the view (see liveTag). */
export const LIVE_TAG_PREFIX = "tslens-live:";

/** What a page needs to recompute an induction view: the model's name (its folder's) and the random-token options. */
export interface LiveTag {
  view: "inductionHeads";
  /** The model's name: the last part of the folder it was loaded from; undefined for a model built in code. */
  model?: string;
  seqLen?: number;
  seed?: number;
}

/** The view column's DOM classes: INDUCTION_VIEW_CLASS and the live tag (JSON, URI-encoded so it holds no space). */
export function liveClasses(model: HookedTransformer, options: InductionHeadsOptions): string[] {
  const name = model.folder?.split(/[\\/]/).filter(Boolean).pop();
  const tag: LiveTag = { view: "inductionHeads", model: name, seqLen: options.seqLen, seed: options.seed };
  return [INDUCTION_VIEW_CLASS, LIVE_TAG_PREFIX + encodeURIComponent(JSON.stringify(tag))];
}

/** The live tag among a column's DOM classes, or undefined. */
export function readLiveTag(classes: readonly string[]): LiveTag | undefined {
  const found = classes.find((c) => c.startsWith(LIVE_TAG_PREFIX));
  return found ? (JSON.parse(decodeURIComponent(found.slice(LIVE_TAG_PREFIX.length))) as LiveTag) : undefined;
}

/** Every child view's fields for a new prompt, by wire name, as the kernel's InductionHeads.recompute sets them. */
export interface InductionViewFields {
  previousToken: Record<string, unknown>;
  induction: Record<string, unknown>;
  /** The attention patterns' fields (patterns_version is the page's to advance). */
  patterns: Record<string, unknown>;
  /** The caption's HTML. */
  caption: string;
  /** The prompt box's rows. */
  rows: number;
  /** The repeated sequence's token ids. */
  tokens: number[];
  /** Every head's exact weights [heads, query, key], for a page that answers the view's requests for exact values. */
  exactPatterns: Float32Array;
}

/**
 * The fields of every child view of an induction view showing `prompt` repeated (random tokens when it is empty),
 * with `selectedHead` kept as the large pattern's head when the new patterns have it (else head 0).
 */
export function inductionViewFields(
  model: HookedTransformer,
  prompt: string,
  options: InductionHeadsOptions,
  selectedHead: number,
): InductionViewFields {
  return withScores(model, prompt, options, (scores, patternOptions) => {
    const shown = show(patternOptions);
    const selected = selectedHead >= 0 && selectedHead < shown.data.heads.length ? selectedHead : 0;
    return {
      previousToken: wireValues(headScoresSpec, scoreFields(scores.previousToken, unitScale(scores.previousToken))),
      induction: wireValues(headScoresSpec, scoreFields(scores.induction, unitScale(scores.induction))),
      patterns: wireValues(attentionPatternsSpec, { ...fieldsOf(shown, selected), lockedToken: -1 }),
      caption: escapeHtml(repeatCaption(scores.tokens)),
      rows: promptRows(prompt),
      tokens: scores.tokens,
      exactPatterns: Float32Array.from(shown.data.values),
    };
  });
}
