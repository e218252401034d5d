/**
 * The logit lens as numbers: what the residual stream predicts at each layer. For one sequence of a run, the stream
 * entering every layer and the final stream ("0_pre" … "final_post", as `cache.accumulatedResid({ applyLn: true })`:
 * ln_final recomputed on each), unembedded, through a softmax, cut to the top k tokens per position. Plain arrays
 * come back; every tensor made on the way is freed.
 */
import type { ActivationCache } from "../cache/activationCache";
import type { HookName } from "../model/hookPoints";
import type { HookedTransformer } from "../model/hookedTransformer";
import { tf } from "../tensor";

/** Options of logitLensTopK. */
export interface LogitLensTopKOptions {
  /** Predictions kept per layer and position (default 5). */
  topK?: number;
  /** The batch row of the run to read (needed when the run holds several sequences; default 0 for one). */
  batchIndex?: number;
}

/** The top predictions of every layer at every position of one sequence. */
export interface LogitLensTopK {
  /** One label per row: "0_pre", "1_pre", …, "final_post". */
  labels: string[];
  /** The sequence's token ids [pos]. */
  tokens: number[];
  /** Their text [pos] (undefined when the model has no tokenizer). */
  strTokens?: string[];
  /** Ids of the k most probable next tokens, most probable first [layer][pos][k]. */
  topTokens: number[][][];
  /** Their text [layer][pos][k] (undefined when the model has no tokenizer). */
  topStrTokens?: string[][][];
  /** Their probabilities [layer][pos][k], descending along k. */
  topProbs: number[][][];
}

/** The hooks the logit lens reads: every layer's resid_pre and the last resid_post (ln_final is recomputed). */
export function logitLensHooks(nLayers: number): HookName[] {
  return [
    ...Array.from({ length: nLayers }, (_, l): HookName => `blocks.${l}.hook_resid_pre`),
    `blocks.${nLayers - 1}.hook_resid_post`,
  ];
}

/** Throws unless the cache holds every hook the lens reads, naming the first missing one. */
function checkCached(cache: ActivationCache, nLayers: number): void {
  const missing = logitLensHooks(nLayers).find((name) => !cache.has(name));
  if (missing)
    throw new Error(
      `the logit lens reads "${missing}", which this cache does not hold: run runWithCache without filtering out ` +
        "hook_resid_pre and the last hook_resid_post",
    );
}

/**
 * The logit lens of one sequence of a run (row `batchIndex` of a batch) (`model.runWithCache(...)`'s cache): for each of the labels "0_pre" …
 * "final_post" and each position, the `topK` most probable next tokens and their probabilities. The last row is the
 * model's own prediction (softmax of its logits). Reads the cache, never runs the model; leaves no tensors behind.
 */
export function logitLensTopK(
  model: HookedTransformer,
  cache: ActivationCache,
  options: LogitLensTopKOptions = {},
): LogitLensTopK {
  const k = options.topK ?? 5;
  const { nLayers, dModel, dVocabOut } = model.cfg;
  if (!Number.isInteger(k) || k < 1 || k > dVocabOut) throw new Error(`topK must be an integer in 1…${dVocabOut}, got ${k}`);
  const [batch, positions] = cache.tokens.shape; // [batch, pos]
  if (options.batchIndex === undefined && batch > 1)
    throw new Error(`the cache holds ${batch} sequences and the logit lens reads one: pass batchIndex (0…${batch - 1})`);
  const row = options.batchIndex ?? 0;
  if (!Number.isInteger(row) || row < 0 || row >= batch)
    throw new Error(
      `batchIndex ${row} is out of range: the cache holds ${batch} sequence${batch === 1 ? "" : "s"} (0…${batch - 1})`,
    );
  checkCached(cache, nLayers);
  const [stack, labels] = cache.accumulatedResid({ applyLn: true, returnLabels: true }); // [layers + 1, batch, pos, d_model]
  const topTokens: number[][][] = [];
  const topProbs: number[][][] = [];
  try {
    if (stack.shape[3] !== dModel)
      throw new Error(
        `the cache's residual stream has width ${stack.shape[3]}, this model's d_model is ${dModel}: it comes from another model`,
      );
    for (let l = 0; l < labels.length; l++) {
      const top = tf.tidy(() => {
        const resid = stack.slice([l, row, 0, 0], [1, 1, -1, -1]).reshape([positions, dModel]); // [pos, d_model]
        const logits = tf.matMul(resid, model.W_U).add(model.b_U); // [pos, d_vocab_out]
        const cap = model.cfg.outputLogitsSoftCap; // Gemma 2 caps its logits: the lens reads them as the model does
        const read = cap === undefined ? logits : tf.tanh(logits.div(cap)).mul(cap); // [pos, d_vocab_out]
        return tf.topk(tf.softmax(read), k); // [pos, k]
      });
      topTokens.push(top.indices.arraySync() as number[][]);
      topProbs.push(top.values.arraySync() as number[][]);
      tf.dispose([top.indices, top.values]);
    }
  } finally {
    stack.dispose();
  }
  const tokens = cache.tokens.arraySync()[row];
  const tokenizer = model.tokenizer;
  if (!tokenizer) return { labels, tokens, topTokens, topProbs };
  const text = new Map<number, string>();
  const textOf = (id: number) => text.get(id) ?? text.set(id, tokenizer.tokenStrings([id])[0]).get(id)!;
  return {
    labels,
    tokens,
    strTokens: cache.strTokens[row],
    topTokens,
    topStrTokens: topTokens.map((layer) => layer.map((cells) => cells.map(textOf))),
    topProbs,
  };
}
