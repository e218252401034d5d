/**
 * `inductionHeads(model)`: previous-token and induction scores of every head as two grids, linked
 * to the attention patterns they summarise, on a repeated sequence (random tokens, or a prompt the
 * user types, repeated). The numbers come from lens.repeatedSequenceScores (src/analysis); the view
 * shows them, keeps the selected head the same in all three (a click in either grid or on a
 * thumbnail; hovering a grid cell previews its head in the patterns), and hands a typed prompt to the
 * analysis, pushing what it returns. A caption says where the second copy starts and which diagonal an
 * induction head lights up (query t → key t − L + 1 for a repeated half of L tokens).
 */
import type { HookedTransformer } from "../../model/hookedTransformer";
import { controlState } from "../../controls/base";
import { HBox } from "../../controls/box";
import { HTML, Textarea } from "../../controls/text";
import { AttentionPatterns } from "../attentionPatterns/attentionPatterns";
import type { HeadRef } from "../../common/heads";
import { headLabel } from "../../common/heads";
import { HeadScores } from "../headScores/headScores";
import { SnapshotWidget } from "../core/viewWidget";
import {
  PLACEHOLDER,
  bestHead,
  escapeHtml,
  liveClasses,
  promptRows,
  repeatCaption,
  repeatLength,
  unitScale,
  withScores,
} from "./fields";
import type { InductionHeadsOptions } from "./fields";
import { stackedPng } from "./snapshot";

export { WEAK_SCORE, repeatCaption, repeatLength, unitScale } from "./fields";
export type { InductionHeadsOptions } from "./fields";

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
    // The column names its model and options, so an export with --live can recompute the view in the page.
    const _dom_classes = liveClasses(model, options);
    super({ ...controlState("VBox", {}), _dom_classes, children: [prompt, row, caption, views.patterns] });
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
