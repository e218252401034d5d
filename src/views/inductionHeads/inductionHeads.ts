/**
 * `inductionHeads(model)`: previous-token and induction scores of every head as two grids, linked
 * to the attention patterns they summarise, on a repeated sequence (random tokens, or a prompt the
 * user types, repeated). The numbers come from lens.repeatedSequenceScores (src/analysis); the view
 * shows them, keeps the selected head the same in all three (a click in either grid or on a
 * thumbnail; hovering a grid cell previews its head in the patterns), and hands a typed prompt to the
 * analysis, pushing what it returns. A caption says where the second copy starts and which diagonal an
 * induction head lights up (query t → key t − L + 1 for a repeated half of L tokens).
 */
import { repeatedSequenceScores } from "../../analysis/repeatedSequence";
import type { RepeatedSequenceScores } from "../../analysis/repeatedSequence";
import type { HookedTransformer } from "../../model/hookedTransformer";
import { tf } from "../../tensor";
import { controlState } from "../../controls/base";
import { HBox } from "../../controls/box";
import { HTML, Textarea } from "../../controls/text";
import { AttentionPatterns, AttentionPatternsOptions } from "../attentionPatterns/attentionPatterns";
import { HeadRef, headLabel } from "../../common/heads";
import { HeadScores } from "../headScores/headScores";
import { SnapshotWidget } from "../core/viewWidget";
import { stackedPng } from "./snapshot";

/** Options of inductionHeads. */
export interface InductionHeadsOptions {
  /** A prompt to repeat (default: `seqLen` random tokens, repeated). */
  prompt?: string;
  /** Length of the random sequence (default 20). */
  seqLen?: number;
  seed?: number;
}

const PLACEHOLDER = "a prompt to repeat; click outside the box (or Tab) to run it (empty: random tokens)";

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
function promptRows(prompt: string): number {
  const rows = prompt.split("\n").reduce((n, line) => n + Math.max(1, Math.ceil(line.length / 100)), 0);
  return Math.max(2, Math.min(12, rows));
}

/** Text as HTML: the caption is numbers only, but escaped all the same. */
function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/**
 * The scores and patterns of `prompt` repeated (random tokens when it is empty), from repeatedSequenceScores, handed
 * to `show` as the views take them; the patterns' tensors are freed afterwards.
 */
function withScores<T>(
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
function bestHead(scores: number[][]): HeadRef {
  let best = { layer: 0, head: 0 };
  scores.forEach((row, layer) => row.forEach((v, head) => v > scores[best.layer][best.head] && (best = { layer, head })));
  return best;
}

/** The linked grids and patterns, in a column under the prompt box. */
export class InductionHeads extends SnapshotWidget {
  /** The prompt box: a text area as tall as the prompt; its value is sent when it loses focus. */
  readonly prompt: Textarea;
  /** Where the second copy starts and the induction diagonal (text). */
  readonly caption: HTML;
  readonly previousToken: HeadScores;
  readonly induction: HeadScores;
  readonly patterns: AttentionPatterns;
  /** The last recomputation's error (shown in the prompt box's placeholder too), or undefined. */
  lastError: string | undefined;
  /** The length L of the repeated half now shown: an induction head attends from query t to key t − L + 1. */
  repeatLength: number;

  private readonly model: HookedTransformer;
  private readonly options: InductionHeadsOptions;

  constructor(model: HookedTransformer, options: InductionHeadsOptions = {}) {
    const views = withScores(model, options.prompt ?? "", options, (first, patterns) => {
      const best = bestHead(first.induction);
      return {
        previousToken: new HeadScores({
          scores: first.previousToken,
          title: "previous-token score",
          ...unitScale(first.previousToken),
          selected: best,
        }),
        induction: new HeadScores({
          scores: first.induction,
          title: "induction score",
          ...unitScale(first.induction),
          selected: best,
        }),
        patterns: new AttentionPatterns({ ...patterns, selectedHead: best }),
        tokens: first.tokens,
      };
    });
    const value = options.prompt ?? "";
    const prompt = new Textarea({
      value,
      placeholder: PLACEHOLDER,
      description: "prompt",
      continuousUpdate: false,
      rows: promptRows(value),
      layout: { width: "100%" },
    });
    const caption = new HTML({ value: escapeHtml(repeatCaption(views.tokens)) });
    const row = new HBox([views.previousToken, views.induction]);
    super({ ...controlState("VBox", {}), children: [prompt, row, caption, views.patterns] });
    this.model = model;
    this.options = options;
    this.prompt = prompt;
    this.caption = caption;
    this.repeatLength = repeatLength(views.tokens);
    this.previousToken = views.previousToken;
    this.induction = views.induction;
    this.patterns = views.patterns;
    this.link();
  }

  /** Keeps the selected head the same in both grids and the patterns; a new prompt recomputes. */
  private link(): void {
    const select = (ref: HeadRef | null) => {
      if (!ref) return;
      this.previousToken.selected = ref;
      this.induction.selected = ref;
      this.patterns.selected = ref;
    };
    for (const view of [this.previousToken, this.induction, this.patterns])
      view.on("change:selected", (c) => select(c.new as HeadRef | null));
    this.previousToken.linkPatterns(this.patterns);
    this.induction.linkPatterns(this.patterns);
    this.prompt.on("change:value", (c) => this.recompute(String(c.new)));
  }

  /** Shows the scores and patterns of `prompt` repeated (lens.repeatedSequenceScores): pushes them to the views. */
  recompute(prompt: string): void {
    try {
      withScores(this.model, prompt, this.options, (scores, patterns) => {
        this.previousToken.update(scores.previousToken, unitScale(scores.previousToken));
        this.induction.update(scores.induction, unitScale(scores.induction));
        this.patterns.update(patterns);
        this.repeatLength = repeatLength(scores.tokens);
        this.caption.set({ value: escapeHtml(repeatCaption(scores.tokens)) });
      });
      this.lastError = undefined;
      this.prompt.set({ placeholder: PLACEHOLDER, rows: promptRows(prompt) });
    } catch (error) {
      this.lastError = (error as Error).message;
      this.prompt.set({ placeholder: `error: ${this.lastError}` });
      console.error(`inductionHeads: ${this.lastError}`);
    }
  }

  /** The induction grid's and the patterns' snapshots, one above the other. */
  protected snapshot(): Uint8Array | undefined {
    return stackedPng([this.induction.png(), this.patterns.png()]);
  }

  override toString(): string {
    const s = this.induction.selected;
    return `InductionHeads(${this.model.cfg.nLayers} layers × ${this.model.cfg.nHeads} heads, selected ${s ? headLabel(s) : "none"})`;
  }
}

/** Shows the induction-head dashboard of `model`. */
export function inductionHeads(model: HookedTransformer, options: InductionHeadsOptions = {}): InductionHeads {
  return new InductionHeads(model, options);
}
