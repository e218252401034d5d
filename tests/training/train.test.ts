/**
 * The training program of the embedded models: batches have the documented
 * shape (BOS first, repeated spans periodic, random ids never BOS), and a short
 * run on tslens's own engine lowers the loss without leaking tensors.
 */
import { strict as assert } from "assert";
import { initBackend, tf } from "../../src";
import { configFromJson } from "../../src/loading/config";
import { DataMix, rng, sampleBatch, sampleCopyBatch } from "../../training/data";
import { nativeConfig, RECIPE, runTraining } from "../../training/train";

/** A token stream of period 9 over ids 1…9 (0 is BOS). */
const stream = Int32Array.from({ length: 5000 }, (_, i) => 1 + ((i * 7) % 9));

describe("training", function () {
  this.timeout(120_000);
  before(() => initBackend());

  it("batches: BOS then corpus windows, or a span repeated to the end of the row; random ids avoid BOS", () => {
    const mix: DataMix = {
      batch: 64,
      nCtx: 40,
      repeatedCorpusShare: 0,
      repeatedRandomShare: 1,
      minSpan: 3,
      maxSpan: 7,
      copyBatch: 0,
      copyLen: 0,
      tripleShare: 0,
      copyLayout: "fill",
    };
    const batch = sampleBatch(stream, 50, 0, mix, rng(1));
    const rows = batch.arraySync() as number[][];
    batch.dispose();
    assert.deepEqual(batch.shape, [64, 40]);
    for (const row of rows) {
      assert.equal(row[0], 0);
      const body = row.slice(1);
      assert.ok(!body.includes(0), `BOS inside ${row}`);
      const period = [3, 4, 5, 6, 7].find((p) => body.every((id, i) => i < p || id === body[i - p]));
      assert.ok(period !== undefined, `row is not a repeated span of 3–7 ids: ${row}`);
    }
    const plain = sampleBatch(stream, 50, 0, { ...mix, repeatedRandomShare: 0 }, rng(2));
    for (const row of plain.arraySync() as number[][]) {
      const at = stream.indexOf(row[1]);
      assert.ok(
        row.slice(1).every((id) => id >= 1 && id <= 9),
        `not corpus ids: ${row}`,
      );
      assert.ok(
        row.slice(2).every((id, i) => id - 1 - ((row[i + 1] - 1 + 7) % 9) === 0),
        `not a window at ${at}: ${row}`,
      );
    }
    plain.dispose();
  });

  it("copy batches: BOS then a repeated random span, or [u v u] triples at a random phase", () => {
    const mix: DataMix = {
      batch: 0,
      nCtx: 0,
      repeatedCorpusShare: 0,
      repeatedRandomShare: 0,
      minSpan: 4,
      maxSpan: 100,
      copyBatch: 200,
      copyLen: 31,
      tripleShare: 0.5,
      copyLayout: "fill",
    };
    const batch = sampleCopyBatch(50, 3, mix, rng(3));
    const rows = batch.arraySync() as number[][];
    batch.dispose();
    let triples = 0;
    const phases = new Set<number>();
    for (const row of rows) {
      assert.equal(row[0], 3);
      const body = row.slice(1);
      assert.ok(!body.includes(3), `BOS inside ${row}`);
      // Triples: for some phase, every third token (from the third on) repeats the one two before it.
      const phase = [0, 1, 2].find((f) => body.every((id, i) => i < 2 || (i + f) % 3 !== 2 || id === body[i - 2]));
      const isTriples = phase !== undefined;
      if (isTriples) phases.add(phase);
      const period = [...Array(16).keys()].slice(4).find((p) => body.every((id, i) => i < p || id === body[i - p]));
      assert.ok(isTriples || period !== undefined, `neither triples nor a repeated span of 4–15 ids: ${row}`);
      if (isTriples && period === undefined) triples++;
    }
    assert.ok(triples > 70 && triples < 130, `${triples} of 200 rows are triples`);
    assert.equal(phases.size, 3, "triples start at every phase");
  });

  it('"pairs" copy rows are runs of fresh spans, each written exactly twice', () => {
    const mix: DataMix = {
      batch: 0,
      nCtx: 0,
      repeatedCorpusShare: 0,
      repeatedRandomShare: 0,
      minSpan: 8,
      maxSpan: 30,
      copyBatch: 100,
      copyLen: 101,
      tripleShare: 0,
      copyLayout: "pairs",
    };
    const batch = sampleCopyBatch(5000, 0, mix, rng(5));
    const rows = batch.arraySync() as number[][];
    batch.dispose();
    const lengths = new Set<number>();
    for (const row of rows) {
      assert.equal(row[0], 0);
      assert.ok(!row.slice(1).includes(0), `BOS inside ${row}`);
      // Split the body into [s s] segments: with 4999 ids, chance repeats are rare enough to read the shortest fit.
      let at = 1;
      while (at < row.length) {
        const rest = row.length - at;
        const length = [...Array(23).keys()]
          .map((i) => i + 8)
          .find((n) => row.slice(at, at + n).every((id, i) => at + n + i >= row.length || row[at + n + i] === id));
        assert.ok(length !== undefined, `no [s s] segment at ${at} of ${row}`);
        if (2 * length < rest) {
          const next = row.slice(at + 2 * length, at + 2 * length + 8);
          assert.ok(!next.every((id, i) => id === row[at + i]), `a span written three times in ${row}`);
          lengths.add(length);
        }
        at += 2 * length;
      }
    }
    assert.ok(lengths.size > 15, `only ${lengths.size} distinct span lengths`);
  });

  it("a short run lowers the loss and leaves no tensors behind", () => {
    const recipe = {
      ...RECIPE,
      dModel: 64,
      nHeads: 4,
      nCtx: 32,
      copyBatch: 4,
      copyLen: 20,
      lr: 3e-3,
      warmup: 10,
      seed: 7,
      logEvery: 10,
    };
    const cfg = configFromJson(nativeConfig(1, recipe, 16), "test");
    const before = tf.memory().numTensors;
    const { params, curve } = runTraining(cfg, { tokens: stream, bos: 0 }, 60, recipe);
    const first = curve[0].loss;
    const last = curve[curve.length - 1].loss;
    assert.ok(last < first * 0.8, `loss ${first} → ${last}`);
    tf.dispose([...params.values()]);
    assert.equal(tf.memory().numTensors, before);
  });

  it("a run that fails part-way frees its parameters and optimiser, so the next run can register them again", () => {
    const recipe = { ...RECIPE, dModel: 32, nHeads: 2, nCtx: 16, copyBatch: 0, warmup: 2, logEvery: 2, seed: 3 };
    const cfg = configFromJson(nativeConfig(1, recipe, 16), "test");
    const before = tf.memory().numTensors;
    const fail = () => {
      throw new Error("stop at the first log");
    };
    assert.throws(() => runTraining(cfg, { tokens: stream, bos: 0 }, 4, recipe, fail), /stop at the first log/);
    assert.equal(tf.memory().numTensors, before, "the failed run left tensors behind");
    const { params } = runTraining(cfg, { tokens: stream, bos: 0 }, 2, recipe); // the same variable names again
    tf.dispose([...params.values()]);
    assert.equal(tf.memory().numTensors, before);
  });
});
