/**
 * The run API of a model: forward, runWithHooks, runWithCache, runFromLayer and loss. Each checks its options (hook
 * names against the model's hook points), turns the input into checked token ids and runs the forward pass on the
 * model's forward weights with a HookContext holding the hooks and what to cache.
 */
import type { Tensor, Tensor2D } from "@tensorflow/tfjs-core";
import { ActivationCache } from "../cache/activationCache";
import type { CacheModel } from "../cache/cacheModel";
import { tf } from "../tensor";
import { BwdHookFn, GradMetric, gradientRun } from "../gradients/gradientRun";
import { forward } from "./forward";
import { HookName, hookNameList, missingHookError } from "./hookPoints";
import { checkHookList, describeValue, HookContext, HookFn, HookTarget, unknownHookError } from "./hooks";
import type { PastPositions } from "./kvCache";
import type { ParamStore } from "./params";
import {
  type AttentionMaskInput,
  type CheckedBatch,
  checkAttentionMask,
  type ModelInput,
  type TokenCodec,
  type TokenOptions,
} from "./tokens";

/** What a run returns: logits (default), the mean next-token loss, both, or nothing (hooks only). */
export type ReturnType = "logits" | "loss" | "both" | "none";

/** Options of a run's input: how texts are tokenised and padded, or the padding mask of token ids. */
export interface RunInputOptions extends TokenOptions {
  /**
   * For token-id input [batch, pos]: 1 on real tokens, 0 on padding (e.g. `toTokensWithMask`'s). Padding keys are
   * masked out of attention and each row's positions count from its first real token. Texts make their own mask.
   */
  attentionMask?: AttentionMaskInput;
}

/** Which hook points runWithCache keeps: a name, a list of names, or a predicate. */
export type NamesFilter = HookName | readonly HookName[] | ((name: HookName) => boolean);

/** Options of runWithCache. */
export interface RunWithCacheOptions extends RunInputOptions {
  /** Which hook points to keep (default: all). A name, a list of names, or a predicate. */
  namesFilter?: NamesFilter;
  /** Run only blocks 0 … stopAtLayer−1; `logits` is then the residual stream [batch, pos, d_model]. */
  stopAtLayer?: number;
  /** Forward hooks to run as well. */
  fwdHooks?: [HookTarget, HookFn][];
  /** What to compute besides the cache (default "logits"). */
  returnType?: ReturnType;
}

/** Options of runWithHooks. */
export interface RunWithHooksOptions extends RunInputOptions {
  /** Forward hooks (required unless bwdHooks are given). */
  fwdHooks?: [HookTarget, HookFn][];
  stopAtLayer?: number;
  /** Backward hooks: they see (and may replace) ∂metric/∂activation at their hook point; need `metric`. */
  bwdHooks?: [HookTarget, BwdHookFn][];
  /** The scalar the backward pass differentiates (logits → tf.Scalar); only with bwdHooks. */
  metric?: GradMetric;
}

/** Options of runWithCacheAndGrads. */
export interface RunWithGradsOptions extends RunInputOptions {
  /** Which hook points to keep activations and gradients of (default: all). */
  namesFilter?: NamesFilter;
  fwdHooks?: [HookTarget, HookFn][];
  bwdHooks?: [HookTarget, BwdHookFn][];
}

/** What runWithCacheAndGrads returns: the metric's value, activations and ∂metric/∂activation under the same names. */
export interface GradRun {
  value: number;
  cache: ActivationCache;
  grads: ActivationCache;
}

/** Options of runFromLayer. */
export interface RunFromLayerOptions {
  fwdHooks?: [HookTarget, HookFn][];
  stopAtLayer?: number;
  /** Keys and values of the positions before `resid`'s. */
  past?: PastPositions;
  /**
   * The padding mask of the batch [batch, past + pos] (1 = real token, 0 = padding) over the `past` positions and
   * `resid`'s: padding keys are masked out of attention and rotary (and shortformer) positions count from each row's
   * first real token, as in the run that made `resid`.
   */
  attentionMask?: AttentionMaskInput;
}

/** What runWithCache returns; `logits` unless returnType is "loss" or "none", `loss` with "loss" or "both". */
export interface CacheRun {
  logits?: Tensor;
  loss?: Tensor;
  cache: ActivationCache;
}

