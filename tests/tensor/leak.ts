/**
 * Test helper: run a piece of tensor code and fail if it leaves tensors behind.
 */
import { strict as assert } from "assert";
import { tf } from "../../src/tensor";

/**
 * Runs `fn` (sync or async) and asserts `tf.memory().numTensors` is the same afterwards; returns fn's result.
 * Tensors that fn returns count as leaks, so dispose or read them inside fn.
 */
export async function assertNoLeak<T>(fn: () => T | Promise<T>, what = "the code under test"): Promise<T> {
  const before = tf.memory().numTensors;
  const result = await fn();
  const after = tf.memory().numTensors;
  assert.equal(after, before, `${what} leaked ${after - before} tensor(s)`);
  return result;
}
