/**
 * ActivationCache: the activations one runWithCache kept, by hook name, the input they were computed on (token ids
 * and their text), plus TransformerLens's helpers over them (logit lens, residual decompositions, head results,
 * direct logit attribution). It owns its tensors; call dispose() when done. Every helper returns new tensors the
 * caller disposes.
 */
import type { Tensor, Tensor2D } from "@tensorflow/tfjs-core";
import { ActLayerType, ActName, actName, CompactActName } from "../model/actName";
import type { BlockHookSuffix, HookName, HookTensor } from "../model/hookPoints";
import { unknownHookError } from "../model/hooks";
import type { CacheModel } from "./cacheModel";
import {
  computeHeadResults,
  FullResidDecompositionOptions,
  getFullResidDecomposition,
  stackHeadResults,
  StackHeadResultsOptions,
  stackNeuronResults,
  StackNeuronResultsOptions,
} from "./heads";
import { ApplyLnOptions, applyLnToStack } from "./lnStack";
import {
  accumulatedResid,
  AccumulatedResidOptions,
  decomposeResid,
  DecomposeResidOptions,
  LabelledStack,
  logitAttrs,
  LogitAttrsOptions,
  TokenIds,
} from "./residual";
import { tf } from "../tensor";

/** Each row's last real position (see ActivationCache.lastRealPositions) of tokens of `shape` with optional `mask`. */
export function lastRealPositions(shape: number[], mask?: Tensor2D): number[] {
  const [batch, pos] = shape;
  if (!mask) return new Array<number>(batch).fill(pos - 1);
  return mask.arraySync().map((row) => row.lastIndexOf(1));
}

/** Asks a helper for its labels as well: it then returns [stack, labels], as TransformerLens's return_labels. */
interface WithLabels {
  returnLabels: true;
}

/** The input a run computed its activations on. */
export interface CacheInput {
  /** Token ids [batch, pos], int32; the cache takes ownership. */
  tokens: Tensor2D;
  /** The padding mask [batch, pos] (1 = real token, 0 = padding), int32; absent when nothing is padding. Owned too. */
  attentionMask?: Tensor2D;
}

/** The hook each tensor a cache handed out came from (get()), so views can tell a pattern's layer. */
const hookOfTensor = new WeakMap<Tensor, HookName>();

/**
 * The hook point `tensor` came from, when an ActivationCache handed it out (`cache.get(name)`), e.g.
 * "blocks.1.attn.hook_pattern"; undefined for any other tensor (a slice, a clone or a computed one is a new tensor).
 */
export function hookNameOf(tensor: Tensor): HookName | undefined {
  return hookOfTensor.get(tensor);
}

/** Activations of one forward pass. */
export class ActivationCache {
  private disposed = false;
  private readonly added: HookName[] = [];
  private strTokensMemo: string[][] | undefined;
  private displayTokensMemo: string[][] | undefined;

  /**
   * `validNames`: every hook point of the model (for error messages); `model`: the model that ran (for the helpers
   * and strTokens); `input`: what it ran on (the cache owns its tensors).
   */
  constructor(
    private readonly store: Record<string, Tensor>,
    private readonly validNames: readonly HookName[],
    private readonly model?: CacheModel,
    private readonly input?: CacheInput,
  ) {}

  /** Throws once the cache was disposed: every method but dispose() calls it first. */
  private checkAlive(): void {
    if (this.disposed) throw new Error("this ActivationCache was disposed: its activations were freed (run runWithCache again)");
  }

  /**
   * The token ids the run read, int32 [batch, pos] (text input: as the model tokenised it, BOS included). Owned by
   * the cache and freed with it: do not dispose it; clone it to keep it longer. Pass it back to the model to run the
   * same input again, e.g. `model.runWithHooks(cache.tokens, …)`.
   */
  get tokens(): Tensor2D {
    this.checkAlive();
    if (!this.input) throw new Error("this cache was built without its input: only runWithCache's caches know their tokens");
    return this.input.tokens;
  }

  /**
   * The text of every token, one list per batch row ([batch][pos], as `cache.tokens`; `cache.strTokens[0]` for a
   * single prompt), each token with its leading space as `model.toStrTokens` shows it. Computed on first use from the
   * model's tokenizer; throws when the model has none.
   */
  get strTokens(): string[][] {
    this.checkAlive();
    if (this.strTokensMemo) return this.strTokensMemo;
    const tokens = this.tokens;
    const tokenizer = this.model?.tokenizer;
    if (!tokenizer)
      throw new Error(
        "cache.strTokens needs the model's tokenizer, and this model has none (it runs on token ids only): use cache.tokens",
      );
    this.strTokensMemo = tokens.arraySync().map((row) => tokenizer.tokenStrings(row));
    return this.strTokensMemo;
  }

