/**
 * Models loaded at the same time (Promise.all of loadModel) each come out whole: converting a checkpoint frees its
 * intermediates with an engine scope that spans its file reads, so two conversions running interleaved used to free
 * each other's tensors ("Tensor is disposed" on the first forward).
 */
import { strict as assert } from "assert";
import * as lens from "../../src";

const { tf } = lens;

describe("loading models at the same time", function () {
  this.timeout(120_000);

  it("two embedded models loaded at once both run, and give what each gives when loaded alone", async function () {
    const before = tf.memory().numTensors;
    const tokens = tf.tensor2d([[5, 17, 230, 5, 17]], [1, 5], "int32"); // [1, 5]
    const alone = await lens.loadModel("attn-only-1l");
    const aloneLogits = alone.forward(tokens); // [1, 5, vocab]
    alone.dispose();
    const [two, one] = await Promise.all([lens.loadModel("attn-only-2l"), lens.loadModel("attn-only-1l")]);
    try {
      const twoLogits = two.forward(tokens); // [1, 5, vocab]
      const oneLogits = one.forward(tokens); // [1, 5, vocab]
      assert.deepEqual(twoLogits.shape, [1, 5, two.cfg.dVocab]);
      const diff = tf.tidy(() => oneLogits.sub(aloneLogits).abs().max().dataSync()[0]);
      assert.equal(diff, 0, "attn-only-1l loaded beside another model differs from attn-only-1l loaded alone");
      tf.dispose([twoLogits, oneLogits]);
    } finally {
      two.dispose();
      one.dispose();
      tf.dispose([tokens, aloneLogits]);
    }
    assert.equal(tf.memory().numTensors, before);
  });

  it("a load that fails beside one that succeeds leaves the other whole and nothing allocated", async function () {
    const before = tf.memory().numTensors;
    const [missing, loaded] = await Promise.allSettled([
      lens.loadModel("/nonexistent/tslens-model"),
      lens.loadModel("attn-only-1l"),
    ]);
    assert.equal(missing.status, "rejected");
    assert.equal(loaded.status, "fulfilled");
    const model = (loaded as PromiseFulfilledResult<lens.HookedTransformer>).value;
    const tokens = tf.tensor2d([[1, 2, 3]], [1, 3], "int32"); // [1, 3]
    const logits = model.forward(tokens); // [1, 3, vocab]
    assert.ok(Number.isFinite(tf.tidy(() => logits.sum().dataSync()[0])));
    tf.dispose([tokens, logits]);
    model.dispose();
    assert.equal(tf.memory().numTensors, before);
  });
});
