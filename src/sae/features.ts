/**
 * Feature analysis of an SAE on a model: where a feature fires most over a corpus (streamed in batches), which
 * tokens it promotes and suppresses directly (W_dec · W_U), and the distribution of its activations.
 *
 * Streaming runs one forward per batch with a single hook at the SAE's input hook point that encodes the
 * activation and keeps only the requested features' columns of `hook_sae_acts_post`; nothing else is cached, and
 * the run stops after the block holding that hook point. Long streams show a progress bar (with a Cancel button in
 * a notebook cell) exactly like the patching sweeps, and stop with SweepCancelledError when cancelled.
 */
import type { Tensor, Tensor2D } from "@tensorflow/tfjs-core";
import { PatchProgress, sweepProgress } from "../analysis/patching/progress";
import type { HookedTransformer } from "../model/hookedTransformer";
import type { HookName } from "../model/hookPoints";
import { describeValue } from "../model/hooks";
import { tf } from "../tensor";
import { Sae } from "./sae";

/** A corpus: texts (tokenised with the model's tokenizer), rows of token ids, or an int32 tensor [rows, pos]. */
export type FeatureInputs = string[] | number[][] | Tensor2D;

/** Options shared by the streaming functions. */
export interface FeatureStreamOptions {
  /** Rows per forward (default 8). */
  batchSize?: number;
  /** `true`/undefined: a bar when there are many batches; `false`: silent; a function: called after every batch. */
  progress?: PatchProgress;
}

/** Options of featureTopExamples. */
export interface FeatureTopExamplesOptions extends FeatureStreamOptions {
  /** The feature index or indices to rank examples for. */
  features: number | number[];
  /** Examples kept per feature (default 10). */
  k?: number;
  /** Tokens of context kept on each side of the activating token (default 5). */
  contextTokens?: number;
}

/** One place a feature fires. */
export interface FeatureExample {
  /** Row of the input (index into the texts / token rows). */
  row: number;
  /** Position of the token in its row (its own tokens, padding excluded). */
  position: number;
  /** The feature's activation (hook_sae_acts_post) there. */
  activation: number;
  /** The tokens around it as strings (token ids in decimal when the model has no tokenizer). */
  tokens: string[];
  /** The same tokens' ids. */
  tokenIds: number[];
  /** Index of the activating token in `tokens`. */
  index: number;
}

/** The top examples of one feature, highest activation first (ties: earlier row, then earlier position). */
export interface FeatureTopExamples {
  feature: number;
  examples: FeatureExample[];
}

/** One token's direct logit effect. */
export interface FeatureLogit {
  tokenId: number;
  token: string;
  value: number;
}

/** A feature's top and bottom tokens by direct logit effect. */
export interface FeatureLogits {
  feature: number;
  /** Highest W_dec[feature] · W_U first. */
  top: FeatureLogit[];
  /** Lowest first. */
  bottom: FeatureLogit[];
}

/** Options of featureHistogram. */
export interface FeatureHistogramOptions extends FeatureStreamOptions {
  /** Number of equal-width bins between the smallest and largest non-zero activation (default 20). */
  bins?: number;
}

/** The distribution of one feature's non-zero activations. */
export interface FeatureHistogram {
  feature: number;
  /** bins + 1 bin edges; bin i is [edges[i], edges[i+1]), the last bin includes its right edge. */
  edges: number[];
  /** Non-zero activations in each bin (all 0, edges all 0, when the feature never fires). */
  counts: number[];
  /** Number of non-zero activations (= sum of counts). */
  nonZero: number;
  /** Number of tokens seen (padding excluded). */
  tokens: number;
  /** nonZero / tokens: the feature's firing density. */
  density: number;
}

/** Throws unless `n` is an integer ≥ `min`. */
function checkCount(n: unknown, name: string, min: number): number {
  if (typeof n !== "number" || !Number.isInteger(n) || n < min)
    throw new Error(`${name} must be an integer ≥ ${min}, got ${describeValue(n)}`);
  return n;
}