/** Checks a namesFilter option: a hook name, a list of names, or a predicate. */
function checkNamesFilter(filter: unknown): void {
  if (filter === undefined || typeof filter === "function" || typeof filter === "string") return;
  if (Array.isArray(filter)) {
    const bad = filter.findIndex((n) => typeof n !== "string");
    if (bad < 0) return;
    throw new Error(`runWithCache's namesFilter[${bad}] must be a hook name, got ${describeValue(filter[bad])}`);
  }
  throw new Error(
    `runWithCache's namesFilter must be a hook name, a list of names or a (name) => boolean predicate, got ${describeValue(filter)}`,
  );
}

/**
 * Mean cross-entropy of predicting each next token [] (or per position [batch, pos−1] with perToken),
 * from logits [batch, pos, vocab] and the tokens [batch, pos] they were computed on. With the batch's padding mask
 * [batch, pos], only predictions from a real token of a real token count (the mean is over those; per position the
 * others are 0), as TransformerLens.
 */
export function lossFromLogits(logits: Tensor, tokens: Tensor, perToken = false, attentionMask?: Tensor): Tensor {
  return tf.tidy(() => {
    const [batch, pos, vocab] = logits.shape as [number, number, number];
    const logProbs = tf.logSoftmax(logits.slice([0, 0, 0], [batch, pos - 1, vocab])); // [b, p−1, vocab]
    const next = tf.oneHot(tokens.slice([0, 1], [batch, pos - 1]).cast("int32"), vocab); // [b, p−1, vocab]
    const nll = logProbs.mul(next).sum(-1).neg(); // [b, p−1]
    if (!attentionMask) return perToken ? nll : nll.mean();
    const real = attentionMask.cast("float32");
    const counted = real.slice([0, 0], [batch, pos - 1]).mul(real.slice([0, 1], [batch, pos - 1])); // [b, p−1]
    const masked = nll.mul(counted); // [b, p−1]
    return perToken ? masked : masked.sum().div(counted.sum());
  });
}

/** Frees what checkedBatch made for a run: the tokens when owned, the mask. */
function disposeBatch(batch: CheckedBatch): void {
  if (batch.owned) batch.tokens.dispose();
  batch.attentionMask?.dispose();
}

/** The runs of one model (its config and parameters in `model` and `store`, its tokens in `codec`). */
export class RunApi {
  constructor(
    private readonly model: CacheModel,
    private readonly store: ParamStore,
    private readonly codec: TokenCodec,
  ) {}

  /** Checks `hooks` (the `option` of a run, for the error) and every hook name in it. */
  private checkHooks(hooks: unknown, option: string): [HookTarget, HookFn][] {
    this.store.checkAlive();
    const list = checkHookList(hooks, option);
    let names: readonly HookName[] | undefined;
    for (const [target] of list) {
      if (typeof target !== "string") continue;
      names ??= hookNameList(this.model.cfg);
      if (!names.includes(target)) throw missingHookError(this.model.cfg, target, names);
    }
    return list;
  }

  private checkStopAtLayer(stopAtLayer: number | undefined): void {
    const { nLayers } = this.model.cfg;
    if (stopAtLayer !== undefined && (!Number.isInteger(stopAtLayer) || stopAtLayer < 0 || stopAtLayer > nLayers))
      throw new Error(`stopAtLayer must be an integer in 0…${nLayers}, got ${stopAtLayer}`);
  }

  /** The forward pass on checked tokens [batch, pos] (and their padding mask); frees what `ctx` cached when it throws. */
  private runChecked(tokens: Tensor2D, ctx: HookContext, stopAtLayer?: number, attentionMask?: Tensor2D): Tensor {
    try {
      const weights = this.store.compiled();
      return tf.tidy(() => forward(this.model.cfg, weights, ctx, tokens, stopAtLayer, undefined, attentionMask));
    } catch (err) {
      ctx.disposeCache();
      throw err;
    }
  }

  private run(input: ModelInput, options: RunInputOptions, ctx: HookContext, stopAtLayer?: number): Tensor {
    this.store.checkAlive();
    this.checkStopAtLayer(stopAtLayer);
    const batch = this.codec.checkedBatch(input, options);
    try {
      return this.runChecked(batch.tokens, ctx, stopAtLayer, batch.attentionMask);
    } finally {
      disposeBatch(batch);
    }
  }

