/**
 * headsMatMul: one input times every head's matrix, x [1, n, k] · w [heads, k, m] → [heads, n, m]. Values and
 * gradients must equal those of the same product with x tiled over the heads (whose gradient sums over them).
 */
import { strict as assert } from "assert";
import { tf } from "../../src/tensor";
import { headsMatMul } from "../../src/tensor/headsMatMul";
import { assertNoLeak } from "./leak";

/** max |x − y| of two tensors. */
const maxDiff = (x: tf.Tensor, y: tf.Tensor) => tf.tidy(() => x.sub(y).abs().max().dataSync()[0]);

describe("headsMatMul", function () {
  it("equals the product with x tiled over the heads, values and gradients, and leaks nothing", async function () {
    await assertNoLeak(() =>
      tf.tidy(() => {
        const x = tf.randomNormal([1, 5, 4], 0, 1, "float32", 1); // [1, n, k]
        const w = tf.randomNormal([3, 4, 2], 0, 1, "float32", 2); // [heads, k, m]
        const tiled = (x: tf.Tensor, w: tf.Tensor) => tf.matMul(tf.tile(x, [3, 1, 1]), w); // [heads, n, m]
        const ours = headsMatMul(x, w);
        assert.deepEqual(ours.shape, [3, 5, 2]);
        assert.ok(maxDiff(ours, tiled(x, w)) < 1e-6, `values differ by ${maxDiff(ours, tiled(x, w))}`);
        // A metric that weighs every head, position and column differently.
        const weights = tf.randomNormal([3, 5, 2], 0, 1, "float32", 3);
        const [gx, gw] = tf.grads((a: tf.Tensor, b: tf.Tensor) => headsMatMul(a, b).mul(weights).sum())([x, w]);
        const [ex, ew] = tf.grads((a: tf.Tensor, b: tf.Tensor) => tiled(a, b).mul(weights).sum())([x, w]);
        assert.deepEqual(gx!.shape, [1, 5, 4]);
        assert.ok(maxDiff(gx!, ex!) < 1e-5, `∂/∂x differs by ${maxDiff(gx!, ex!)}`);
        assert.ok(maxDiff(gw!, ew!) < 1e-5, `∂/∂w differs by ${maxDiff(gw!, ew!)}`);
      }),
    );
  });

  it("names both shapes when x is not [1, n, k] or the inner dimensions differ", function () {
    tf.tidy(() => {
      assert.throws(() => headsMatMul(tf.ones([2, 5, 4]), tf.ones([3, 4, 2])), /needs x \[1, n, k\].*got \[2,5,4\] · \[3,4,2\]/);
      assert.throws(() => headsMatMul(tf.ones([1, 5, 4]), tf.ones([3, 3, 2])), /got \[1,5,4\] · \[3,3,2\]/);
    });
  });
});
