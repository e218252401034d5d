/**
 * Residual-stream helpers (TransformerLens's ActivationCache semantics):
 * accumulatedResid (the stream at each layer: the logit lens), decomposeResid (what each
 * component wrote), logitAttrs (a stack projected on unembedding directions) and accumulatedBias.
 */
import type { Tensor } from "@tensorflow/tfjs-core";
import { tf } from "../tensor";
import type { HookName } from "../model/hookPoints";
import { checkTokenIds } from "../model/tokens";
import type { CacheModel } from "./cacheModel";
import { applyLnToStack, CacheReader, hadLnApplied, resolveLayer, scaledIfAsked } from "./lnStack";
import { applySlice, Slice } from "./slice";

/** A stack of residual-stream components [components, batch, pos, d_model] and a label per component. */
export interface LabelledStack {
  stack: Tensor;
  labels: string[];
}

/** Options of accumulatedResid. */
export interface AccumulatedResidOptions {
  /** Streams up to the input of this layer; −1/null (default) = every layer and the final stream. */
  layer?: number | null;
  /** Add resid_mid of every earlier layer. */
  inclMid?: boolean;
  /** Scale as the reading norm does; at the final layer ln_final is recomputed per component (logit lens). */
  applyLn?: boolean;
  posSlice?: Slice;
  /** Add resid_mid of `layer` itself (the MLP's input). */
  mlpInput?: boolean;
}

/** Stacks `parts` (each [batch, pos, d_model]) after slicing their position axis (−2). */
function stackSliced(parts: Tensor[], posSlice: Slice): Tensor {
  return tf.tidy(() => tf.stack(parts.map((p) => applySlice(p, posSlice, -2))));
}

/** The residual stream at the input of each layer up to `layer` (labels "0_pre", "0_mid", …, "final_post"). */
export function accumulatedResid(model: CacheModel, cache: CacheReader, options: AccumulatedResidOptions = {}): LabelledStack {
  const L = model.cfg.nLayers;
  const layer = resolveLayer(options.layer, L);
  const parts: Tensor[] = [];
  const labels: string[] = [];
  for (let l = 0; l <= layer; l++) {
    if (l === L) {
      parts.push(cache.get(`blocks.${L - 1}.hook_resid_post`));
      labels.push("final_post");
      continue;
    }
    parts.push(cache.get(`blocks.${l}.hook_resid_pre`));
    labels.push(`${l}_pre`);
    if ((options.inclMid && l < layer) || (options.mlpInput && l === layer)) {
      parts.push(cache.get(`blocks.${l}.hook_resid_mid`));
      labels.push(`${l}_mid`);
    }
  }
  const stack = stackSliced(parts, options.posSlice);
  const lnOptions = { layer, posSlice: options.posSlice, mlpInput: options.mlpInput, recomputeLn: layer === L };
  return { stack: scaledIfAsked(model, cache, stack, options.applyLn, lnOptions), labels };
}

/** Options of decomposeResid. */
export interface DecomposeResidOptions {
  /** Components written before the input of this layer; −1/null (default) = all. */
  layer?: number | null;
  /** Add `layer`'s own attention output (the MLP's input). */
  mlpInput?: boolean;
  /** Which sublayers: "all" (default), "attn" or "mlp". */
  mode?: "all" | "attn" | "mlp";
  applyLn?: boolean;
  posSlice?: Slice;
  /** Include embed and pos_embed (default true). */
  inclEmbeds?: boolean;
}

/**
 * What each component wrote into the stream read by `layer`: embed, pos_embed, then "{l}_attn_out" and
 * "{l}_mlp_out" per layer. They sum to the stream (biases sit inside attn_out / mlp_out).
 * Shortformer models have no pos_embed here: their W_pos never enters the residual stream.
 */
export function decomposeResid(model: CacheModel, cache: CacheReader, options: DecomposeResidOptions = {}): LabelledStack {
  const cfg = model.cfg;
  const layer = resolveLayer(options.layer, cfg.nLayers);
  const mode = options.mode ?? "all";
  if (!["all", "attn", "mlp"].includes(mode)) throw new Error(`mode must be "all", "attn" or "mlp", got ${JSON.stringify(mode)}`);
  const inclAttn = mode !== "mlp";
  const inclMlp = mode !== "attn" && !cfg.attnOnly;
  const parts: Tensor[] = [];
  const labels: string[] = [];
  const add = (hook: HookName, label: string) => {
    parts.push(cache.get(hook));
    labels.push(label);
  };
  if (options.inclEmbeds ?? true) {
    if (cache.has("hook_embed")) add("hook_embed", "embed");
    if (cfg.positionalEmbeddingType === "standard" && cache.has("hook_pos_embed")) add("hook_pos_embed", "pos_embed");
  }
  for (let l = 0; l < layer; l++) {
    if (inclAttn) add(`blocks.${l}.hook_attn_out`, `${l}_attn_out`);
    if (inclMlp) add(`blocks.${l}.hook_mlp_out`, `${l}_mlp_out`);
  }
  if (options.mlpInput && inclAttn) {
    if (layer === cfg.nLayers) throw new Error("mlpInput needs a layer below nLayers");
    add(`blocks.${layer}.hook_attn_out`, `${layer}_attn_out`);
  }
  if (parts.length === 0) throw new Error("nothing to decompose: no component matches these options");
  const stack = stackSliced(parts, options.posSlice);
  const lnOptions = { layer, posSlice: options.posSlice, mlpInput: options.mlpInput };
  return { stack: scaledIfAsked(model, cache, stack, options.applyLn, lnOptions), labels };
}