/** Throws unless every index is a feature of `sae`. */
function checkFeatures(sae: Sae, features: unknown): number[] {
  const list = Array.isArray(features) ? (features as unknown[]) : [features];
  if (list.length === 0) throw new Error("features must name at least one feature index");
  const dSae = sae.cfg.dSae;
  for (const f of list)
    if (typeof f !== "number" || !Number.isInteger(f) || f < 0 || f >= dSae)
      throw new Error(
        `feature ${typeof f === "number" ? f : describeValue(f)} is out of range: ${sae.describe()} has d_sae = ${dSae} features (0 … ${dSae - 1})`,
      );
  return list as number[];
}

/** Throws unless `sae` is live and reads a hook point of `model`. */
function checkSaeOnModel(model: HookedTransformer, sae: Sae): void {
  if (!(sae instanceof Sae)) throw new Error(`sae must be an SAE from lens.loadSae, got ${describeValue(sae)}`);
  if (sae.isDisposed) throw new Error(`${sae.describe()} was disposed`);
  if (!model.hookNames().includes(sae.cfg.hookName as HookName))
    throw new Error(`${sae.describe()}: the model has no hook point "${sae.cfg.hookName}" (cfg.json hook_name)`);
}

/** Throws unless the activation `x` at the SAE's input hook has the SAE's d_in as its width. */
function checkInputWidth(sae: Sae, x: Tensor): void {
  const width = sae.cfg.reshapeActivations === "none" ? x.shape[x.rank - 1]! : x.shape.slice(-2).reduce((a, b) => a * b, 1);
  if (width !== sae.cfg.dIn)
    throw new Error(`${sae.describe()}: its d_in is ${sae.cfg.dIn}, but ${sae.cfg.hookName} of this model has width ${width}`);
}

/** The corpus as rows of token ids. */
function corpusRows(model: HookedTransformer, inputs: FeatureInputs): { rows: number[][] } | { texts: string[] } {
  if (inputs instanceof tf.Tensor) {
    if (inputs.rank !== 2 || inputs.dtype !== "int32")
      throw new Error(`token inputs must be an int32 tensor [rows, pos], got ${inputs.dtype} [${inputs.shape}]`);
    return { rows: inputs.arraySync() as number[][] };
  }
  if (!Array.isArray(inputs) || inputs.length === 0)
    throw new Error(`inputs must be a non-empty list of texts or of token-id rows, got ${describeValue(inputs)}`);
  if ((inputs as unknown[]).every((t) => typeof t === "string")) {
    if (!model.tokenizer) throw new Error("inputs are texts, but this model has no tokenizer: pass token ids");
    return { texts: inputs as string[] };
  }
  const rows = inputs as unknown[];
  rows.forEach((r, i) => {
    if (!Array.isArray(r) || r.length === 0 || r.some((id) => typeof id !== "number" || !Number.isInteger(id) || id < 0))
      throw new Error(`inputs row ${i} must be a non-empty list of token ids, got ${describeValue(r)}`);
  });
  return { rows: rows as number[][] };
}

/** A batch's token ids [batch, pos] padded on the right, its mask (undefined without padding) and each row's ids. */
function padRight(rows: number[][]): { tokens: Tensor2D; mask?: Tensor2D; ids: number[][] } {
  const width = Math.max(...rows.map((r) => r.length));
  const padded = rows.map((r) => [...r, ...new Array<number>(width - r.length).fill(0)]);
  const ragged = rows.some((r) => r.length !== width);
  const tokens = tf.tensor2d(padded, [rows.length, width], "int32"); // [batch, pos]
  const mask = ragged
    ? tf.tensor2d(
        rows.map((r) => padded[0]!.map((_, p) => (p < r.length ? 1 : 0))),
        undefined,
        "int32",
      )
    : undefined; // [batch, pos]
  return { tokens, mask, ids: rows };
}

/**
 * Streams `inputs` through `model` in batches; for each batch calls `visit(acts, ids, firstRow)` with the requested
 * features' activations `acts` [batch, pos, features] (row-major, Float32Array) and each row's real token ids.
 */
