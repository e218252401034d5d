/**
 * Per-head and per-neuron decompositions (TransformerLens semantics): computeHeadResults,
 * stackHeadResults, stackNeuronResults and getFullResidDecomposition.
 */
import type { Tensor } from "@tensorflow/tfjs-core";
import { headLabel } from "../common/heads";
import type { HookName } from "../model/hookPoints";
import { tf } from "../tensor";
import type { CacheModel } from "./cacheModel";
import { CacheReader, resolveLayer, scaledIfAsked } from "./lnStack";
import { accumulatedBias, decomposeResid, LabelledStack } from "./residual";
import { applySlice, Slice } from "./slice";

/** A cache the helpers can add computed activations to. */
export interface CacheWriter extends CacheReader {
  /** Stores `tensor` under hook name `name` (the cache takes ownership). */
  add(name: string, tensor: Tensor): void;
}

/** Moves axis `from` (negative counts from the end) to the front. */
function axisToFront(t: Tensor, from: number): Tensor {
  const ax = from < 0 ? t.rank + from : from;
  const order = [ax, ...t.shape.map((_, i) => i).filter((i) => i !== ax)];
  return t.transpose(order);
}

/**
 * Adds blocks.{l}.attn.hook_result [batch, pos, head, d_model] = z·W_O per head for every layer (needs hook_z).
 * Does nothing for layers whose result is already cached.
 */
export function computeHeadResults(model: CacheModel, cache: CacheWriter): void {
  const cfg = model.cfg;
  for (let l = 0; l < cfg.nLayers; l++) {
    const name: HookName = `blocks.${l}.attn.hook_result`;
    if (cache.has(name)) continue;
    const zName: HookName = `blocks.${l}.attn.hook_z`;
    if (!cache.has(zName))
      throw new Error(`head results need "${zName}" in the cache: run runWithCache without filtering it out`);
    const result = tf.tidy(() => {
      const z = cache.get(zName); // [b, p, h, e]
      const [b, p, h, e] = z.shape;
      const perHead = z.reshape([b * p, h, e]).transpose([1, 0, 2]); // [h, b·p, e]
      const written = tf.matMul(perHead, model.param(`blocks.${l}.attn.W_O`)); // [h, b·p, d_model]
      return written.transpose([1, 0, 2]).reshape([b, p, h, cfg.dModel]); // [b, p, h, d_model]
    });
    cache.add(name, result);
  }
}

/** Options of stackHeadResults and stackNeuronResults. */
export interface ComponentStackOptions {
  /** Components of the layers before this one; −1/null (default) = all layers. */
  layer?: number | null;
  /** Add "remainder" = resid_post[layer − 1] − Σ components (everything else that wrote to the stream). */
  inclRemainder?: boolean;
  posSlice?: Slice;
  applyLn?: boolean;
}

export type StackHeadResultsOptions = ComponentStackOptions;
export type StackNeuronResultsOptions = ComponentStackOptions;

/**
 * Stacks per-layer components (each [b, (p,) n, d_model], already position-sliced) into [L·n (+1), b, (p,) d_model],
 * adding the remainder and scaling by LN as `options` ask.
 */
function stackComponents(
  model: CacheModel,
  cache: CacheReader,
  layer: number,
  perLayer: () => Tensor[],
  options: ComponentStackOptions,
): Tensor {
  const stack = tf.tidy(() => {
    const parts = perLayer();
    let components: Tensor | undefined = parts.length ? axisToFront(tf.concat(parts, -2), -2) : undefined; // [L·n, b, (p,) d]
    if (options.inclRemainder) {
      if (layer === 0) throw new Error("inclRemainder needs layer ≥ 1: there is no resid_post before layer 0");
      const post = applySlice(cache.get(`blocks.${layer - 1}.hook_resid_post`), options.posSlice, -2);
      const remainder = components ? post.sub(components.sum(0)) : post;
      components = components ? tf.concat([components, remainder.expandDims(0)]) : remainder.expandDims(0);
    }
    return components ?? tf.zeros([0, ...applySlice(cache.get("hook_embed"), options.posSlice, -2).shape]);
  });
  return scaledIfAsked(model, cache, stack, options.applyLn, { layer, posSlice: options.posSlice });
}

/** Every head's output before `layer`, layer-major ("L0H0", "L0H1", …) [heads, batch, pos, d_model]. */
export function stackHeadResults(model: CacheModel, cache: CacheWriter, options: StackHeadResultsOptions = {}): LabelledStack {
  const cfg = model.cfg;
  const layer = resolveLayer(options.layer, cfg.nLayers);
  computeHeadResults(model, cache);
  const labels: string[] = [];
  for (let l = 0; l < layer; l++) for (let h = 0; h < cfg.nHeads; h++) labels.push(headLabel({ layer: l, head: h }));
  if (options.inclRemainder) labels.push("remainder");
  const perLayer = () =>
    Array.from({ length: layer }, (_, l) => applySlice(cache.get(`blocks.${l}.attn.hook_result`), options.posSlice, -3)); // [b, (p,) h, d]
  return { stack: stackComponents(model, cache, layer, perLayer, options), labels };
}

