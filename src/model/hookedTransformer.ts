/**
 * HookedTransformer: a transformer whose every activation has a
 * TransformerLens-named hook point. Load one with `loadModel`.
 *
 *   const { logits, cache } = model.runWithCache("The cat sat", { namesFilter: (n) => n.endsWith("hook_pattern") });
 *   cache.get("blocks.1.attn.hook_pattern"); // [batch, head, query, key]
 *   cache.dispose(); logits.dispose();
 *
 * The class is the public face; the work lives in one module per job: params.ts (parameters, stacks, forward
 * weights), tokens.ts (text and token ids), run.ts (forward, hooks, caches, loss), generate.ts, and
 * loading/save.ts. Hook point names come from the components' tables (hookPoints.ts).
 */
import type { Tensor, Tensor2D } from "@tensorflow/tfjs-core";
import type { ActivationCache } from "../cache/activationCache";
import type { TransformerConfig } from "../loading/config";
import type { Params } from "../loading/keymaps/types";
import { saveNative } from "../loading/save";
import type { Tokenizer } from "../tokenizer";
import { generate, GenerateOptions } from "./generate";
import { HookName, hookNameList, hookNames, missingHookError } from "./hookPoints";
import { describeValue } from "./hooks";
import { getTokenPosition, strTokensOfEach, toSingleToken, TokenPositionOptions } from "./tokenLookup";
import { ParamStore, StackedName } from "./params";
import type { GradMetric } from "../gradients/gradientRun";
import {
  GradRun,
  lossFromLogits,
  RunApi,
  RunFromLayerOptions,
  RunInputOptions,
  RunWithCacheOptions,
  RunWithGradsOptions,
  RunWithHooksOptions,
} from "./run";
import { ModelInput, TokenCodec, TokenOptions, TokensWithMask } from "./tokens";

export type { GenerateOptions } from "./generate";
export type { StackedName } from "./params";
export type { TokenPositionOptions } from "./tokenLookup";
export type {
  CacheRun,
  GradRun,
  RunWithGradsOptions,
  NamesFilter,
  ReturnType,
  RunFromLayerOptions,
  RunInputOptions,
  RunWithCacheOptions,
  RunWithHooksOptions,
} from "./run";
export type { ModelInput, PaddingSide, TokenOptions, TokensWithMask } from "./tokens";

/** A transformer with TransformerLens hook points. */
export class HookedTransformer {
  private readonly store: ParamStore;
  private readonly codec: TokenCodec;
  private readonly runs: RunApi;

  /**
   * Takes ownership of `params` (TransformerLens names and layouts). `folder` (where the model was loaded from)
   * names it in the error of a text input when there is no tokenizer, and names the model in views' saved state.
   */
  constructor(
    readonly cfg: TransformerConfig,
    params: Params,
    readonly tokenizer?: Tokenizer,
    readonly folder?: string,
  ) {
    this.store = new ParamStore(cfg, params);
    this.codec = new TokenCodec(cfg, tokenizer, folder);
    this.runs = new RunApi(this, this.store, this.codec);
  }

  /** Every hook point name, in forward order. */
  hookNames(): HookName[] {
    this.store.checkAlive();
    return hookNames(this.cfg);
  }

  /**
   * `name` as a HookName once checked to be one of this model's hook points (its layers, its flags): the escape
   * hatch for names built at run time. Throws "unknown hook point … did you mean …", or "is off" for a gated point.
   */
  hookName(name: string): HookName {
    this.store.checkAlive();
    const names = hookNameList(this.cfg);
    if (typeof name !== "string") throw new Error(`a hook name must be a string, got ${describeValue(name)}`);
    if (names.includes(name as HookName)) return name as HookName;
    throw missingHookError(this.cfg, name, names);
  }

  /** A parameter by TransformerLens name, e.g. "blocks.0.attn.W_Q" (owned by the model: do not dispose). */
  param(name: string): Tensor {
    return this.store.get(name);
  }

  /** Names of all parameters. */
  paramNames(): string[] {
    return this.store.names();
  }

  /** Replaces parameters (e.g. after weight processing); disposes the old tensors. */
  setParams(updates: Map<string, Tensor>): void {
    this.store.set(updates);
  }

  /** Removes parameters (e.g. LayerNorm weights folded away) and disposes them. */
  deleteParams(names: string[]): void {
    this.store.delete(names);
  }

  /** Token ids of `input` as int32 [batch, pos]; BOS prepended by default as TransformerLens does. */
  toTokens(input: string | string[], options: TokenOptions = {}): Tensor2D {
    this.store.checkAlive();
    return this.codec.toTokens(input, options);
  }

  /**
   * Token ids of `input` padded on `options.paddingSide` (default "right") with their padding mask, both int32
   * [batch, pos] (mask 1 on real tokens, BOS included; 0 on padding). The caller disposes both.
   */
  toTokensWithMask(input: string | string[], options: TokenOptions = {}): TokensWithMask {
    this.store.checkAlive();
    return this.codec.toTokensWithMask(input, options);
  }

