/**
 * `logitLens(...)`: what the residual stream predicts after each layer — for every layer and position the top-k
 * next tokens and their probabilities, as `lens.logitLensTopK` computes them (src/analysis/logitLens.ts). The view
 * shows the top token of each cell on its probability's colour, a row with the actual next token, and a mark on each
 * cell whose top prediction is that token; hovering a cell lists the top k. It takes that result, or a model with a
 * run's cache (no second run), or a model with an input (it runs the model once). Given the model, token text is its
 * tokenizer's display strings (byte pieces as <0xNN> rather than "�"); a bare result shows its strTokens.
 */
import { logitLensHooks, logitLensTopK } from "../../analysis/logitLens";
import type { LogitLensTopK, LogitLensTopKOptions } from "../../analysis/logitLens";
import { ActivationCache } from "../../cache/activationCache";
import type { HookedTransformer, ModelInput } from "../../model/hookedTransformer";
import type { Values } from "../../common/spec";
import type { Tokenizer } from "../../tokenizer";
import { ViewWidget } from "../core/viewWidget";
import { logitLensPng } from "./snapshot";
import { LogitLensFields, logitLensSpec } from "./spec";

/** Options of logitLens. */
export interface LogitLensOptions extends LogitLensTopKOptions {
  /** Predictions listed per cell (default 5). */
  topK?: number;
  /** The sequence to show when the input or the cache holds several (required then). */
  batchIndex?: number;
}

/** The lens of `input` (a run's cache, or anything the model takes: it is run once, keeping only what the lens reads). */
function lensOf(model: HookedTransformer, input: ModelInput | ActivationCache, options: LogitLensOptions): LogitLensTopK {
  const shown = (batch: number) => {
    if (batch > 1 && options.batchIndex === undefined)
      throw new Error(`logitLens shows one sequence, got a batch of ${batch}: pass batchIndex to pick one`);
  };
  if (input instanceof ActivationCache) {
    shown(input.tokens.shape[0]);
    return logitLensTopK(model, input, options);
  }
  const { cache } = model.runWithCache(input, { namesFilter: logitLensHooks(model.cfg.nLayers), returnType: "none" });
  try {
    shown(cache.tokens.shape[0]);
    return logitLensTopK(model, cache, options);
  } finally {
    cache.dispose();
  }
}

/** Where each position's next token ranks in each layer's top k (0 = top prediction, −1 = absent or no next token). */
export function nextTokenRanks(lens: Pick<LogitLensTopK, "tokens" | "topTokens">): number[][] {
  return lens.topTokens.map((layer) =>
    layer.map((cells, p) => (p + 1 < lens.tokens.length ? cells.indexOf(lens.tokens[p + 1]) : -1)),
  );
}

/**
 * The view's fields for a lens result, checked to be one that can be shown (token text, matching shapes). With a
 * tokenizer, token text is its display strings; without one, the result's strTokens and topStrTokens.
 */
function lensFields(lens: LogitLensTopK, tokenizer?: Tokenizer): Partial<Values<LogitLensFields>> {
  const { labels, topProbs } = lens;
  let { strTokens, topStrTokens } = lens;
  if (tokenizer && strTokens && topStrTokens) {
    const text = new Map<number, string>();
    const shown = (id: number) => text.get(id) ?? text.set(id, tokenizer.displayStrings([id])[0]).get(id)!;
    strTokens = lens.tokens.map(shown);
    topStrTokens = lens.topTokens.map((layer) => layer.map((cells) => cells.map(shown)));
  }
  if (!strTokens || !topStrTokens)
    throw new Error(
      "logitLens shows token text, and this lens has none (its model has no tokenizer): read lens.topTokens instead",
    );
  const k = topProbs[0]?.[0]?.length ?? 0;
  const positions = strTokens.length;
  const fits = (grid: unknown[][][]) =>
    grid.length === labels.length && grid.every((layer) => layer.length === positions && layer.every((c) => c.length === k));
  if (labels.length === 0 || k === 0 || !fits(topProbs) || !fits(topStrTokens) || !fits(lens.topTokens))
    throw new Error(
      `a logit lens needs topTokens, topStrTokens and topProbs of [${labels.length} labels, ${positions} positions, k ≥ 1] each`,
    );
  const text = strTokens;
  return {
    tokens: [...text],
    layerLabels: [...labels],
    topTokens: topStrTokens, // [layers, pos, k]
    topProbs: new Float32Array(topProbs.flat(2)), // [layers, pos, k] float32
    topK: k,
    nextTokens: text.map((_, p) => text[p + 1] ?? ""),
    nextRank: nextTokenRanks(lens),
  };
}

/** True for a lens result (lens.logitLensTopK's), as opposed to a model. */
function isLensResult(value: unknown): value is LogitLensTopK {
  const v = value as Partial<LogitLensTopK> | null;
  return typeof v === "object" && v !== null && Array.isArray(v.labels) && Array.isArray(v.topProbs);
}

/** The logit-lens view. */
export class LogitLens extends ViewWidget<LogitLensFields> {
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
        : lensFields(lensOf(source, input as ModelInput | ActivationCache, options), source.tokenizer),
    );
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