async function streamFeatureActs(
  model: HookedTransformer,
  sae: Sae,
  inputs: FeatureInputs,
  features: number[],
  options: FeatureStreamOptions,
  label: string,
  visit: (acts: Float32Array, width: number, ids: number[][], firstRow: number) => void,
): Promise<void> {
  const batchSize = checkCount(options.batchSize ?? 8, "batchSize", 1);
  const corpus = corpusRows(model, inputs);
  const count = "rows" in corpus ? corpus.rows.length : corpus.texts.length;
  const batches = Math.ceil(count / batchSize);
  const hook = sae.cfg.hookName as HookName;
  const layer = /^blocks\.(\d+)\./.exec(hook);
  const stopAtLayer = layer ? Number(layer[1]) + 1 : undefined;
  const progress = sweepProgress(options.progress, label, batches, "batches");
  try {
    for (let b = 0; b < batches; b++) {
      const first = b * batchSize;
      let batch: { tokens: Tensor2D; mask?: Tensor2D; ids: number[][] };
      if ("rows" in corpus) batch = padRight(corpus.rows.slice(first, first + batchSize));
      else {
        const { tokens, attentionMask } = model.toTokensWithMask(corpus.texts.slice(first, first + batchSize), {
          paddingSide: "right",
        });
        const all = tokens.arraySync();
        const maskRows = attentionMask.arraySync();
        batch = { tokens, mask: attentionMask, ids: all.map((r, i) => r.filter((_, p) => maskRows[i]![p] === 1)) };
      }
      let captured: Tensor | undefined;
      try {
        const selected = tf.tensor1d(features, "int32"); // [features]
        try {
          const out = model.runWithHooks(batch.tokens, {
            attentionMask: batch.mask,
            stopAtLayer,
            fwdHooks: [
              [
                hook,
                (x) => {
                  checkInputWidth(sae, x);
                  captured?.dispose();
                  captured = tf.keep(
                    tf.tidy(() => {
                      const all = sae.encode(x); // [batch, pos, d_sae]
                      return tf.gather(all, selected, all.rank - 1);
                    }),
                  ); // [batch, pos, features]
                },
              ],
            ],
          });
          out.dispose();
        } finally {
          selected.dispose();
        }
        if (!captured) throw new Error(`${sae.describe()}: the run never reached ${hook}`);
        visit(captured.dataSync() as Float32Array, captured.shape[1]!, batch.ids, first);
      } finally {
        captured?.dispose();
        batch.tokens.dispose();
        batch.mask?.dispose();
      }
      await progress.step(b + 1);
    }
    progress.finish();
  } catch (error) {
    progress.fail(error);
    throw error;
  }
}

/** Token strings of `ids`: the tokenizer's, or the ids in decimal when the model has none. */
function tokenStrings(model: HookedTransformer, ids: number[]): string[] {
  return model.tokenizer ? model.toStrTokens(ids) : ids.map(String);
}

/**
 * The `k` highest activations (hook_sae_acts_post > 0) of each of `options.features` over `inputs`, with the
 * tokens around each. Streams the inputs `batchSize` rows per forward; rejects with SweepCancelledError when the
 * progress bar's Cancel is clicked or the cell interrupted.
 */
export async function featureTopExamples(
  model: HookedTransformer,
  sae: Sae,
  inputs: FeatureInputs,
  options: FeatureTopExamplesOptions,
): Promise<FeatureTopExamples[]> {
  checkSaeOnModel(model, sae);
  const features = checkFeatures(sae, options?.features);
  const k = checkCount(options.k ?? 10, "k", 1);
  const context = checkCount(options.contextTokens ?? 5, "contextTokens", 0);
  type Kept = { row: number; position: number; activation: number; tokenIds: number[]; index: number };
  const kept: Kept[][] = features.map(() => []);
  // Rows and positions arrive in increasing order, so an equal activation never displaces an earlier example.
  const insert = (list: Kept[], row: number, position: number, activation: number, ids: number[]) => {
    if (list.length === k && activation <= list[k - 1]!.activation) return;
    let at = list.length;
    while (at > 0 && list[at - 1]!.activation < activation) at--;
    const start = Math.max(0, position - context);
    const tokenIds = ids.slice(start, position + context + 1);
    list.splice(at, 0, { row, position, activation, tokenIds, index: position - start });
    if (list.length > k) list.pop();
  };
  const label = `top examples of feature${features.length > 1 ? "s" : ""} ${features.join(", ")}`;
  await streamFeatureActs(model, sae, inputs, features, options, label, (acts, width, ids, firstRow) => {
    const nf = features.length;
    ids.forEach((rowIds, r) => {
      for (let p = 0; p < rowIds.length; p++)
        for (let f = 0; f < nf; f++) {
          const a = acts[(r * width + p) * nf + f]!;
          if (a > 0) insert(kept[f]!, firstRow + r, p, a, rowIds);
        }
    });
  });
  return features.map((feature, f) => ({
    feature,
    examples: kept[f]!.map((e) => ({ ...e, tokens: tokenStrings(model, e.tokenIds) })),
  }));
}

