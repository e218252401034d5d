/**
 * `inductionHeads(model)`: previous-token and induction scores of every head as two grids, linked
 * to the attention patterns they summarise, on a repeated sequence (random tokens, or a prompt the
 * user types, repeated). The numbers come from lens.repeatedSequenceScores (src/analysis); the view
 * shows them, keeps the selected head the same in all three (a click in either grid or on a
 * thumbnail), and hands a typed prompt to the analysis, pushing what it returns.
 */
import { repeatedSequenceScores } from "../../analysis/repeatedSequence";
import type { RepeatedSequenceScores } from "../../analysis/repeatedSequence";
import type { HookedTransformer } from "../../model/hookedTransformer";
import { tf } from "../../tensor";
import { controlState } from "../../controls/base";
import { HBox } from "../../controls/box";
import { Text } from "../../controls/text";
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

const PLACEHOLDER = "a prompt to repeat, then Enter (empty: random tokens)";

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
    if (!scores.strTokens) throw new Error("inductionHeads shows the tokens' text, and this model has no tokenizer");
    return show(scores, { tokens: scores.strTokens, attention: scores.patterns });
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
  readonly prompt: Text;
  readonly previousToken: HeadScores;
  readonly induction: HeadScores;
  readonly patterns: AttentionPatterns;
  /** The last recomputation's error (shown in the prompt box's placeholder too), or undefined. */
  lastError: string | undefined;

  private readonly model: HookedTransformer;
  private readonly options: InductionHeadsOptions;

  constructor(model: HookedTransformer, options: InductionHeadsOptions = {}) {
    const views = withScores(model, options.prompt ?? "", options, (first, patterns) => {
      const best = bestHead(first.induction);
      return {
        previousToken: new HeadScores({
          scores: first.previousToken,
          title: "previous-token score",
          min: 0,
          max: 1,
          selected: best,
        }),
        induction: new HeadScores({ scores: first.induction, title: "induction score", min: 0, max: 1, selected: best }),
        patterns: new AttentionPatterns({ ...patterns, selectedHead: best }),
      };
    });
    const prompt = new Text({
      value: options.prompt ?? "",
      placeholder: PLACEHOLDER,
      description: "prompt",
      continuousUpdate: false,
    });
    const row = new HBox([views.previousToken, views.induction]);
    super({ ...controlState("VBox", {}), children: [prompt, row, views.patterns] });
    this.model = model;
    this.options = options;
    this.prompt = prompt;
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
    this.prompt.on("change:value", (c) => this.recompute(String(c.new)));
  }

  /** Shows the scores and patterns of `prompt` repeated (lens.repeatedSequenceScores): pushes them to the views. */
  recompute(prompt: string): void {
    try {
      withScores(this.model, prompt, this.options, (scores, patterns) => {
        this.previousToken.update(scores.previousToken, { min: 0, max: 1 });
        this.induction.update(scores.induction, { min: 0, max: 1 });
        this.patterns.update(patterns);
      });
      this.lastError = undefined;
      this.prompt.set({ placeholder: PLACEHOLDER });
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
