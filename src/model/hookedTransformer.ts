/**
 * HookedTransformer: a transformer whose every activation has a
 * TransformerLens-named hook point. Load one with `loadModel`.
 *
 *   const { logits, cache } = model.runWithCache("The cat sat", { namesFilter: (n) => n.endsWith("hook_pattern") });
 *   cache.get("blocks.1.attn.hook_pattern"); // [batch, head, query, key]
 *   cache.dispose(); logits.dispose();
 */
import type { Tensor } from "@tensorflow/tfjs-core";
import { ActivationCache } from "../cache/activationCache";
import type { TransformerConfig } from "../loading/config";
import type { Params } from "../loading/keymaps/types";
import { saveNative } from "../loading/save";
import { tf } from "../tensor";
import type { Tokenizer } from "../tokenizer";
import { forward, fuseWeights, ModelWeights } from "./forward";
import { checkGenerateOptions, extendRows, GenerateOptions } from "./generate";
import { checkHookList, describeValue, HookContext, HookFn, hookNames, HookTarget, unknownHookError } from "./hooks";
import type { PastPositions } from "./kvCache";
import { checkTokenIds, tokensFromRows } from "./tokens";

export type { GenerateOptions } from "./generate";

/** What the model accepts as input: text, a batch of texts, or token ids [batch, pos] (or one row of them). */
export type ModelInput = string | string[] | Tensor | number[][] | number[];

/** Options of toTokens. */
export interface TokenOptions {
  /** Prepend the BOS token (default: cfg.defaultPrependBos, as TransformerLens). */
  prependBos?: boolean;
  /** Cut sequences to nCtx instead of failing (default false). */
  truncate?: boolean;
}

/** What a run returns: logits (default), the mean next-token loss, both, or nothing (hooks only). */
export type ReturnType = "logits" | "loss" | "both" | "none";

/** Options of runWithCache. */
export interface RunWithCacheOptions extends TokenOptions {
  /** Which hook points to keep (default: all). A name, a list of names, or a predicate. */
  namesFilter?: string | string[] | ((name: string) => boolean);
  /** Run only blocks 0 … stopAtLayer−1; `logits` is then the residual stream [batch, pos, d_model]. */
  stopAtLayer?: number;
  /** Forward hooks to run as well. */
  fwdHooks?: [HookTarget, HookFn][];
  /** What to compute besides the cache (default "logits"). */
  returnType?: ReturnType;
}

/** Options of runWithHooks. */
export interface RunWithHooksOptions extends TokenOptions {
  fwdHooks: [HookTarget, HookFn][];
  stopAtLayer?: number;
}

const STACKED = ["W_Q", "W_K", "W_V", "W_O", "b_Q", "b_K", "b_V", "b_O"] as const;
/** Names of per-layer parameters `stacked()` accepts. */
export type StackedName = (typeof STACKED)[number] | "W_in" | "W_out" | "b_in" | "b_out" | "W_gate";

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

/** A transformer with TransformerLens hook points. */
export class HookedTransformer {
  private weights: ModelWeights | undefined;
  private fused: Tensor[] = [];
  private disposed = false;

  /**
   * Takes ownership of `params` (TransformerLens names and layouts). `folder` (where the model was loaded from)
   * names it in the error of a text input when there is no tokenizer.
   */
  constructor(
    readonly cfg: TransformerConfig,
    private readonly params: Params,
    readonly tokenizer?: Tokenizer,
    private readonly folder?: string,
  ) {}

  /** Every hook point name, in forward order. */
  hookNames(): string[] {
    this.checkAlive();
    return hookNames(this.cfg);
  }

  /** A parameter by TransformerLens name, e.g. "blocks.0.attn.W_Q" (owned by the model: do not dispose). */
  param(name: string): Tensor {
    this.checkAlive();
    const t = this.params.get(name);
    if (!t) throw unknownHookError(name, [...this.params.keys()]);
    return t;
  }

  /** Names of all parameters. */
  paramNames(): string[] {
    this.checkAlive();
    return [...this.params.keys()];
  }