/**
 * The tokens feature `feature` of `sae` most promotes and suppresses directly: W_dec[feature] · W_U [d_vocab],
 * the `k` highest and `k` lowest. This is the direct path only: no final layer norm scale, no b_U, no later layers.
 * The SAE must write the residual stream (d_out = d_model).
 */
export function featureLogits(model: HookedTransformer, sae: Sae, feature: number, options: { k?: number } = {}): FeatureLogits {
  checkSaeOnModel(model, sae);
  const [index] = checkFeatures(sae, feature);
  const k = checkCount(options.k ?? 10, "k", 1);
  const residual = /^(hook_embed|hook_pos_embed|blocks\.\d+\.hook_(resid_pre|resid_mid|resid_post|attn_out|mlp_out))$/;
  if (sae.cfg.reshapeActivations !== "none" || sae.cfg.dOut !== model.cfg.dModel || !residual.test(sae.cfg.hookNameOut))
    throw new Error(
      `featureLogits needs an SAE that writes the residual stream (d_out = d_model = ${model.cfg.dModel}); ${sae.describe()} writes ${sae.cfg.hookNameOut} with d_out = ${sae.cfg.dOut}`,
    );
  const kk = Math.min(k, model.cfg.dVocab);
  const [topValues, topIds, lowValues, lowIds] = tf.tidy(() => {
    const direction = sae.weight("W_dec").slice([index!, 0], [1, -1]); // [1, d_model]
    const effect = direction.matMul(model.W_U).reshape([-1]); // [d_vocab]
    const top = tf.topk(effect, kk); // [k]
    const low = tf.topk(effect.neg(), kk); // [k]
    return [top.values, top.indices, low.values.neg(), low.indices];
  });
  try {
    const list = (values: Tensor, ids: Tensor): FeatureLogit[] => {
      const v = values.dataSync();
      return Array.from(ids.dataSync()).map((id, i) => ({ tokenId: id, token: tokenStrings(model, [id])[0]!, value: v[i]! }));
    };
    return { feature: index!, top: list(topValues!, topIds!), bottom: list(lowValues!, lowIds!) };
  } finally {
    tf.dispose([topValues!, topIds!, lowValues!, lowIds!]);
  }
}

/**
 * The histogram of feature `feature`'s non-zero activations over `inputs` (`bins` equal-width bins from the
 * smallest to the largest), with its firing density (non-zero activations / tokens, padding excluded).
 */
export async function featureHistogram(
  model: HookedTransformer,
  sae: Sae,
  inputs: FeatureInputs,
  feature: number,
  options: FeatureHistogramOptions = {},
): Promise<FeatureHistogram> {
  checkSaeOnModel(model, sae);
  const [index] = checkFeatures(sae, feature);
  const bins = checkCount(options.bins ?? 20, "bins", 1);
  const values: number[] = [];
  let tokens = 0;
  await streamFeatureActs(model, sae, inputs, [index!], options, `histogram of feature ${index}`, (acts, width, ids) => {
    ids.forEach((rowIds, r) => {
      tokens += rowIds.length;
      for (let p = 0; p < rowIds.length; p++) {
        const a = acts[r * width + p]!;
        if (a !== 0) values.push(a);
      }
    });
  });
  const counts = new Array<number>(bins).fill(0);
  if (values.length === 0)
    return { feature: index!, edges: new Array<number>(bins + 1).fill(0), counts, nonZero: 0, tokens, density: 0 };
  let low = Infinity;
  let high = -Infinity;
  for (const v of values) {
    if (v < low) low = v;
    if (v > high) high = v;
  }
  const step = (high - low) / bins;
  const edges = Array.from({ length: bins + 1 }, (_, i) => (i === bins ? high : low + i * step));
  for (const v of values) counts[step > 0 ? Math.min(bins - 1, Math.floor((v - low) / step)) : 0]!++;
  return { feature: index!, edges, counts, nonZero: values.length, tokens, density: values.length / tokens };
}