/** Token ids: one id, ids per batch row [batch], or per position [batch, pos]. */
export type TokenIds = number | number[] | number[][] | Tensor;

/** W_U columns of `tokens`, shaped [...tokens, d_model]. */
function residualDirections(model: CacheModel, tokens: TokenIds): Tensor {
  return tf.tidy(() => {
    // Checked before the int32 cast, which would truncate 1.5 to 1 and wrap 2^31.
    const given = typeof tokens === "number" ? tf.scalar(tokens) : Array.isArray(tokens) ? tf.tensor(tokens) : tokens;
    const raw = typeof tokens === "number" ? [tokens] : Array.isArray(tokens) ? (tokens as unknown[]).flat() : given.dataSync();
    checkTokenIds(raw, given.shape, model.cfg.dVocabOut);
    const ids = given.cast("int32"); // [...tokens]
    const W_U = model.param("unembed.W_U"); // [d_model, vocab]
    return tf.gather(W_U.transpose(), ids.flatten()).reshape([...ids.shape, model.cfg.dModel]);
  });
}

/** Options of logitAttrs. */
export interface LogitAttrsOptions {
  /** Subtract these tokens' directions (same shape as `tokens`): a logit difference. */
  incorrectTokens?: TokenIds;
  /** Positions the stack was sliced to (slices the cached ln_final scale). */
  posSlice?: Slice;
  batchSlice?: Slice;
  hasBatchDim?: boolean;
  /**
   * Scale the stack by the cached final norm first (default true, as TransformerLens). A stack made with
   * `applyLn: true` (or by applyLnToStack) is already scaled: logitAttrs refuses it unless this is false.
   */
  applyLn?: boolean;
}

/**
 * Direct logit attribution: each component of `stack` [components, batch, (pos,) d_model], scaled by the cached
 * ln_final scale, dotted with W_U[:, tokens] (minus W_U[:, incorrectTokens]). Returns [components, batch, (pos)].
 * Meaningful with folded LayerNorm (the default), as in TransformerLens. The final norm is applied once: a stack that
 * already had it (`accumulatedResid({ applyLn: true })`, say) needs `applyLn: false`, else this throws.
 */
export function logitAttrs(
  model: CacheModel,
  cache: CacheReader,
  stack: Tensor,
  tokens: TokenIds,
  options: LogitAttrsOptions = {},
): Tensor {
  const applyLn = options.applyLn ?? true;
  if (applyLn && hadLnApplied(stack))
    throw new Error(
      "logitAttrs: this stack already has LayerNorm applied (it came from applyLn: true or applyLnToStack), and " +
        "logitAttrs applies the final LayerNorm itself, so it would be applied twice. Build the stack without " +
        "applyLn, or pass { applyLn: false } to use it as it is.",
    );
  const correct = residualDirections(model, tokens);
  let direction = correct;
  if (options.incorrectTokens !== undefined) {
    const wrong = residualDirections(model, options.incorrectTokens);
    if (wrong.shape.join() !== correct.shape.join()) {
      tf.dispose([correct, wrong]);
      throw new Error(
        `tokens and incorrectTokens must have the same shape, got [${correct.shape.slice(0, -1)}] and [${wrong.shape.slice(0, -1)}]`,
      );
    }
    direction = correct.sub(wrong);
    tf.dispose([correct, wrong]);
  }
  const lnOptions = { layer: -1, posSlice: options.posSlice, batchSlice: options.batchSlice, hasBatchDim: options.hasBatchDim };
  let scaled: Tensor;
  try {
    scaled = applyLn
      ? applyLnToStack(model, cache, stack, lnOptions)
      : tf.tidy(() => ((options.hasBatchDim ?? true) ? applySlice(stack, options.batchSlice, 1, "batch row") : stack.clone()));
  } catch (err) {
    direction.dispose();
    throw err;
  }
  try {
    return tf.tidy(() => scaled.mul(direction).sum(-1));
  } finally {
    tf.dispose([scaled, direction]);
  }
}

/** Sum of the attention (and, with includeMlpBiases, MLP) output biases written before the input of `layer` [d_model]. */
export function accumulatedBias(model: CacheModel, layer: number, mlpInput = false, includeMlpBiases = true): Tensor {
  const cfg = model.cfg;
  return tf.tidy(() => {
    let sum: Tensor = tf.zeros([cfg.dModel]);
    for (let l = 0; l < layer; l++) {
      sum = sum.add(model.param(`blocks.${l}.attn.b_O`));
      if (includeMlpBiases && !cfg.attnOnly) sum = sum.add(model.param(`blocks.${l}.mlp.b_out`));
    }
    if (mlpInput) {
      if (layer >= cfg.nLayers) throw new Error("mlpInput needs a layer below nLayers");
      sum = sum.add(model.param(`blocks.${layer}.attn.b_O`));
    }
    return sum;
  });
}