  /** Replaces parameters (e.g. after weight processing); disposes the old tensors. */
  setParams(updates: Map<string, Tensor>): void {
    this.checkAlive();
    for (const [name, tensor] of updates) {
      const old = this.params.get(name);
      if (old && old !== tensor) old.dispose();
      this.params.set(name, tensor);
    }
    this.dropFused();
  }

  /** Removes parameters (e.g. LayerNorm weights folded away) and disposes them. */
  deleteParams(names: string[]): void {
    this.checkAlive();
    for (const name of names) {
      this.params.get(name)?.dispose();
      this.params.delete(name);
    }
    this.dropFused();
  }

  /** Hook point names for the current cfg (gated hooks appear once their flag is set). */
  private get names(): string[] {
    return hookNames(this.cfg);
  }

  private tokenizerOrThrow(): Tokenizer {
    this.checkAlive();
    if (this.tokenizer) return this.tokenizer;
    const where = this.folder
      ? `${this.folder} has no tokenizer.json (nor a GPT-2 style vocab.json + merges.txt)`
      : "it was built without a tokenizer";
    throw new Error(
      `this model has no tokenizer: ${where}, so it cannot turn text into tokens or tokens into text. ` +
        "Pass token ids instead: a number[][] [batch, pos] or an int32 tensor, e.g. model.forward([[1, 2, 3]])",
    );
  }

  /** Token ids of `input` as int32 [batch, pos]; BOS prepended by default as TransformerLens does. */
  toTokens(input: string | string[], options: TokenOptions = {}): Tensor {
    const ids = this.tokenIds(input, options);
    return tf.tensor2d(ids, [ids.length, ids[0].length], "int32"); // [batch, pos]
  }

  private tokenIds(input: string | string[], options: TokenOptions): number[][] {
    const tokenizer = this.tokenizerOrThrow();
    const texts = typeof input === "string" ? [input] : input;
    if (texts.length === 0) throw new Error("toTokens needs at least one text");
    const prependBos = options.prependBos ?? this.cfg.defaultPrependBos;
    const { ids } = tokenizer.encodeBatch(texts, { prependBos });
    for (const [i, row] of ids.entries()) {
      if (row.length === 0) throw new Error(`text ${i} is empty: it has no tokens (and prependBos is false)`);
      if (row.length > this.cfg.nCtx) {
        if (!options.truncate)
          throw new Error(`text ${i} has ${row.length} tokens, longer than the model's context nCtx = ${this.cfg.nCtx}`);
        ids[i] = row.slice(0, this.cfg.nCtx);
      }
    }
    return ids;
  }

  /** The text of each token of `input` (a text, or the ids of one sequence). */
  toStrTokens(input: string | number[] | Tensor, options: TokenOptions = {}): string[] {
    const tokenizer = this.tokenizerOrThrow();
    if (typeof input === "string") return tokenizer.tokenStrings(this.tokenIds(input, options)[0]);
    return tokenizer.tokenStrings(this.oneSequence(input, "toStrTokens"));
  }

  /** Decodes token ids (one sequence) to text. */
  toString(tokens: number[] | Tensor): string {
    const tokenizer = this.tokenizerOrThrow();
    return tokenizer.decode(this.oneSequence(tokens, "toString"));
  }

  /** The checked ids of one sequence given as number[], a [pos] tensor or a [1, pos] tensor. */
  private oneSequence(input: number[] | Tensor, method: string): number[] {
    if (Array.isArray(input)) {
      checkTokenIds(input, [input.length], this.cfg.dVocab);
      return input;
    }
    if (!(input instanceof tf.Tensor)) throw new Error(`${method} takes token ids or a text, got ${describeValue(input)}`);
    if (input.rank > 2 || (input.rank === 2 && input.shape[0] !== 1))
      throw new Error(`${method} takes one sequence, got tokens of shape [${input.shape}]`);
    const values = Array.from(input.dataSync());
    checkTokenIds(values, input.shape, this.cfg.dVocab);
    return values;
  }