  /** Logits [batch, pos, d_vocab] for `input` (caller disposes); a padded batch's padding is masked out. */
  forward(input: ModelInput, options: RunInputOptions = {}): Tensor {
    return this.run(input, options, new HookContext());
  }

  /** Runs with forward hooks; they apply to this call only, even if one throws. Returns logits (caller disposes). */
  runWithHooks(input: ModelInput, options: RunWithHooksOptions): Tensor {
    this.store.checkAlive();
    if (options === null || typeof options !== "object")
      throw new Error(
        `runWithHooks(input, { fwdHooks: [[hookName, fn], …] }) needs options with fwdHooks, got ${describeValue(options)}`,
      );
    if (options.bwdHooks !== undefined || options.metric !== undefined) return this.runWithBwdHooks(input, options);
    const hooks = this.checkHooks(options.fwdHooks, "runWithHooks's fwdHooks");
    return this.run(input, options, new HookContext(hooks), options.stopAtLayer);
  }

  /** runWithHooks with backward hooks: one forward and one backward pass of `options.metric`; returns logits. */
  private runWithBwdHooks(input: ModelInput, options: RunWithHooksOptions): Tensor {
    if (options.bwdHooks === undefined)
      throw new Error("runWithHooks's metric is only used by backward hooks: pass bwdHooks too, or drop metric");
    if (options.metric === undefined)
      throw new Error(
        "runWithHooks's bwdHooks need a metric to differentiate: pass { bwdHooks, metric: (logits) => scalar tf.Tensor }",
      );
    const fwdHooks = this.checkHooks(options.fwdHooks ?? [], "runWithHooks's fwdHooks");
    const bwdHooks = this.checkHooks(options.bwdHooks, "runWithHooks's bwdHooks") as [HookTarget, BwdHookFn][];
    this.checkStopAtLayer(options.stopAtLayer);
    const batch = this.codec.checkedBatch(input, options);
    try {
      const traced = gradientRun({
        forward: (ctx) => this.runChecked(batch.tokens, ctx, options.stopAtLayer, batch.attentionMask),
        metric: options.metric,
        fwdHooks,
        bwdHooks,
        keep: () => false,
        keepLogits: true,
        caller: "runWithHooks",
      });
      return traced.logits!;
    } finally {
      disposeBatch(batch);
    }
  }

  /** Activations and ∂metric/∂activation at the selected hook points (see HookedTransformer.runWithCacheAndGrads). */
  runWithCacheAndGrads(input: ModelInput, metric: GradMetric, options: RunWithGradsOptions = {}): GradRun {
    this.store.checkAlive();
    const keep = this.cacheFilter(options.namesFilter);
    const fwdHooks = this.checkHooks(options.fwdHooks ?? [], "runWithCacheAndGrads's fwdHooks");
    const bwdHooks = this.checkHooks(options.bwdHooks ?? [], "runWithCacheAndGrads's bwdHooks") as [HookTarget, BwdHookFn][];
    const batch = this.codec.checkedBatch(input, options);
    let traced;
    try {
      traced = gradientRun({
        forward: (ctx) => this.runChecked(batch.tokens, ctx, undefined, batch.attentionMask),
        metric,
        fwdHooks,
        bwdHooks,
        keep,
        caller: "runWithCacheAndGrads",
      });
    } catch (err) {
      disposeBatch(batch);
      throw err;
    }
    if (!traced.connected && Object.keys(traced.grads).length > 0)
      console.warn("runWithCacheAndGrads: the metric does not depend on the logits, so every gradient is zero");
    const names = hookNameList(this.model.cfg);
    const tokens = batch.owned ? batch.tokens : batch.tokens.clone();
    const mask = batch.attentionMask;
    const cache = new ActivationCache(traced.activations, names, this.model, { tokens, attentionMask: mask });
    const gradInput = { tokens: tokens.clone(), attentionMask: mask?.clone() };
    return { value: traced.value, cache, grads: new ActivationCache(traced.grads, names, this.model, gradInput) };
  }