  /**
   * The text of every token for display ([batch][pos], as `cache.tokens`): as strTokens, except that a piece holding
   * part of a character shows as its bytes ("<0xE2>") rather than "�" and a SentencePiece word start keeps its space
   * (`Tokenizer.displayStrings`). What the views label tokens with; throws when the model has no tokenizer.
   */
  get displayTokens(): string[][] {
    this.checkAlive();
    const tokenizer = this.model?.tokenizer;
    if (!tokenizer)
      throw new Error(
        "cache.displayTokens needs the model's tokenizer, and this model has none (it runs on token ids only): use cache.tokens",
      );
    this.displayTokensMemo ??= this.tokens.arraySync().map((row) => tokenizer.displayStrings(row));
    return this.displayTokensMemo;
  }

  /**
   * The padding mask of the input, int32 [batch, pos] (1 = a real token, 0 = padding), for a batch of prompts of
   * different lengths (owned by the cache: do not dispose it). Undefined: every position holds a real token.
   */
  get attentionMask(): Tensor2D | undefined {
    this.checkAlive();
    return this.input?.attentionMask;
  }

  /**
   * The index of each row's last real token ([batch] numbers): `pos − 1` for every row without padding or with left
   * padding, the row's length − 1 with right padding. Where "the last position" of a prompt is read (logit
   * differences at the final token, IOI-style metrics), read row `b` at `lastRealPositions()[b]`.
   */
  lastRealPositions(): number[] {
    this.checkAlive();
    return lastRealPositions(this.tokens.shape, this.input?.attentionMask);
  }

  /**
   * The activation at hook point `name` (owned by the cache: do not dispose it), typed by rank where the hook's rank
   * is fixed: Tensor4D for hook_pattern, hook_attn_scores, hook_q/k/v/z; Tensor3D for the residual stream, the MLP's
   * activations, ln2 and ln_final. A misspelt name is a compile error; a name built at run time needs
   * `lens.hookName(str)` (checked) or `str as lens.HookName`. TransformerLens's short names work too:
   * `get("pattern", 2)`, `get("pattern", -1)` (the last layer), `get("scale", 4, "ln1")`, `get("k6")`, `get("embed")`.
   */
  get<N extends HookName>(name: N): HookTensor<N>;
  get(name: ActName | CompactActName, layer?: number, layerType?: ActLayerType): Tensor;
  get(shortOrFull: string, layer?: number, layerType?: ActLayerType): Tensor {
    this.checkAlive();
    const name = this.fullName(shortOrFull, layer, layerType);
    const tensor = Object.hasOwn(this.store, name) ? this.store[name] : undefined;
    if (tensor) {
      hookOfTensor.set(tensor, name);
      return tensor;
    }
    if (this.validNames.includes(name)) throw new Error(`"${name}" was not cached (excluded by namesFilter or stopAtLayer)`);
    throw unknownHookError(name, [...this.validNames]);
  }

  /** The full hook name of a name given to get(): full names as they are, short ones through actName. */
  private fullName(name: string, layer: number | undefined, layerType: ActLayerType | undefined): HookName {
    if (layer === undefined && layerType === undefined && (name.includes(".") || name.startsWith("hook_")))
      return name as HookName;
    if (layer !== undefined && Number.isSafeInteger(layer) && layer < 0) {
      const nLayers = this.model?.cfg.nLayers ?? this.validNames.filter((n) => n.endsWith(".hook_resid_pre")).length;
      if (layer < -nLayers)
        throw new Error(`cache.get("${name}", ${layer}): layer ${layer} is before the first of ${nLayers} layers`);
      layer += nLayers;
    }
    return actName(name as ActName, layer, layerType);
  }

  /** True when `name` was cached. */
  has(name: HookName): boolean {
    this.checkAlive();
    return Object.hasOwn(this.store, name);
  }

  /** Adds a computed activation under `name` (the cache takes ownership), e.g. hook_result from computeHeadResults. */
  add(name: HookName, tensor: Tensor): void {
    this.checkAlive();
    if (Object.hasOwn(this.store, name)) throw new Error(`"${name}" is already in the cache`);
    this.store[name] = tensor;
    if (!this.validNames.includes(name)) this.added.push(name);
  }

  /** Cached hook names, in forward order (computed ones last). */
  keys(): HookName[] {
    this.checkAlive();
    return [...this.validNames, ...this.added].filter((n) => Object.hasOwn(this.store, n));
  }

  /** Number of cached activations. */
  get size(): number {
    return this.keys().length;
  }

  private helperModel(): CacheModel {
    this.checkAlive();
    if (!this.model) throw new Error("this cache was built without its model, so its helpers cannot run");
    return this.model;
  }

  private labelled(result: LabelledStack, withLabels: boolean): Tensor | [Tensor, string[]] {
    return withLabels ? [result.stack, result.labels] : result.stack;
  }