  /** Validated int32 tokens [batch, pos] for any input; `owned` says whether the caller must dispose it. */
  private tokensOf(input: ModelInput, options: TokenOptions): { tokens: Tensor; owned: boolean } {
    this.checkAlive();
    let tokens: Tensor;
    let owned = true;
    if (typeof input === "string" || (Array.isArray(input) && (input.length === 0 || typeof input[0] === "string"))) {
      tokens = this.toTokens(input as string | string[], options);
    } else if (Array.isArray(input)) {
      tokens = tokensFromRows(input as number[][] | number[], this.cfg.dVocab); // checked before the int32 cast
    } else if (input instanceof tf.Tensor) {
      tokens = input;
      owned = false;
    } else {
      throw new Error(`the model takes a text, a list of texts or token ids, got ${describeValue(input)}`);
    }
    const fail = (why: string): never => {
      if (owned) tokens.dispose();
      throw new Error(why);
    };
    if (tokens.rank === 1) {
      tokens = owned ? tokens : tokens.expandDims(0);
      if (!owned) owned = true;
    }
    if (tokens.rank !== 2) fail(`tokens must be [batch, pos], got shape [${tokens.shape}]`);
    const [, pos] = tokens.shape;
    if (pos === 0) fail("the prompt is empty: no tokens to run");
    if (pos > this.cfg.nCtx) fail(`the prompt has ${pos} tokens, longer than the model's context nCtx = ${this.cfg.nCtx}`);
    try {
      checkTokenIds(tokens.dataSync(), tokens.shape, this.cfg.dVocab);
    } catch (err) {
      fail((err as Error).message);
    }
    if (tokens.dtype !== "int32") {
      const cast = tokens.cast("int32");
      if (owned) tokens.dispose();
      return { tokens: cast, owned: true };
    }
    return { tokens, owned };
  }

  /** Validated int32 tokens [batch, pos] for any model input (a new tensor: the caller disposes it). */
  inputTokens(input: ModelInput, options: TokenOptions = {}): Tensor {
    const { tokens, owned } = this.tokensOf(input, options);
    return owned ? tokens : tokens.clone();
  }

  /** Checks `hooks` (the `option` of a run, for the error) and every hook name in it. */
  private checkHooks(hooks: unknown, option: string): [HookTarget, HookFn][] {
    this.checkAlive();
    const list = checkHookList(hooks, option);
    for (const [target] of list) {
      if (typeof target !== "string" || this.names.includes(target)) continue;
      const gated: Record<string, string> = {
        hook_result: "useAttnResult",
        hook_q_input: "useSplitQkvInput",
        hook_k_input: "useSplitQkvInput",
        hook_v_input: "useSplitQkvInput",
      };
      const flag = Object.entries(gated).find(([suffix]) => target.endsWith(suffix))?.[1];
      if (flag && /^blocks\.\d+\./.test(target))
        throw new Error(`hook point "${target}" is off: set model.cfg.${flag} = true first`);
      throw unknownHookError(target, this.names);
    }
    return list;
  }

  private run(
    input: ModelInput,
    options: TokenOptions,
    ctx: HookContext,
    stopAtLayer?: number,
  ): { out: Tensor; cache: Record<string, Tensor> } {
    this.checkAlive();
    if (stopAtLayer !== undefined && (!Number.isInteger(stopAtLayer) || stopAtLayer < 0 || stopAtLayer > this.cfg.nLayers)) {
      throw new Error(`stopAtLayer must be an integer in 0…${this.cfg.nLayers}, got ${stopAtLayer}`);
    }
    const { tokens, owned } = this.tokensOf(input, options);
    try {
      const weights = this.compiled();
      const out = tf.tidy(() => forward(this.cfg, weights, ctx, tokens, stopAtLayer));
      return { out, cache: ctx.cache };
    } catch (err) {
      ctx.disposeCache();
      throw err;
    } finally {
      if (owned) tokens.dispose();
    }
  }

  /** Logits [batch, pos, d_vocab] for `input` (caller disposes). */
  forward(input: ModelInput, options: TokenOptions = {}): Tensor {
    return this.run(input, options, new HookContext()).out;
  }

