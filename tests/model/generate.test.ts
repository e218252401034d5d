/**
 * generate: the KV cache gives exactly what recomputing the whole prefix gives
 * (positions, rotary offsets and GQA included), sampling is reproducible with a
 * seed, and no tensors are left behind.
 */
import { strict as assert } from "assert";
import * as path from "path";
import { loadModel, tf } from "../../src";
import { REPO_ROOT } from "../support/paths";

const FIXTURES = path.join(REPO_ROOT, "tests", "fixtures", "models");
const PROMPT = [
  [3, 14, 15, 92, 65],
  [35, 89, 79, 32, 38],
];

describe("generate", function () {
  this.timeout(60_000);
  for (const name of ["gpt2-tiny", "neox-tiny", "llama-tiny"]) {
    it(`${name}: greedy with the KV cache equals greedy without it, and each step is the argmax of a full forward`, async () => {
      const model = await loadModel(path.join(FIXTURES, name));
      try {
        model.forward(PROMPT).dispose(); // builds the fused weights the model keeps
        const before = tf.memory().numTensors;
        const cached = model.generate(PROMPT, { maxNewTokens: 12, temperature: 0 });
        const full = model.generate(PROMPT, { maxNewTokens: 12, temperature: 0, useKvCache: false });
        const rows = cached.arraySync() as number[][];
        assert.deepEqual(cached.shape, [2, 17]);
        assert.deepEqual(rows, full.arraySync());
        const argmax = tf.tidy(
          () =>
            model
              .forward(cached.slice([0, 0], [-1, 16]))
              .argMax(-1)
              .arraySync() as number[][],
        );
        for (let i = 0; i < 2; i++)
          for (let p = 4; p < 16; p++) assert.equal(rows[i][p + 1], argmax[i][p], `row ${i} position ${p + 1}`);
        tf.dispose([cached, full]);
        assert.equal(tf.memory().numTensors, before, "generate leaves no tensors behind");
      } finally {
        model.dispose();
      }
    });
  }

  it("samples reproducibly with a seed, only among the top-k tokens", async () => {
    const model = await loadModel(path.join(FIXTURES, "gpt2-tiny"));
    try {
      const a = model.generate(PROMPT, { maxNewTokens: 8, temperature: 1, topK: 1, seed: 7 });
      const greedy = model.generate(PROMPT, { maxNewTokens: 8, temperature: 0 });
      assert.deepEqual(a.arraySync(), greedy.arraySync(), "top-k 1 sampling is greedy");
      const s1 = model.generate(PROMPT, { maxNewTokens: 8, temperature: 1.5, seed: 11 });
      const s2 = model.generate(PROMPT, { maxNewTokens: 8, temperature: 1.5, seed: 11 });
      assert.deepEqual(s1.arraySync(), s2.arraySync());
      const s3 = model.generate(PROMPT, { maxNewTokens: 8, temperature: 1.5, seed: 12 });
      assert.notDeepEqual(s1.arraySync(), s3.arraySync(), "another seed samples another continuation");
      const k3 = model.generate(PROMPT, { maxNewTokens: 8, temperature: 2, topK: 3, seed: 5 });
      const rows = k3.arraySync() as number[][];
      const top3 = tf.tidy(() => tf.topk(model.forward(k3.slice([0, 0], [-1, 12])), 3).indices.arraySync() as number[][][]);
      for (let i = 0; i < 2; i++)
        for (let p = 4; p < 12; p++) assert.ok(top3[i][p].includes(rows[i][p + 1]), `row ${i} token ${p + 1} not in the top 3`);
      tf.dispose([a, greedy, s1, s2, s3, k3]);
      assert.throws(() => model.generate(PROMPT, { maxNewTokens: 60 }), /exceed the model's context nCtx = 64/);
    } finally {
      model.dispose();
    }
  });
});
