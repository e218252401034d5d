/**
 * `inductionHeads(model)`: previous-token and induction scores of every head as two grids, linked
 * to the attention patterns they summarise, on a repeated sequence (random tokens, or a prompt the
 * user types, repeated). Clicking a cell in either grid or a thumbnail selects that head in all
 * three; entering a prompt makes the kernel run the model again and push the new scores and
 * patterns.
 */
import { detectHead } from "../../analysis/detectHead";
import { repeatedRandomTokens } from "../../analysis/induction";
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

/** Scores and patterns of one repeated sequence. */
interface Analysis {
  previous: number[][];
  induction: number[][];
  patterns: AttentionPatternsOptions;
}

const PLACEHOLDER = "a prompt to repeat, then Enter (empty: random tokens)";

/**
 * Runs the model on `prompt` repeated (or on repeated random tokens) and hands `use` every head's scores and
 * the patterns of all layers (valid during the call).
 */
function analyse<T>(model: HookedTransformer, prompt: string, options: InductionHeadsOptions, use: (a: Analysis) => T): T {
  let tokens: number[][];
  if (prompt.trim() === "")
    tokens = repeatedRandomTokens(model, { seqLen: options.seqLen ?? 20, batch: 1, seed: options.seed ?? 0 });
  else {
    const ids = (withBos: boolean) => {
      const t = model.toTokens(prompt, { prependBos: withBos });
      const row = (t.arraySync() as number[][])[0];
      t.dispose();
      return row;
    };
    const [first, again] = [ids(true), ids(false)];
    tokens = [[...first, ...again]];
    if (tokens[0].length > model.cfg.nCtx)
      throw new Error(`the prompt repeated is ${tokens[0].length} tokens, more than the model's context (${model.cfg.nCtx})`);
  }
  const input = tf.tensor2d(tokens, undefined, "int32");
  const { cache } = model.runWithCache(input, { namesFilter: (n) => n.endsWith("attn.hook_pattern"), returnType: "none" });
  try {
    const previous = detectHead(model, input, "previous_token_head", { cache });
    const induction = detectHead(model, input, "induction_head", { cache });
    const attention = Array.from({ length: model.cfg.nLayers }, (_, l) => cache.get(`blocks.${l}.attn.hook_pattern`));
    return use({ previous, induction, patterns: { tokens: model.toStrTokens(input), attention } });
  } finally {
    cache.dispose();
    input.dispose();
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
    const views = analyse(model, options.prompt ?? "", options, (first) => {
      const best = bestHead(first.induction);
      return {
        previousToken: new HeadScores({ scores: first.previous, title: "previous-token score", min: 0, max: 1, selected: best }),
        induction: new HeadScores({ scores: first.induction, title: "induction score", min: 0, max: 1, selected: best }),
        patterns: new AttentionPatterns({ ...first.patterns, selectedHead: best }),
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

  /** Runs the model on `prompt` repeated and pushes the new scores and patterns to the views. */
  recompute(prompt: string): void {
    try {
      analyse(this.model, prompt, this.options, (analysis) => {
        this.previousToken.update(analysis.previous, { min: 0, max: 1 });
        this.induction.update(analysis.induction, { min: 0, max: 1 });
        this.patterns.update(analysis.patterns);
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
