/**
 * Freeing intermediates before their tf.tidy ends. A block's temporaries (the raw attention scores, an activation's
 * partial products) all live until its tidy closes, and TensorFlow's allocator keeps the memory it once held: freed
 * as soon as the next step has read them, they reuse one another's memory instead. Under a gradient tape nothing is
 * freed early, since the backward pass reads what the forward pass made.
 */
import { tf } from "./tf";

/** True while a gradient tape records (inside tf.grad, tf.grads, tf.valueAndGrads, tf.variableGrads …). */
export function recordingGradients(): boolean {
  return tf.engine().state.gradientDepth > 0;
}

/**
 * Frees `tensors` now unless a gradient tape records; for temporaries no hook, cache or caller can hold (never pass
 * a hook point's value or a parameter). Freeing a tensor its tidy frees again later is harmless.
 */
export function releaseNow(...tensors: tf.Tensor[]): void {
  if (!recordingGradients()) tf.dispose(tensors);
}

/**
 * `x` through `steps` in turn, each intermediate freed once the next step has read it (`x` itself is kept); under a
 * gradient tape, the plain chain.
 */
export function chain(x: tf.Tensor, ...steps: ((t: tf.Tensor) => tf.Tensor)[]): tf.Tensor {
  let current = x;
  for (const step of steps) {
    const next = step(current);
    if (current !== x && next !== current) releaseNow(current);
    current = next;
  }
  return current;
}
