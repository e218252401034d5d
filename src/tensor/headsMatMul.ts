/**
 * One input multiplied by every head's matrix: x [1, n, k] · w [heads, k, m] → [heads, n, m], a batched product that
 * broadcasts x over the heads (reading per-head weights in their own layout, with no copy of them). tfjs's gradient
 * of a batched product does not sum over a broadcast batch axis (it hands back x's gradient as [heads, n, k]), so
 * under a gradient tape the product carries its own: ∂x = Σ_heads dy · wᵀ, ∂w = xᵀ · dy.
 */
import { recordingGradients } from "./release";
import { tf } from "./tf";

/** The product with its gradient, for runs under a gradient tape. */
const withGradient = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
  const [input, weights, save] = args as [tf.Tensor, tf.Tensor, tf.GradSaveFunc];
  save([input, weights]);
  return {
    value: tf.matMul(input, weights), // [heads, n, m]
    gradFunc: (dy, saved) => {
      const [savedX, savedW] = saved as tf.Tensor[];
      const g = dy as tf.Tensor; // [heads, n, m]
      return [tf.matMul(g, savedW!, false, true).sum(0, true), tf.matMul(savedX!, g, true, false)]; // [1, n, k], [heads, k, m]
    },
  };
});

/** x [1, n, k] · w [heads, k, m] → [heads, n, m] (x broadcast over the heads), differentiable in both. */
export function headsMatMul(x: tf.Tensor, w: tf.Tensor): tf.Tensor {
  if (x.rank !== 3 || w.rank !== 3 || x.shape[0] !== 1 || x.shape[2] !== w.shape[1])
    throw new Error(`headsMatMul: needs x [1, n, k] and w [heads, k, m], got [${x.shape}] · [${w.shape}]`);
  return recordingGradients() ? withGradient(x, w) : tf.matMul(x, w); // [heads, n, m]
}