  /** Blocks `startAtLayer` … on the residual stream `resid` [batch, pos, d_model] (see HookedTransformer.runFromLayer). */
  runFromLayer(resid: Tensor, startAtLayer: number, options: RunFromLayerOptions = {}): Tensor {
    this.store.checkAlive();
    const { nLayers, dModel, nCtx } = this.model.cfg;
    const stop = options.stopAtLayer ?? nLayers;
    if (!Number.isInteger(startAtLayer) || startAtLayer < 0 || startAtLayer > stop || stop > nLayers)
      throw new Error(
        `startAtLayer must be an integer in 0…${stop} (stopAtLayer ${stop}, ${nLayers} layers), got ${startAtLayer}`,
      );
    const before = options.past?.length ?? 0;
    if (resid.rank !== 3 || resid.shape[2] !== dModel || resid.shape[1]! + before > nCtx)
      throw new Error(`resid must be [batch, pos ≤ ${nCtx - before}, ${dModel}], got [${resid.shape}]`);
    const hooks = this.checkHooks(options.fwdHooks ?? [], "runFromLayer's fwdHooks");
    const ctx = new HookContext(hooks);
    const weights = this.store.compiled();
    const start = { layer: startAtLayer, resid };
    const attentionMask =
      options.attentionMask === undefined
        ? undefined
        : checkAttentionMask(options.attentionMask, [resid.shape[0]!, before + resid.shape[1]!]); // [batch, past + pos]
    try {
      return tf.tidy(() => forward(this.model.cfg, weights, ctx, start, options.stopAtLayer, options.past, attentionMask));
    } finally {
      attentionMask?.dispose();
    }
  }

  /**
   * Mean next-token loss of `input` (a scalar tensor; perToken: [batch, pos−1]), over real tokens only in a padded
   * batch. Caller disposes.
   */
  loss(input: ModelInput, options: RunInputOptions & { perToken?: boolean } = {}): Tensor {
    this.store.checkAlive();
    const batch = this.codec.checkedBatch(input, options);
    try {
      const logits = this.runChecked(batch.tokens, new HookContext(), undefined, batch.attentionMask);
      const loss = lossFromLogits(logits, batch.tokens, options.perToken, batch.attentionMask);
      logits.dispose();
      return loss;
    } finally {
      disposeBatch(batch);
    }
  }

  /** The predicate of a namesFilter option, its names checked against the model's. */
  private cacheFilter(filter: NamesFilter | undefined): (name: HookName) => boolean {
    checkNamesFilter(filter);
    if (filter === undefined) return () => true;
    if (typeof filter === "function") return filter;
    const list: readonly string[] = typeof filter === "string" ? [filter] : filter;
    const names = hookNameList(this.model.cfg);
    for (const n of list) if (!names.includes(n as HookName)) throw unknownHookError(n, names);
    return (n) => list.includes(n);
  }

  /** Runs and keeps activations (see HookedTransformer.runWithCache). */
  runWithCache(input: ModelInput, options: RunWithCacheOptions = {}): CacheRun {
    this.store.checkAlive();
    const wanted = this.cacheFilter(options.namesFilter);
    const hooks = this.checkHooks(options.fwdHooks ?? [], "runWithCache's fwdHooks");
    const returnType = options.returnType ?? "logits";
    if ((returnType === "loss" || returnType === "both") && options.stopAtLayer !== undefined) {
      throw new Error("returnType loss needs the whole model: remove stopAtLayer");
    }
    const { tokens, owned, attentionMask } = this.codec.checkedBatch(input, options);
    let cache: ActivationCache | undefined;
    try {
      this.checkStopAtLayer(options.stopAtLayer);
      const ctx = new HookContext(hooks, wanted);
      const out = this.runChecked(tokens, ctx, options.stopAtLayer, attentionMask);
      // The cache keeps the tokens it ran on (these very ones when made here, else a copy of the caller's) and the mask.
      cache = new ActivationCache(ctx.cache, hookNameList(this.model.cfg), this.model, {
        tokens: owned ? tokens : tokens.clone(),
        attentionMask,
      });
      const result: CacheRun = { cache };
      if (returnType === "loss" || returnType === "both") result.loss = lossFromLogits(out, tokens, false, attentionMask);
      if (returnType === "loss" || returnType === "none") out.dispose();
      else result.logits = out;
      return result;
    } catch (err) {
      cache?.dispose();
      throw err;
    } finally {
      if (cache === undefined) {
        if (owned) tokens.dispose();
        attentionMask?.dispose();
      }
    }
  }
}
