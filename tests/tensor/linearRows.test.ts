/**
 * linearRows: x · w + b built in row blocks into one output (TensorFlow's Empty + InplaceUpdate on the native
 * backend). Every split of the rows must give what tf.matMul + add gives, forwards and backwards, and leak nothing,
 * errors included.
 */
import { strict as assert } from "assert";
import { tf } from "../../src/tensor";
import { linearRows } from "../../src/tensor/linearRows";
import { assertNoLeak } from "./leak";

/** max |x − y| of two tensors. */
const maxDiff = (x: tf.Tensor, y: tf.Tensor) => tf.tidy(() => x.sub(y).abs().max().dataSync()[0]);

describe("linearRows", function () {
  // 7 rows: blocks of 1, 2 and 3 leave a short last block; 7 and 9 are one block.
  for (const blockRows of [1, 2, 3, 7, 9]) {
    for (const withBias of [true, false]) {
      it(`equals tf.matMul${withBias ? " + b" : ""} in blocks of ${blockRows} rows, values and gradients`, async function () {
        await assertNoLeak(() =>
          tf.tidy(() => {
            const x = tf.randomNormal([7, 5], 0, 1, "float32", 1); // [m, k]
            const w = tf.randomNormal([5, 6], 0, 1, "float32", 2); // [k, n]
            const b = withBias ? tf.randomNormal([6], 0, 1, "float32", 3) : undefined; // [n]
            const reference = (x: tf.Tensor, w: tf.Tensor, b?: tf.Tensor) => (b ? tf.matMul(x, w).add(b) : tf.matMul(x, w));
            const ours = linearRows(x, w, b, blockRows); // [7, 6]
            assert.deepEqual(ours.shape, [7, 6]);
            assert.ok(maxDiff(ours, reference(x, w, b)) < 1e-5, `values differ by ${maxDiff(ours, reference(x, w, b))}`);
            // Each row of the output weighed differently, so a block written to the wrong rows cannot pass.
            const weights = tf.randomNormal([7, 6], 0, 1, "float32", 4);
            const inputs = b ? [x, w, b] : [x, w];
            const metric =
              (f: typeof linearRows) =>
              (...t: tf.Tensor[]) =>
                f(t[0]!, t[1]!, t[2], blockRows).mul(weights).sum();
            const ours_ = tf.grads(metric(linearRows))(inputs);
            const theirs = tf.grads((...t: tf.Tensor[]) => reference(t[0]!, t[1]!, t[2]).mul(weights).sum())(inputs);
            ours_.forEach((g, i) =>
              assert.ok(maxDiff(g, theirs[i]!) < 1e-5, `gradient ${i} differs by ${maxDiff(g, theirs[i]!)}`),
            );
          }),
        );
      });
    }
  }

  it("writes every row once: a product of distinct rows comes back in order", function () {
    tf.tidy(() => {
      const x = tf.range(0, 10, 1, "float32").reshape([10, 1]); // row i holds i
      const w = tf.ones([1, 3]);
      assert.deepEqual(linearRows(x, w, tf.tensor1d([0, 100, 200]), 4).arraySync(), [
        ...Array.from({ length: 10 }, (_, i) => [i, i + 100, i + 200]),
      ]);
    });
  });

  it("names the shapes of a bad product, and leaks nothing when refusing it", async function () {
    await assertNoLeak(() =>
      tf.tidy(() => {
        assert.throws(() => linearRows(tf.ones([2, 3]), tf.ones([4, 2])), /inner dimensions differ, \[2,3\] · \[4,2\]/);
        assert.throws(() => linearRows(tf.ones([2, 3]), tf.ones([3, 2]), tf.ones([3])), /b must be \[2\], got \[3\]/);
        assert.throws(() => linearRows(tf.ones([1, 2, 3]), tf.ones([3, 2])), /must be 2-D, got \[1,2,3\]/);
      }),
    );
  });

  it("computes int32 products as tf.matMul does", function () {
    tf.tidy(() => {
      const a = tf.tensor2d([1, 2, 3, 4, 5, 6], [3, 2], "int32");
      const w = tf.tensor2d([1, 0, 2, 1], [2, 2], "int32");
      assert.deepEqual(linearRows(a, w, undefined, 1).arraySync(), tf.matMul(a, w).arraySync());
    });
  });
});