  /** The text of each token of `input` (a text, or the ids of one sequence); of a list of texts, one list per text. */
  toStrTokens(input: string | number[] | Tensor, options?: TokenOptions): string[];
  toStrTokens(input: string[], options?: TokenOptions): string[][];
  toStrTokens(input: string | string[] | number[] | Tensor, options: TokenOptions = {}): string[] | string[][] {
    this.store.checkAlive();
    if (Array.isArray(input) && input.length > 0 && typeof input[0] === "string")
      return strTokensOfEach(this.codec, input as string[], options);
    return this.codec.toStrTokens(input as string | number[] | Tensor, options);
  }

  /** The id of `text` when it is exactly one token (no BOS), e.g. toSingleToken(" Mary"); else an error naming it. */
  toSingleToken(text: string): number {
    this.store.checkAlive();
    return toSingleToken(this.codec, text);
  }

  /**
   * Position of `token` (an id or a one-token text) in `input` (one text — BOS counted as `prependBos` — or the
   * ids of one sequence): the first occurrence, or the last with `{ mode: "last" }` (TransformerLens's
   * get_token_position). An error when it does not occur.
   */
  getTokenPosition(
    token: number | string,
    input: string | number[] | number[][] | Tensor,
    options: TokenPositionOptions = {},
  ): number {
    this.store.checkAlive();
    return getTokenPosition(this.codec, token, input, options);
  }

  /** Decodes token ids (one sequence) to text. */
  toString(tokens: number[] | Tensor): string {
    this.store.checkAlive();
    return this.codec.toString(tokens);
  }

  /** Validated int32 tokens [batch, pos] for any model input (a new tensor: the caller disposes it). */
  inputTokens(input: ModelInput, options: TokenOptions = {}): Tensor2D {
    this.store.checkAlive();
    const { tokens, owned } = this.codec.checked(input, options);
    return owned ? tokens : tokens.clone();
  }

  /**
   * Logits [batch, pos, d_vocab] for `input` (caller disposes). A batch of texts is padded on `paddingSide`; token
   * ids take their padding mask as `attentionMask`; padding is masked out and positions start at each row's first token.
   */
  forward(input: ModelInput, options: RunInputOptions = {}): Tensor {
    return this.runs.forward(input, options);
  }

  /**
   * Runs with forward hooks; they apply to this call only, even if one throws. Returns logits (caller disposes).
   * With `bwdHooks` and a `metric` (logits → scalar tensor) it also runs the backward pass of the metric, and each
   * backward hook sees (and may replace) the gradient at its hook point, as TransformerLens's `dir="bwd"` hooks.
   */
  runWithHooks(input: ModelInput, options: RunWithHooksOptions): Tensor {
    return this.runs.runWithHooks(input, options);
  }

  /**
   * Runs blocks `startAtLayer` … on `resid` [batch, pos, d_model], the residual stream entering that block (e.g.
   * `cache.get("blocks.3.hook_resid_pre")`), with optional hooks: TransformerLens's start_at_layer. Returns logits
   * [batch, pos, d_vocab] (or the stream before `stopAtLayer`); the caller disposes them, `resid` stays the caller's.
   * With `past`, `resid` holds the positions after `past.length` earlier ones whose keys and values `past` gives.
   */
  runFromLayer(resid: Tensor, startAtLayer: number, options: RunFromLayerOptions = {}): Tensor {
    return this.runs.runFromLayer(resid, startAtLayer, options);
  }

  /**
   * Mean cross-entropy of predicting each next token [] (or per position [batch, pos−1] with perToken),
   * from logits [batch, pos, vocab] and the tokens [batch, pos] they were computed on.
   */
  static lossFromLogits(logits: Tensor, tokens: Tensor, perToken = false, attentionMask?: Tensor): Tensor {
    return lossFromLogits(logits, tokens, perToken, attentionMask);
  }

  /** Mean next-token loss of `input` (a scalar tensor; perToken: [batch, pos−1]). Caller disposes. */
  loss(input: ModelInput, options: RunInputOptions & { perToken?: boolean } = {}): Tensor {
    return this.runs.loss(input, options);
  }

  /**
   * Runs and keeps activations: `{ logits, loss, cache }` — logits unless returnType is "loss" or "none",
   * loss when it is "loss" or "both". The cache also holds the input: `cache.tokens`, `cache.strTokens`.
   * Dispose what you get.
   */
  runWithCache(
    input: ModelInput,
    options?: RunWithCacheOptions & { returnType?: "logits" | "both" },
  ): { logits: Tensor; loss?: Tensor; cache: ActivationCache };
  runWithCache(
    input: ModelInput,
    options: RunWithCacheOptions & { returnType: "loss" | "none" },
  ): { loss?: Tensor; cache: ActivationCache };
  runWithCache(input: ModelInput, options: RunWithCacheOptions = {}): { logits?: Tensor; loss?: Tensor; cache: ActivationCache } {
    return this.runs.runWithCache(input, options);
  }

