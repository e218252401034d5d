/**
 * What the logit-lens view shows, free of the widget classes (the kernel's view and tslens live's exported pages use
 * it alike, so a prompt answered in the page gets the kernel's numbers): the lens of an input, checked and turned into
 * the view's fields, the fields of a typed prompt by wire name (logitLensWireFields), and the DOM classes that name
 * the view's model so an export with --live can recompute it in the page.
 */
import { logitLensHooks, logitLensTopK } from "../../analysis/logitLens";
import type { LogitLensTopK, LogitLensTopKOptions } from "../../analysis/logitLens";
import { ActivationCache } from "../../cache/activationCache";
import type { HookedTransformer, ModelInput } from "../../model/hookedTransformer";
import { wireValues } from "../../common/spec";
import type { Values } from "../../common/spec";
import type { Tokenizer } from "../../tokenizer";
import { LIVE_TAG_PREFIX } from "../inductionHeads/fields";
import { logitLensSpec } from "./spec";
import type { LogitLensFields } from "./spec";

/** Options of logitLens. */
export interface LogitLensOptions extends LogitLensTopKOptions {
  /** Predictions listed per cell (default 5). */
  topK?: number;
  /** The sequence to show when the input or the cache holds several (required then). */
  batchIndex?: number;
}

/** The lens of `input` (a run's cache, or anything the model takes: it is run once, keeping only what the lens reads). */
export function lensOf(model: HookedTransformer, input: ModelInput | ActivationCache, options: LogitLensOptions): LogitLensTopK {
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
export function lensFields(lens: LogitLensTopK, tokenizer?: Tokenizer): Partial<Values<LogitLensFields>> {
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

/**
 * The view's fields for a typed `prompt`, by wire name, as the kernel's LogitLens.recompute sets them (the prompt's
 * lens with `options`, an empty error). Throws a clear error for an empty prompt or one the model refuses.
 */
export function logitLensWireFields(
  model: HookedTransformer,
  prompt: string,
  options: LogitLensOptions,
): Record<string, unknown> {
  if (prompt === "") throw new Error("the logit lens needs a prompt: type some text");
  const fields = lensFields(lensOf(model, prompt, options), model.tokenizer);
  return wireValues(logitLensSpec, { ...fields, promptError: "" });
}

/** The DOM class that marks a logit-lens view with a prompt box (one made from a model and a text). */
export const LOGIT_LENS_VIEW_CLASS = "tslens-logit-lens-prompt";

/** What a page needs to recompute a logit-lens view: the model's name (its folder's) and the lens's top k. */
export interface LensLiveTag {
  view: "logitLens";
  /** The model's name: the last part of the folder it was loaded from; undefined for a model built in code. */
  model?: string;
  topK?: number;
}

/** The view's DOM classes: LOGIT_LENS_VIEW_CLASS and the live tag (JSON, URI-encoded so it holds no space). */
export function lensLiveClasses(model: HookedTransformer, options: LogitLensOptions): string[] {
  const name = model.folder?.split(/[\\/]/).filter(Boolean).pop();
  const tag: LensLiveTag = { view: "logitLens", model: name, topK: options.topK };
  return [LOGIT_LENS_VIEW_CLASS, LIVE_TAG_PREFIX + encodeURIComponent(JSON.stringify(tag))];
}

/** The logit-lens live tag among a view's DOM classes, or undefined. */
export function readLensLiveTag(classes: readonly string[]): LensLiveTag | undefined {
  const found = classes.find((c) => c.startsWith(LIVE_TAG_PREFIX));
  const tag = found ? (JSON.parse(decodeURIComponent(found.slice(LIVE_TAG_PREFIX.length))) as LensLiveTag) : undefined;
  return tag?.view === "logitLens" ? tag : undefined;
}
