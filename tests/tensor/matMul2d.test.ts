/**
 * matMul2d: TensorFlow's MatMul op for 2-D float32 products on the native backend, with its own gradient; it must
 * compute what tf.matMul computes, in every transpose case, forwards and backwards, and leak nothing.
 */
import { strict as assert } from "assert";
import { tf } from "../../src/tensor";
import { matMul2d } from "../../src/tensor/matMul2d";
import { assertNoLeak } from "./leak";

/** max |x − y| of two tensors. */
const maxDiff = (x: tf.Tensor, y: tf.Tensor) => tf.tidy(() => x.sub(y).abs().max().dataSync()[0]);

describe("matMul2d", function () {
  const cases: [boolean, boolean][] = [
    [false, false],
    [false, true],
    [true, false],
    [true, true],
  ];

  for (const [ta, tb] of cases) {
    it(`equals tf.matMul with transposeA ${ta}, transposeB ${tb}, values and gradients`, async function () {
      await assertNoLeak(() =>
        tf.tidy(() => {
          const a = tf.randomNormal(ta ? [5, 3] : [3, 5], 0, 1, "float32", 1); // [m, k] or [k, m]
          const b = tf.randomNormal(tb ? [4, 5] : [5, 4], 0, 1, "float32", 2); // [k, n] or [n, k]
          const ours = matMul2d(a, b, ta, tb); // [3, 4]
          const theirs = tf.matMul(a, b, ta, tb); // [3, 4]
          assert.deepEqual(ours.shape, [3, 4]);
          assert.ok(maxDiff(ours, theirs) < 1e-5, `values differ by ${maxDiff(ours, theirs)}`);
          // A metric that weighs each output differently, so a wrong gradient cannot pass by symmetry.
          const weights = tf.randomNormal([3, 4], 0, 1, "float32", 3);
          const metric = (f: typeof matMul2d) => (x: tf.Tensor, y: tf.Tensor) => f(x, y, ta, tb).mul(weights).sum();
          const [ga, gb] = tf.grads(metric(matMul2d))([a, b]);
          const [ea, eb] = tf.grads(metric(tf.matMul))([a, b]);
          assert.ok(maxDiff(ga, ea) < 1e-5, `∂/∂a differs by ${maxDiff(ga, ea)}`);
          assert.ok(maxDiff(gb, eb) < 1e-5, `∂/∂b differs by ${maxDiff(gb, eb)}`);
        }),
      );
    });
  }

  it("names both shapes when the inner dimensions differ", function () {
    tf.tidy(() => {
      assert.throws(() => matMul2d(tf.ones([2, 3]), tf.ones([4, 2])), /\[2,3\] · \[4,2\]|inner dimensions/);
    });
  });

  it("leaves int32 and batched products to tf.matMul (same results)", function () {
    tf.tidy(() => {
      const a = tf.tensor2d([1, 2, 3, 4], [2, 2], "int32");
      assert.deepEqual(matMul2d(a, a).arraySync(), tf.matMul(a, a).arraySync());
      const x = tf.randomNormal([2, 3, 4], 0, 1, "float32", 4); // [batch, m, k]
      const y = tf.randomNormal([2, 4, 5], 0, 1, "float32", 5); // [batch, k, n]
      assert.equal(maxDiff(matMul2d(x, y), tf.matMul(x, y)), 0);
    });
  });
});
