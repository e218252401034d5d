/**
 * Attention summaries on hand-built patterns (uniform, one-hot, BOS sink) and on the
 * embedded model, where layer 1's BOS-resting heads and its induction head differ as expected.
 */
import { strict as assert } from "assert";
import * as lens from "../../src";
import { loadModel, tf } from "../../src";

/** [1, 2, 3, 3]: head 0 uniform over visible keys, head 1 always on the previous key (BOS for query 0). */
function handPattern(): lens.tf.Tensor {
  const uniform = [
    [1, 0, 0],
    [1 / 2, 1 / 2, 0],
    [1 / 3, 1 / 3, 1 / 3],
  ];
  const previous = [
    [1, 0, 0],
    [1, 0, 0],
    [0, 1, 0],
  ];
  return tf.tensor4d([[uniform, previous]]);
}

describe("attention summaries", function () {
  this.timeout(60_000);

  it("entropy is ln(visible keys) for uniform attention and 0 for one-hot; BOS share and top source per query", () => {
    const p = handPattern();
    const entropy = lens.attentionEntropy(p);
    const bos = lens.bosAttention(p);
    const top = lens.topSource(p);
    try {
      const e = entropy.arraySync() as number[][][];
      [0, Math.log(2), Math.log(3)].forEach((x, q) => assert.ok(Math.abs(e[0][0][q] - x) < 1e-6, `uniform q${q}: ${e[0][0][q]}`));
      assert.deepEqual(e[0][1], [0, 0, 0]);
      assert.deepEqual(bos.arraySync(), [[[1, 0.5, 1 / 3].map((x) => Math.fround(x)), [1, 1, 0]]]);
      assert.deepEqual(top.index.arraySync(), [
        [
          [0, 0, 0],
          [0, 0, 1],
        ],
      ]);
      assert.equal(top.index.dtype, "int32");
      const s = lens.headSummary(p);
      assert.ok(Math.abs(s.entropy[0] - (Math.log(2) + Math.log(3)) / 3) < 1e-6);
      assert.ok(Math.abs(s.bos[1] - 2 / 3) < 1e-6);
      assert.ok(Math.abs(s.topWeight[1] - 1) < 1e-6);
    } finally {
      tf.dispose([p, entropy, bos, top.index, top.weight]);
    }
  });

  it("rejects a tensor that is not a pattern", () => {
    const t = tf.zeros([2, 3, 4]);
    assert.throws(() => lens.attentionEntropy(t), /expected an attention pattern \[batch, head, query, key\], got \[2,3,4\]/);
    t.dispose();
  });

  it("attn-only-2l on the second copy of repeated tokens: the induction head is sharp and ignores BOS; the resting heads sit on BOS", async () => {
    const model = await loadModel();
    try {
      const rows = lens.repeatedRandomTokens(model, { seqLen: 30, batch: 4, seed: 3 });
      const { cache } = model.runWithCache(rows, { namesFilter: "blocks.1.attn.hook_pattern", returnType: "none" });
      const pattern = cache.get("blocks.1.attn.hook_pattern"); // [4, head, 61, 61]
      const secondRepeat = pattern.slice([0, 0, 31, 0], [-1, -1, -1, -1]); // queries of the second copy
      const summary = lens.headSummary(secondRepeat);
      tf.dispose(secondRepeat);
      cache.dispose();
      const ind = lens.inductionScores(model, { tokens: rows, seqLen: 30 })[1];
      const inductionHead = ind.indexOf(Math.max(...ind));
      const others = [0, 1, 2, 3].filter((h) => h !== inductionHead);
      assert.ok(summary.bos[inductionHead] < 0.3, `induction head's BOS share ${summary.bos[inductionHead]}`);
      assert.ok(summary.topWeight[inductionHead] > 0.7, `induction head's top-source weight ${summary.topWeight[inductionHead]}`);
      assert.ok(Math.max(...others.map((h) => summary.bos[h])) > 0.5, `BOS shares ${summary.bos}`);
    } finally {
      model.dispose();
    }
  });
});
