/**
 * generate on padded batches: every row of a batch of prompts of different lengths (texts padded on either side, or
 * token ids with their mask) continues exactly as the prompt alone would, with and without the KV cache.
 */
import { strict as assert } from "assert";
import * as path from "path";
import { loadModel, tf } from "../../src";
import type { Tensor } from "@tensorflow/tfjs-core";
import { REPO_ROOT } from "../support/paths";

const LLAMA = path.join(REPO_ROOT, "tests", "fixtures", "models", "llama-tiny");

describe("generate on padded batches", function () {
  this.timeout(60_000);

  it("texts padded left or right: each row continues as its prompt alone (greedy, KV cache on and off)", async () => {
    const model = await loadModel("attn-only-1l");
    try {
      const texts = ["The cat sat on the mat and", "Hello", "Once upon a time there"];
      const alone = texts.map((t) => model.generate(t, { maxNewTokens: 5, temperature: 0, stopAtEos: false }));
      for (const paddingSide of ["left", "right"] as const)
        for (const useKvCache of [true, false]) {
          const before = tf.memory().numTensors;
          const batch = model.generate(texts, { maxNewTokens: 5, temperature: 0, stopAtEos: false, paddingSide, useKvCache });
          assert.deepEqual(batch, alone, `${paddingSide} padding, useKvCache ${useKvCache}`);
          assert.equal(tf.memory().numTensors, before, "tensors left after generate");
        }
    } finally {
      model.dispose();
    }
  });

  it("token ids with an attentionMask (rotary model): each row's real tokens and continuation match its own run", async () => {
    const model = await loadModel(LLAMA);
    try {
      const rows = [
        [5, 17, 3, 40, 22, 9],
        [12, 7],
        [33, 2, 19],
      ];
      const width = 6;
      const ids = rows.map((r) => [...r, ...new Array<number>(width - r.length).fill(0)]); // right-padded
      const mask = rows.map((r) => [...r.map(() => 1), ...new Array<number>(width - r.length).fill(0)]);
      const out = model.generate(ids, { maxNewTokens: 4, temperature: 0, attentionMask: mask }) as Tensor;
      const got = out.arraySync() as number[][];
      out.dispose();
      rows.forEach((row, b) => {
        const single = model.generate([row], { maxNewTokens: 4, temperature: 0 }) as Tensor;
        const expected = (single.arraySync() as number[][])[0];
        single.dispose();
        // Padded rows come back left-padded: the row's tokens and its continuation end every row.
        assert.deepEqual(got[b].slice(width - row.length), expected, `row ${b}`);
      });
    } finally {
      model.dispose();
    }
  });
});
