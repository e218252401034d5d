/**
 * `logitLens(...)`: what the residual stream predicts after each layer — for every layer and position the top-k
 * next tokens and their probabilities, as `lens.logitLensTopK` computes them (src/analysis/logitLens.ts). The view
 * shows the top token of each cell on its probability's colour, a row with the actual next token, and a mark on each
 * cell whose top prediction is that token; hovering a cell lists the top k. It takes that result, or a model with a
 * run's cache (no second run), or a model with an input (it runs the model once). Given the model, token text is its
 * tokenizer's display strings (byte pieces as <0xNN> rather than "�"); a bare result shows its strTokens. Given a
 * model and a text, the view has a prompt box: a new prompt typed there is run by the kernel (recompute), and in an
 * export with --live by the reader's page, with the same code (fields.ts).
 */
import type { LogitLensTopK } from "../../analysis/logitLens";
import type { ActivationCache } from "../../cache/activationCache";
import type { HookedTransformer, ModelInput } from "../../model/hookedTransformer";
import { ViewWidget } from "../core/viewWidget";
import { lensFields, lensLiveClasses, lensOf, logitLensWireFields } from "./fields";
import type { LogitLensOptions } from "./fields";
import { logitLensPng } from "./snapshot";
import { LogitLensFields, logitLensSpec } from "./spec";

export { nextTokenRanks } from "./fields";
export type { LogitLensOptions } from "./fields";

/** True for a lens result (lens.logitLensTopK's), as opposed to a model. */
function isLensResult(value: unknown): value is LogitLensTopK {
  const v = value as Partial<LogitLensTopK> | null;
  return typeof v === "object" && v !== null && Array.isArray(v.labels) && Array.isArray(v.topProbs);
}

/** The logit-lens view. */
export class LogitLens extends ViewWidget<LogitLensFields> {
  /** The last typed prompt's error (shown under the prompt box too), or undefined. */
  lastError: string | undefined;
  /** The model and options a typed prompt runs with; undefined when the view has no prompt box. */
  private readonly promptRun: { model: HookedTransformer; options: LogitLensOptions } | undefined;

  /**
   * Shows `lens` (from lens.logitLensTopK; with its `model`, token text as the tokenizer displays it), or the lens of
   * `model` on `input`: a run's cache or an input to run.
   */
  constructor(lens: LogitLensTopK, model?: HookedTransformer);
  constructor(model: HookedTransformer, input: ModelInput | ActivationCache, options?: LogitLensOptions);
  constructor(
    source: HookedTransformer | LogitLensTopK,
    input?: ModelInput | ActivationCache | HookedTransformer,
    options: LogitLensOptions = {},
  ) {
    if (!isLensResult(source) && input === undefined)
      throw new Error("logitLens takes a lens result, or a model with a run's cache or an input");
    super(
      logitLensSpec,
      isLensResult(source)
        ? lensFields(source, (input as HookedTransformer | undefined)?.tokenizer)
        : {
            ...lensFields(lensOf(source, input as ModelInput | ActivationCache, options), source.tokenizer),
            // A text gets a prompt box (a cache or token ids have no text to edit).
            prompt: typeof input === "string" ? input : null,
          },
    );
    if (!isLensResult(source) && typeof input === "string") {
      this.promptRun = { model: source, options };
      // The view names its model and top k, so an export with --live can recompute it in the page.
      this.set({ _dom_classes: lensLiveClasses(source, options) });
      this.on("change:prompt", (change) => this.recompute(String(change.new ?? "")));
    }
  }

  /** Shows the lens of `prompt` (typed in the prompt box): its fields, or its error under the box. */
  recompute(prompt: string): void {
    if (!this.promptRun) throw new Error("this logitLens has no prompt box: make it from a model and a text");
    try {
      this.set(logitLensWireFields(this.promptRun.model, prompt, this.promptRun.options));
      this.lastError = undefined;
    } catch (error) {
      this.lastError = (error as Error).message;
      this.setFields({ promptError: this.lastError });
      console.error(`logitLens: ${this.lastError}`);
    }
  }

  protected snapshot(): Uint8Array | undefined {
    const top = this.field("topTokens");
    const probs = this.field("topProbs");
    const k = this.field("topK");
    if (!probs) return undefined;
    return logitLensPng({
      tokens: this.field("tokens"),
      labels: this.field("layerLabels"),
      best: top.map((layer) => layer.map((cells) => cells[0])),
      bestProb: top.map((layer, l) => layer.map((_, p) => probs[(l * layer.length + p) * k])),
      nextTokens: this.field("nextTokens"),
      nextRank: this.field("nextRank"),
    });
  }

  override toString(): string {
    return `LogitLens(${this.field("layerLabels").length} layers × ${this.field("tokens").length} positions, top ${this.field("topK")})`;
  }
}

/**
 * Shows a logit lens: `logitLens(lens.logitLensTopK(model, cache), model)` (the model only for its token text;
 * without it the result's strTokens show), `logitLens(model, cache, { topK })` (reads the run, runs nothing) or
 * `logitLens(model, input, { topK })` (runs the model on one sequence).
 */
export function logitLens(lens: LogitLensTopK, model?: HookedTransformer): LogitLens;
export function logitLens(model: HookedTransformer, input: ModelInput | ActivationCache, options?: LogitLensOptions): LogitLens;
export function logitLens(
  source: HookedTransformer | LogitLensTopK,
  input?: ModelInput | ActivationCache | HookedTransformer,
  options: LogitLensOptions = {},
): LogitLens {
  return isLensResult(source)
    ? new LogitLens(source, input as HookedTransformer | undefined)
    : new LogitLens(source, input as ModelInput | ActivationCache, options);
}