  /** Runs with forward hooks; they apply to this call only, even if one throws. Returns logits (caller disposes). */
  runWithHooks(input: ModelInput, options: RunWithHooksOptions): Tensor {
    this.checkAlive();
    if (options === null || typeof options !== "object")
      throw new Error(
        `runWithHooks(input, { fwdHooks: [[hookName, fn], …] }) needs options with fwdHooks, got ${describeValue(options)}`,
      );
    const hooks = this.checkHooks(options.fwdHooks, "runWithHooks's fwdHooks");
    return this.run(input, options, new HookContext(hooks), options.stopAtLayer).out;
  }

  /**
   * Runs blocks `startAtLayer` … on `resid` [batch, pos, d_model], the residual stream entering that block (e.g.
   * `cache.get("blocks.3.hook_resid_pre")`), with optional hooks: TransformerLens's start_at_layer. Returns logits
   * [batch, pos, d_vocab] (or the stream before `stopAtLayer`); the caller disposes them, `resid` stays the caller's.
   * With `past`, `resid` holds the positions after `past.length` earlier ones whose keys and values `past` gives.
   */
  runFromLayer(
    resid: Tensor,
    startAtLayer: number,
    options: { fwdHooks?: [HookTarget, HookFn][]; stopAtLayer?: number; past?: PastPositions } = {},
  ): Tensor {
    this.checkAlive();
    const { nLayers, dModel, nCtx } = this.cfg;
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
    const weights = this.compiled();
    return tf.tidy(() => forward(this.cfg, weights, ctx, { layer: startAtLayer, resid }, options.stopAtLayer, options.past));
  }

  /**
   * Mean cross-entropy of predicting each next token [] (or per position [batch, pos−1] with perToken),
   * from logits [batch, pos, vocab] and the tokens [batch, pos] they were computed on.
   */
  static lossFromLogits(logits: Tensor, tokens: Tensor, perToken = false): Tensor {
    return tf.tidy(() => {
      const [batch, pos, vocab] = logits.shape as [number, number, number];
      const logProbs = tf.logSoftmax(logits.slice([0, 0, 0], [batch, pos - 1, vocab])); // [b, p−1, vocab]
      const next = tf.oneHot(tokens.slice([0, 1], [batch, pos - 1]).cast("int32"), vocab); // [b, p−1, vocab]
      const nll = logProbs.mul(next).sum(-1).neg(); // [b, p−1]
      return perToken ? nll : nll.mean();
    });
  }

  /** Mean next-token loss of `input` (a scalar tensor; perToken: [batch, pos−1]). Caller disposes. */
  loss(input: ModelInput, options: TokenOptions & { perToken?: boolean } = {}): Tensor {
    const { tokens, owned } = this.tokensOf(input, options);
    try {
      const logits = this.forward(tokens);
      const loss = HookedTransformer.lossFromLogits(logits, tokens, options.perToken);
      logits.dispose();
      return loss;
    } finally {
      if (owned) tokens.dispose();
    }
  }