/** Every neuron's output before `layer` ("L0N0", …): post[…, n]·W_out[n] [neurons, batch, pos, d_model]. */
export function stackNeuronResults(
  model: CacheModel,
  cache: CacheReader,
  options: StackNeuronResultsOptions = {},
): LabelledStack {
  const cfg = model.cfg;
  if (cfg.attnOnly) throw new Error("this model has no MLPs, so no neurons");
  const layer = resolveLayer(options.layer, cfg.nLayers);
  const labels: string[] = [];
  for (let l = 0; l < layer; l++) for (let n = 0; n < cfg.dMlp; n++) labels.push(`L${l}N${n}`);
  if (options.inclRemainder) labels.push("remainder");
  const perLayer = () =>
    Array.from({ length: layer }, (_, l) => {
      const post = applySlice(cache.get(`blocks.${l}.mlp.hook_post`), options.posSlice, -2); // [b, (p,) d_mlp]
      return post.expandDims(-1).mul(model.param(`blocks.${l}.mlp.W_out`)); // [b, (p,) d_mlp, d_model]
    });
  return { stack: stackComponents(model, cache, layer, perLayer, options), labels };
}

/** Options of getFullResidDecomposition. */
export interface FullResidDecompositionOptions {
  /** Decompose the stream read by this layer; −1/null (default) = the final stream. */
  layer?: number | null;
  mlpInput?: boolean;
  /** One component per MLP neuron (default true) instead of one per MLP. */
  expandNeurons?: boolean;
  applyLn?: boolean;
  posSlice?: Slice;
  /** Project every component onto these directions, [d_model] (→ […]) or [d_model, k] (→ […, k]), after any LN. */
  projectOutputOnto?: Tensor;
}

/** `stack` [..., d_model] · `directions` ([d_model] or [d_model, k]) → [...] or [..., k]. */
function project(stack: Tensor, directions: Tensor, dModel: number): Tensor {
  if ((directions.rank !== 1 && directions.rank !== 2) || directions.shape[0] !== dModel)
    throw new Error(`projectOutputOnto must be [${dModel}] or [${dModel}, k], got [${directions.shape}]`);
  return tf.tidy(() => {
    const flat = stack.reshape([-1, dModel]);
    const out = tf.matMul(flat, directions.rank === 1 ? directions.expandDims(1) : directions); // [n, k]
    return directions.rank === 1
      ? out.reshape(stack.shape.slice(0, -1))
      : out.reshape([...stack.shape.slice(0, -1), directions.shape[1]!]);
  });
}

/**
 * The stream read by `layer` as the sum of every head, every neuron (or MLP), embed, pos_embed and "bias"
 * (the output biases), in that order [components, batch, pos, d_model] (or projected, see projectOutputOnto).
 */
export function getFullResidDecomposition(
  model: CacheModel,
  cache: CacheWriter,
  options: FullResidDecompositionOptions = {},
): LabelledStack {
  const cfg = model.cfg;
  const layer = resolveLayer(options.layer, cfg.nLayers);
  const expandNeurons = options.expandNeurons ?? true;
  const { posSlice, mlpInput } = options;
  const parts: LabelledStack[] = [stackHeadResults(model, cache, { layer: layer + (mlpInput ? 1 : 0), posSlice })];
  try {
    if (!cfg.attnOnly && layer > 0) {
      parts.push(
        expandNeurons
          ? stackNeuronResults(model, cache, { layer, posSlice })
          : decomposeResid(model, cache, { layer, mlpInput, posSlice, inclEmbeds: false, mode: "mlp" }),
      );
    }
    const single = (hook: HookName, label: string): LabelledStack => ({
      stack: tf.tidy(() => applySlice(cache.get(hook), posSlice, -2).expandDims(0)),
      labels: [label],
    });
    if (cache.has("hook_embed")) parts.push(single("hook_embed", "embed"));
    if (cfg.positionalEmbeddingType === "standard" && cache.has("hook_pos_embed"))
      parts.push(single("hook_pos_embed", "pos_embed"));
    const shape = parts[0].stack.shape.slice(1);
    const bias = tf.tidy(() => {
      const b = accumulatedBias(model, layer, mlpInput, expandNeurons); // [d_model]
      return b.reshape([1, ...shape.map(() => 1).slice(0, -1), cfg.dModel]).tile([1, ...shape.slice(0, -1), 1]);
    });
    parts.push({ stack: bias, labels: ["bias"] });
    const stack = tf.concat(parts.map((p) => p.stack));
    const labels = parts.flatMap((p) => p.labels);
    const scaled = scaledIfAsked(model, cache, stack, options.applyLn, { layer, posSlice, mlpInput });
    if (!options.projectOutputOnto) return { stack: scaled, labels };
    try {
      return { stack: project(scaled, options.projectOutputOnto, cfg.dModel), labels };
    } finally {
      scaled.dispose();
    }
  } finally {
    tf.dispose(parts.map((p) => p.stack));
  }
}