  /**
   * The residual stream at the input of each layer [components, batch, pos, d_model] ("0_pre" … "final_post"):
   * the logit lens with applyLn (ln_final recomputed per component at the final layer).
   */
  accumulatedResid(options?: AccumulatedResidOptions): Tensor;
  accumulatedResid(options: AccumulatedResidOptions & WithLabels): [Tensor, string[]];
  accumulatedResid(options: AccumulatedResidOptions & { returnLabels?: boolean } = {}): Tensor | [Tensor, string[]] {
    return this.labelled(accumulatedResid(this.helperModel(), this, options), options.returnLabels === true);
  }

  /** What each component wrote into the stream read by a layer (embed, pos_embed, "{l}_attn_out", "{l}_mlp_out"). */
  decomposeResid(options?: DecomposeResidOptions): Tensor;
  decomposeResid(options: DecomposeResidOptions & WithLabels): [Tensor, string[]];
  decomposeResid(options: DecomposeResidOptions & { returnLabels?: boolean } = {}): Tensor | [Tensor, string[]] {
    return this.labelled(decomposeResid(this.helperModel(), this, options), options.returnLabels === true);
  }

  /** Adds blocks.{l}.attn.hook_result [batch, pos, head, d_model] for every layer, from hook_z and W_O. */
  computeHeadResults(): void {
    computeHeadResults(this.helperModel(), this);
  }

  /** Every head's output before a layer, "L0H0" … [heads (+ remainder), batch, pos, d_model]. */
  stackHeadResults(options?: StackHeadResultsOptions): Tensor;
  stackHeadResults(options: StackHeadResultsOptions & WithLabels): [Tensor, string[]];
  stackHeadResults(options: StackHeadResultsOptions & { returnLabels?: boolean } = {}): Tensor | [Tensor, string[]] {
    return this.labelled(stackHeadResults(this.helperModel(), this, options), options.returnLabels === true);
  }

  /** Every MLP neuron's output before a layer, "L0N0" … [neurons (+ remainder), batch, pos, d_model]. */
  stackNeuronResults(options?: StackNeuronResultsOptions): Tensor;
  stackNeuronResults(options: StackNeuronResultsOptions & WithLabels): [Tensor, string[]];
  stackNeuronResults(options: StackNeuronResultsOptions & { returnLabels?: boolean } = {}): Tensor | [Tensor, string[]] {
    return this.labelled(stackNeuronResults(this.helperModel(), this, options), options.returnLabels === true);
  }

  /** The stream as heads + neurons (or MLPs) + embed + pos_embed + "bias" [components, batch, pos, d_model]. */
  getFullResidDecomposition(options?: FullResidDecompositionOptions): Tensor;
  getFullResidDecomposition(options: FullResidDecompositionOptions & WithLabels): [Tensor, string[]];
  getFullResidDecomposition(
    options: FullResidDecompositionOptions & { returnLabels?: boolean } = {},
  ): Tensor | [Tensor, string[]] {
    return this.labelled(getFullResidDecomposition(this.helperModel(), this, options), options.returnLabels === true);
  }

  /** `blocks.{l}.<suffix>` for every layer before `layer` (default all), stacked on a new leading axis. */
  stackActivation(suffix: BlockHookSuffix, layer = -1): Tensor {
    const model = this.helperModel();
    const upTo = layer === -1 ? model.cfg.nLayers : layer;
    if (!Number.isInteger(upTo) || upTo < 1 || upTo > model.cfg.nLayers)
      throw new Error(`layer ${layer} is out of range 1…${model.cfg.nLayers} (or −1 for all)`);
    const names = Array.from({ length: upTo }, (_, l): HookName => `blocks.${l}.${suffix}`);
    return tf.stack(names.map((n) => this.get(n)));
  }

  /** Scales a stack of residual components as the norm reading them did (see ApplyLnOptions). */
  applyLnToStack(stack: Tensor, options: ApplyLnOptions = {}): Tensor {
    return applyLnToStack(this.helperModel(), this, stack, options);
  }

  /**
   * Direct logit attribution of each component of `stack` to `tokens` (or to the difference with
   * `incorrectTokens`): [components, batch, (pos)].
   */
  logitAttrs(stack: Tensor, tokens: TokenIds, options: LogitAttrsOptions = {}): Tensor {
    return logitAttrs(this.helperModel(), this, stack, tokens, options);
  }

  /** Frees every cached tensor and the input's. */
  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    const unique = new Set(Object.values(this.store));
    for (const t of unique) t.dispose();
    this.input?.tokens.dispose();
    this.input?.attentionMask?.dispose();
    this.strTokensMemo = undefined;
    this.displayTokensMemo = undefined;
  }
}
