/**
 * `logitLens(model, input)`: what the residual stream predicts after each layer — for every layer
 * and position the top-k next tokens and their probabilities (the stream through ln_final and the
 * unembedding, as `cache.accumulatedResid({ applyLn: true })`). The view shows the top token of
 * each cell on its probability's colour; hovering a cell lists the top k.
 */
import type { HookedTransformer, ModelInput } from "../../model/hookedTransformer";
import { tf } from "../../tensor";
import { ViewWidget } from "../core/viewWidget";
import { logitLensPng } from "./snapshot";
import { LogitLensFields, logitLensSpec } from "./spec";

/** Options of logitLens. */
export interface LogitLensOptions {
  /** Predictions listed per cell (default 5). */
  topK?: number;
}

/** Top-k predictions [layers, pos, k] and their labels. */
interface Lens {
  labels: string[];
  ids: number[][][];
  probs: Float32Array;
}

function predictions(model: HookedTransformer, tokens: ReturnType<HookedTransformer["inputTokens"]>, k: number): Lens {
  const last = `blocks.${model.cfg.nLayers - 1}.hook_resid_post`;
  const { cache } = model.runWithCache(tokens, {
    namesFilter: (n) => n.endsWith(".hook_resid_pre") || n === last || n === "ln_final.hook_scale", // what the lens reads
    returnType: "none",
  });
  try {
    const [stack, labels] = cache.accumulatedResid({ applyLn: true, returnLabels: true }); // [layers+1, 1, pos, d_model]
    try {
      const ids: number[][][] = [];
      const probs: number[] = [];
      for (let l = 0; l < labels.length; l++) {
        const top = tf.tidy(() => {
          const resid = stack.slice([l, 0, 0, 0], [1, 1, -1, -1]).reshape([tokens.shape[1]!, model.cfg.dModel]); // [pos, d_model]
          let logits = tf.matMul(resid, model.W_U); // [pos, d_vocab_out]
          if (model.b_U) logits = logits.add(model.b_U);
          return tf.topk(tf.softmax(logits), k); // [pos, k]
        });
        ids.push(top.indices.arraySync() as number[][]);
        probs.push(...(top.values.dataSync() as Float32Array));
        tf.dispose([top.indices, top.values]);
      }
      return { labels, ids, probs: new Float32Array(probs) };
    } finally {
      stack.dispose();
    }
  } finally {
    cache.dispose();
  }
}

/** The logit-lens view. */
export class LogitLens extends ViewWidget<LogitLensFields> {
  constructor(model: HookedTransformer, input: ModelInput, options: LogitLensOptions = {}) {
    const k = options.topK ?? 5;
    if (!Number.isInteger(k) || k < 1 || k > model.cfg.dVocabOut)
      throw new Error(`topK must be an integer in 1…${model.cfg.dVocabOut}, got ${k}`);
    const tokens = model.inputTokens(input); // [batch, pos] int32
    let lens: Lens;
    let strs: string[];
    try {
      if (tokens.shape[0] !== 1) throw new Error(`logitLens shows one sequence, got a batch of ${tokens.shape[0]}`);
      lens = predictions(model, tokens, k);
      strs = model.toStrTokens(tokens);
    } finally {
      tokens.dispose();
    }
    const vocab = new Map<number, string>();
    const text = (id: number) => vocab.get(id) ?? vocab.set(id, model.toStrTokens([id])[0]).get(id)!;
    super(logitLensSpec, {
      tokens: strs,
      layerLabels: lens.labels,
      topTokens: lens.ids.map((layer) => layer.map((cells) => cells.map(text))), // [layers, pos, k]
      topProbs: lens.probs, // [layers, pos, k] float32
      topK: k,
    });
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
    });
  }

  override toString(): string {
    return `LogitLens(${this.field("layerLabels").length} layers × ${this.field("tokens").length} positions, top ${this.field("topK")})`;
  }
}

/** Shows the logit lens of `input` (one sequence). */
export function logitLens(model: HookedTransformer, input: ModelInput, options: LogitLensOptions = {}): LogitLens {
  return new LogitLens(model, input, options);
}
