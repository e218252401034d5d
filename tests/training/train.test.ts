/**
 * The training program of the embedded models: its byte-level tokenizer
 * round-trips any text through tslens's Tokenizer, and a short run on tslens's
 * own engine lowers the loss without leaking tensors.
 */
import { strict as assert } from "assert";
import { initBackend, tf, Tokenizer } from "../../src";
import { configFromJson } from "../../src/loading/config";
import { byteTokenizerFiles } from "../../training/byteTokenizer";
import { nativeConfig, runTraining } from "../../training/train";

describe("training", function () {
  this.timeout(120_000);
  before(() => initBackend());

  it("byte-level tokenizer: one token per byte, exact round trip, <|endoftext|> as BOS", () => {
    const files = byteTokenizerFiles();
    const tokenizer = new Tokenizer(files.tokenizer, files.config);
    const text = 'def f(x):\n    return "<img src=x onerror=alert(1)>"  # café 🙂\t\u0000';
    const ids = tokenizer.encode(text);
    assert.deepEqual(ids, Array.from(Buffer.from(text, "utf8")));
    assert.equal(tokenizer.decode(ids), text);
    assert.equal(tokenizer.bosTokenId, 256);
    assert.equal(tokenizer.vocabSize, 257);
  });

  it("a short run lowers the loss and leaves no tensors behind", () => {
    const cfg = configFromJson(nativeConfig(1), "test");
    const corpus = new Uint8Array(Buffer.from("for item in items:\n    total += item.price * item.count\n".repeat(400)));
    const before = tf.memory().numTensors;
    const { params, curve } = runTraining(cfg, corpus, 60, 7);
    const first = curve[0].loss;
    const last = curve[curve.length - 1].loss;
    assert.ok(last < first * 0.6, `loss ${first} → ${last}`);
    tf.dispose([...params.values()]);
    assert.equal(tf.memory().numTensors, before);
  });
});