  /**
   * One forward and one backward pass of `metric` (logits → scalar tensor): `{ value, cache, grads }` — the metric's
   * value, the activations at the hook points `namesFilter` selects (default: all), and ∂metric/∂activation there, an
   * ActivationCache under the same names and shapes (TransformerLens's run_with_cache with incl_bwd, then backward).
   * A metric that does not read the logits gives zero gradients (and a note). Dispose both caches.
   */
  runWithCacheAndGrads(input: ModelInput, metric: GradMetric, options: RunWithGradsOptions = {}): GradRun {
    return this.runs.runWithCacheAndGrads(input, metric, options);
  }

  /**
   * Continues `input`: greedy (temperature 0) or sampled (temperature, topK), with a KV cache by default.
   * Text in → text out (prompt included, prepended BOS left out, as TransformerLens), texts in → texts; tokens in →
   * tokens [batch, pos + new] (caller disposes).
   */
  generate(input: string, options?: GenerateOptions): string;
  generate(input: string[], options?: GenerateOptions): string[];
  generate(input: Exclude<ModelInput, string | string[]>, options?: GenerateOptions): Tensor;
  generate(input: ModelInput, options: GenerateOptions = {}): string | string[] | Tensor {
    return generate(this.cfg, this.store, this.codec, input, options);
  }

  /** Per-layer parameters stacked on a new leading layer axis, e.g. W_Q [n_layers, heads, d_model, d_head] (caller disposes). */
  stacked(name: StackedName): Tensor {
    return this.store.stacked(name);
  }

  /** W_Q of every layer, [n_layers, heads, d_model, d_head]: a new tensor, dispose it. */
  get W_Q(): Tensor {
    return this.stacked("W_Q");
  }

  /** W_K of every layer, [n_layers, heads, d_model, d_head] (GQA: repeated to every head): a new tensor, dispose it. */
  get W_K(): Tensor {
    return this.stacked("W_K");
  }

  /** W_V of every layer, [n_layers, heads, d_model, d_head] (GQA: repeated to every head): a new tensor, dispose it. */
  get W_V(): Tensor {
    return this.stacked("W_V");
  }

  /** W_O of every layer, [n_layers, heads, d_head, d_model]: a new tensor, dispose it. */
  get W_O(): Tensor {
    return this.stacked("W_O");
  }

  /** b_Q of every layer, [n_layers, heads, d_head]: a new tensor, dispose it. */
  get b_Q(): Tensor {
    return this.stacked("b_Q");
  }

  /** b_K of every layer, [n_layers, heads, d_head]: a new tensor, dispose it. */
  get b_K(): Tensor {
    return this.stacked("b_K");
  }

  /** b_V of every layer, [n_layers, heads, d_head]: a new tensor, dispose it. */
  get b_V(): Tensor {
    return this.stacked("b_V");
  }

  /** b_O of every layer, [n_layers, d_model]: a new tensor, dispose it. */
  get b_O(): Tensor {
    return this.stacked("b_O");
  }

  /** W_in of every layer, [n_layers, d_model, d_mlp]: a new tensor, dispose it. */
  get W_in(): Tensor {
    return this.stacked("W_in");
  }

  /** W_out of every layer, [n_layers, d_mlp, d_model]: a new tensor, dispose it. */
  get W_out(): Tensor {
    return this.stacked("W_out");
  }

  /** b_in of every layer, [n_layers, d_mlp]: a new tensor, dispose it. */
  get b_in(): Tensor {
    return this.stacked("b_in");
  }

  /** b_out of every layer, [n_layers, d_model]: a new tensor, dispose it. */
  get b_out(): Tensor {
    return this.stacked("b_out");
  }

  /** W_gate of every layer, [n_layers, d_model, d_mlp] (gated MLPs): a new tensor, dispose it. */
  get W_gate(): Tensor {
    return this.stacked("W_gate");
  }

  /** Token embedding W_E [d_vocab, d_model] (owned by the model). */
  get W_E(): Tensor {
    return this.param("embed.W_E");
  }

  /** Position embedding W_pos [n_ctx, d_model] (owned by the model; absent for rotary models). */
  get W_pos(): Tensor {
    return this.param("pos_embed.W_pos");
  }

  /** Unembedding W_U [d_model, d_vocab] (owned by the model). */
  get W_U(): Tensor {
    return this.param("unembed.W_U");
  }

  /** Unembedding bias b_U [d_vocab] (owned by the model). */
  get b_U(): Tensor {
    return this.param("unembed.b_U");
  }

  /** Saves the model (its current, possibly processed, weights) in the tslens-native format. */
  async save(folder: string): Promise<void> {
    await saveNative(folder, this.cfg, this.store.all());
  }

  /** Frees every parameter. */
  dispose(): void {
    this.store.dispose();
  }
}
