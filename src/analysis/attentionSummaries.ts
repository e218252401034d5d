/**
 * Per-head summaries of attention patterns [batch, head, query, key] (e.g. from
 * cache.get("blocks.0.attn.hook_pattern"), or some of its query rows), for score grids and widgets: the entropy of each
 * query's attention, the share it gives to position 0 (BOS), and the key it attends to most.
 * Each returns new tensors the caller disposes.
 */
import type { Tensor } from "@tensorflow/tfjs-core";
import { tf } from "../tensor";

function checkPattern(pattern: Tensor): void {
  if (pattern.rank !== 4) throw new Error(`expected an attention pattern [batch, head, query, key], got [${pattern.shape}]`);
}

/** Entropy in nats of each query's attention [batch, head, query]: 0 = one key, ln(q + 1) = uniform over the visible keys. */
export function attentionEntropy(pattern: Tensor): Tensor {
  checkPattern(pattern);
  return tf.tidy(() => {
    const positive = pattern.greater(0);
    const logs = tf.where(positive, pattern.log(), tf.zerosLike(pattern)); // 0·log 0 counts as 0 (masked keys)
    return tf.scalar(0).sub(pattern.mul(logs).sum(-1)); // 0 − Σ p·log p (not neg(), which gives −0)
  });
}

/** Attention each query gives to position 0 (BOS when prepended) [batch, head, query]. */
export function bosAttention(pattern: Tensor): Tensor {
  checkPattern(pattern);
  return tf.tidy(() => pattern.slice([0, 0, 0, 0], [-1, -1, -1, 1]).squeeze([3]));
}

/** The key each query attends to most and that weight: `{ index: int32 [batch, head, query], weight: [batch, head, query] }`. */
export function topSource(pattern: Tensor): { index: Tensor; weight: Tensor } {
  checkPattern(pattern);
  return tf.tidy(() => ({ index: pattern.argMax(-1).cast("int32"), weight: pattern.max(-1) }));
}

/** Means over batch and queries, per head [head]: entropy, BOS attention and top-source weight of one layer's pattern. */
export function headSummary(pattern: Tensor): { entropy: number[]; bos: number[]; topWeight: number[] } {
  checkPattern(pattern);
  return tf.tidy(() => {
    const mean = (t: Tensor) => t.mean([0, 2]).arraySync() as number[];
    const { index, weight } = topSource(pattern);
    index.dispose();
    return { entropy: mean(attentionEntropy(pattern)), bos: mean(bosAttention(pattern)), topWeight: mean(weight) };
  });
}
