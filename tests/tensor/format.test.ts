/**
 * How tensors print: torch-style values with shape and dtype, summarised when large without downloading the whole
 * tensor, for disposed tensors too, and through Node's inspector (cell results, console.log, nested values).
 */
import { strict as assert } from "assert";
import { format, inspect } from "util";
import { formatTensor, tf } from "../../src/tensor";
import { assertNoLeak } from "./leak";

/** Formats a tensor made by `make` and disposes it. */
function formatted(make: () => tf.Tensor): string {
  const t = make();
  try {
    return formatTensor(t);
  } finally {
    t.dispose();
  }
}

describe("tensor printing", function () {
  it("prints an int32 matrix with shape and dtype, rows aligned under each other", function () {
    const text = formatted(() =>
      tf.tensor2d(
        [
          [1, 2],
          [3, 40],
        ],
        undefined,
        "int32",
      ),
    );
    assert.equal(text, "tensor([[ 1,  2],\n        [ 3, 40]], shape=[2, 2], dtype=int32)");
  });

  it("prints floats with 4 decimals in one width, integral floats as '1.', and wide ranges in scientific notation", function () {
    assert.equal(
      formatted(() => tf.tensor([0.123456, -1.5, 2])),
      "tensor([ 0.1235, -1.5000,  2.0000], shape=[3], dtype=float32)",
    );
    assert.equal(
      formatted(() => tf.tensor([1, -2, 3])),
      "tensor([ 1., -2.,  3.], shape=[3], dtype=float32)",
    );
    assert.equal(
      formatted(() => tf.tensor([0.00001, 1000])),
      "tensor([1.0000e-05, 1.0000e+03], shape=[2], dtype=float32)",
    );
    assert.equal(
      formatted(() => tf.tensor([NaN, Infinity, -Infinity, 0.5])),
      "tensor([   nan,    inf,   -inf, 0.5000], shape=[4], dtype=float32)",
    );
  });

  it("prints scalars, booleans, strings and empty tensors", function () {
    assert.equal(
      formatted(() => tf.scalar(Math.PI)),
      "tensor(3.1416, shape=[], dtype=float32)",
    );
    assert.equal(
      formatted(() => tf.tensor([true, false], undefined, "bool")),
      "tensor([ true, false], shape=[2], dtype=bool)",
    );
    assert.equal(
      formatted(() => tf.tensor(["a", 'b"c'])),
      'tensor(["a", "b\\"c"], shape=[2], dtype=string)',
    );
    assert.equal(
      formatted(() => tf.zeros([0])),
      "tensor([], shape=[0], dtype=float32)",
    );
  });

  it("separates the matrices of a 3-d tensor by a blank line", function () {
    const text = formatted(() => tf.range(0, 8, 1, "int32").reshape([2, 2, 2]));
    assert.equal(
      text,
      "tensor([[[0, 1],\n         [2, 3]],\n\n        [[4, 5],\n         [6, 7]]], shape=[2, 2, 2], dtype=int32)",
    );
  });

  it("wraps a long row at 80 columns, continuing under its first value", function () {
    const text = formatted(() => tf.range(0, 40, 1, "int32"));
    const row = (from: number, to: number) =>
      Array.from({ length: to - from }, (_, i) => String(from + i).padStart(2)).join(", ");
    assert.equal(text, `tensor([${row(0, 18)},\n        ${row(18, 36)},\n        ${row(36, 40)}], shape=[40], dtype=int32)`);
    for (const line of text.split("\n").slice(0, -1)) assert.ok(line.length <= 80, `line too long: ${line}`);
  });

  it("summarises a large tensor to its first and last 3 per axis, reading only those values, leaking nothing", async function () {
    const big = tf.range(0, 1_000_000, 1, "int32").reshape([1000, 1000]);
    // Downloading the whole tensor is what summarising must avoid.
    big.dataSync = () => assert.fail("formatTensor downloaded the whole tensor");
    big.data = () => assert.fail("formatTensor downloaded the whole tensor");
    const text = await assertNoLeak(() => formatTensor(big), "formatTensor");
    big.dispose();
    const row = (r: number) =>
      `[${[0, 1, 2].map((c) => String(r * 1000 + c).padStart(6)).join(", ")}, ..., ${[997, 998, 999]
        .map((c) => String(r * 1000 + c).padStart(6))
        .join(", ")}]`;
    const rows = [row(0), row(1), row(2), "...", row(997), row(998), row(999)];
    assert.equal(text, `tensor([${rows.join(",\n        ")}], shape=[1000, 1000], dtype=int32)`);
  });

  it("does not summarise at 1000 elements, and does above", function () {
    assert.doesNotMatch(
      formatted(() => tf.zeros([1000])),
      /\.\.\./,
    );
    assert.equal(
      formatted(() => tf.range(0, 1001, 1, "int32")),
      "tensor([   0,    1,    2, ...,  998,  999, 1000], shape=[1001], dtype=int32)",
    );
  });

  it("prints a disposed tensor as disposed, with its shape and dtype, instead of throwing", function () {
    const t = tf.ones([2, 3]);
    t.dispose();
    assert.equal(formatTensor(t), "tensor(<disposed>, shape=[2, 3], dtype=float32)");
    assert.equal(inspect(t), "tensor(<disposed>, shape=[2, 3], dtype=float32)");
  });

  it("is what util.inspect and console.log print, also inside arrays and objects", async function () {
    const text = await assertNoLeak(() =>
      tf.tidy(() => {
        const v = tf.tensor([1.5, 2]);
        const s = tf.scalar(7, "int32");
        return { nested: inspect([v, { s }]), logged: format("%o|%s", s, v), plain: format(v) };
      }),
    );
    assert.equal(
      text.nested,
      "[\n  tensor([1.5000, 2.0000], shape=[2], dtype=float32),\n  { s: tensor(7, shape=[], dtype=int32) }\n]",
    );
    assert.match(text.logged, /^tensor\(7, shape=\[\], dtype=int32\)\|/);
    assert.equal(text.plain, "tensor([1.5000, 2.0000], shape=[2], dtype=float32)");
  });

  it("prints a short form beyond the inspection depth, as Node does for nested objects", function () {
    const t = tf.tensor([1, 2], undefined, "int32");
    assert.equal(inspect({ a: { b: t } }, { depth: 1 }), "{ a: { b: tensor(..., shape=[2], dtype=int32) } }");
    t.dispose();
  });
});