  /**
   * Runs and keeps activations: `{ logits, loss, cache }` — logits unless returnType is "loss" or "none",
   * loss when it is "loss" or "both". Dispose what you get.
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
    this.checkAlive();
    const filter = options.namesFilter;
    checkNamesFilter(filter);
    const wanted =
      filter === undefined
        ? () => true
        : typeof filter === "function"
          ? filter
          : ((list: string[]) => {
              for (const n of list) if (!this.names.includes(n)) throw unknownHookError(n, this.names);
              return (n: string) => list.includes(n);
            })(typeof filter === "string" ? [filter] : filter);
    const hooks = this.checkHooks(options.fwdHooks ?? [], "runWithCache's fwdHooks");
    const returnType = options.returnType ?? "logits";
    if ((returnType === "loss" || returnType === "both") && options.stopAtLayer !== undefined) {
      throw new Error("returnType loss needs the whole model: remove stopAtLayer");
    }
    const { tokens, owned } = this.tokensOf(input, options);
    try {
      const { out, cache } = this.run(tokens, options, new HookContext(hooks, wanted), options.stopAtLayer);
      const result: { logits?: Tensor; loss?: Tensor; cache: ActivationCache } = {
        cache: new ActivationCache(cache, this.names, this),
      };
      if (returnType === "loss" || returnType === "both") result.loss = HookedTransformer.lossFromLogits(out, tokens);
      if (returnType === "loss" || returnType === "none") out.dispose();
      else result.logits = out;
      return result;
    } finally {
      if (owned) tokens.dispose();
    }
  }

  /**
   * Continues `input`: greedy (temperature 0) or sampled (temperature, topK), with a KV cache by default.
   * Text in → text out (prompt included, as TransformerLens); tokens in → tokens [batch, pos + new] (caller disposes).
   */
  generate(input: string, options?: GenerateOptions): string;
  generate(input: Exclude<ModelInput, string>, options?: GenerateOptions): Tensor;
  generate(input: ModelInput, options: GenerateOptions = {}): string | Tensor {
    this.checkAlive();
    const checked = checkGenerateOptions(options, this.cfg.dVocab);
    const maxNew = checked.maxNewTokens;
    const eos = options.stopAtEos === false ? null : (this.tokenizer?.eosTokenId ?? null);
    const { tokens, owned } = this.tokensOf(input, options);
    const rows = tokens.arraySync() as number[][];
    if (owned) tokens.dispose();
    if (rows[0].length + maxNew > this.cfg.nCtx) {
      throw new Error(
        `the prompt (${rows[0].length} tokens) plus ${maxNew} new tokens exceed the model's context nCtx = ${this.cfg.nCtx}`,
      );
    }
    extendRows(this.cfg, this.compiled(), rows, checked, eos, options.useKvCache !== false);
    if (typeof input === "string") return this.toString(rows[0]);
    return tf.tensor2d(rows, [rows.length, rows[0].length], "int32");
  }

  /** Per-layer parameters stacked on a new leading layer axis, e.g. W_Q [n_layers, heads, d_model, d_head] (caller disposes). */
  stacked(name: StackedName): Tensor {
    this.checkAlive();
    const component = (STACKED as readonly string[]).includes(name) ? "attn" : "mlp";
    const perLayer = Array.from({ length: this.cfg.nLayers }, (_, l) => this.layerParam(l, component, name));
    return tf.stack(perLayer);
  }

  /** One layer's parameter, expanding grouped K/V to every head as TransformerLens's W_K / W_V do. */
  private layerParam(l: number, component: string, name: string): Tensor {
    const direct = this.params.get(`blocks.${l}.${component}.${name}`);
    if (direct) return direct;
    const grouped = this.params.get(`blocks.${l}.${component}._${name}`);
    if (!grouped) throw new Error(`this model has no ${component}.${name}`);
    const groups = this.cfg.nHeads / grouped.shape[0];
    return tf.gather(
      grouped,
      Array.from({ length: this.cfg.nHeads }, (_, h) => Math.floor(h / groups)),
      0,
    );
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

  /** The fused weights the forward pass reads, built on first use after a weight change. */
  private compiled(): ModelWeights {
    if (this.weights) return this.weights;
    // Keep the fused tensors until the weights change; the transposes in between are freed.
    let weights: ModelWeights | undefined;
    const created = tf.tidy(() => {
      const built = fuseWeights(this.cfg, this.params);
      weights = built.weights;
      return built.created;
    });
    this.fused = created;
    // Adding a zero b_U costs a full pass over the logits (a fifth of the unembedding's time at 50k tokens).
    if (weights!.b_U && tf.tidy(() => weights!.b_U!.abs().max().dataSync()[0]) === 0) weights!.b_U = undefined;
    this.weights = weights!;
    return weights!;
  }

  private dropFused(): void {
    tf.dispose(this.fused);
    this.fused = [];
    this.weights = undefined;
  }

  private checkAlive(): void {
    if (this.disposed) throw new Error("this model was disposed: load it again (its parameters were freed)");
  }

  /** Saves the model (its current, possibly processed, weights) in the tslens-native format. */
  async save(folder: string): Promise<void> {
    this.checkAlive();
    await saveNative(folder, this.cfg, this.params);
  }

  /** Frees every parameter. */
  dispose(): void {
    if (this.disposed) return;
    this.dropFused();
    tf.dispose([...this.params.values()]);
    this.params.clear();
    this.disposed = true;
  }
}
