/**
 * Head detectors and induction diagnostics against TransformerLens 3.9 (detect_head, the
 * demo's induction score, evals.induction_loss's formula) on the same tokens, for gpt2-tiny
 * (random weights) and the embedded attn-only-2l (real previous-token and induction heads).
 */
import { strict as assert } from "assert";
import * as path from "path";
import * as lens from "../../src";
import { HookedTransformer, loadModel, tf } from "../../src";
import { REPO_ROOT } from "../support/paths";
import { TlResults, tlResults } from "../support/tlFixtures";

const TOLERANCE = 1e-4;

function assertScores(actual: number[][], tl: TlResults, name: string): void {
  const expected = tl.get(name).arraySync() as number[][];
  assert.equal(actual.length, expected.length, `${name}: layers`);
  actual.forEach((row, l) =>
    row.forEach((v, h) =>
      assert.ok(Math.abs(v - expected[l][h]) <= TOLERANCE, `${name} L${l}H${h}: tslens ${v}, TransformerLens ${expected[l][h]}`),
    ),
  );
}

const OPTION_SETS: [string, lens.DetectHeadOptions][] = [
  ["", {}],
  [".exclude_bos", { excludeBos: true }],
  [".exclude_bos.exclude_current_token", { excludeBos: true, excludeCurrentToken: true }],
  [".error_measure.abs", { errorMeasure: "abs" }],
  [".error_measure.abs.exclude_bos.exclude_current_token", { errorMeasure: "abs", excludeBos: true, excludeCurrentToken: true }],
];

const MODELS: [string, string][] = [
  ["gpt2-tiny", path.join(REPO_ROOT, "tests", "fixtures", "models", "gpt2-tiny")],
  ["attn-only-2l", path.join(REPO_ROOT, "models", "attn-only-2l")],
];

for (const [name, folder] of MODELS) {
  describe(`head detectors match TransformerLens: ${name}`, function () {
    this.timeout(60_000);
    let model: HookedTransformer;
    let tl: TlResults;
    before(async () => {
      model = await loadModel(folder);
      tl = await tlResults(name);
    });
    after(() => {
      tl?.dispose();
      model?.dispose();
    });

    for (const head of lens.HEAD_NAMES) {
      it(`detectHead "${head}" with each option set ("mul" and "abs", BOS and current token excluded)`, () => {
        const tokens = tl.ints("detect.tokens") as number[][];
        for (const [suffix, options] of OPTION_SETS)
          assertScores(lens.detectHead(model, tokens, head, options), tl, `detect.${head}${suffix}`);
      });
    }

    it("a custom pattern equal to a named one scores the same; a cache of the run gives the same scores", () => {
      const tokens = tl.ints("detect.tokens") as number[][];
      const custom = lens.inductionPattern(tokens[0]);
      assertScores(lens.detectHead(model, tokens, custom), tl, "detect.induction_head");
      const { cache } = model.runWithCache(tokens, { returnType: "none" });
      try {
        assertScores(lens.detectHead(model, tokens, "previous_token_head", { cache }), tl, "detect.previous_token_head");
      } finally {
        cache.dispose();
      }
    });

    it("inductionScores and inductionLoss on TransformerLens's tokens", () => {
      const rows = tl.ints("induction.tokens") as number[][];
      const seqLen = name === "gpt2-tiny" ? 8 : 50;
      assertScores(lens.inductionScores(model, { tokens: rows, seqLen }), tl, "induction.scores");
      const loss = lens.inductionLoss(model, { tokens: tl.ints("induction.loss_tokens") as number[][], subseqLen: seqLen });
      const expected = tl.get("induction.loss").dataSync()[0];
      assert.ok(Math.abs(loss - expected) <= TOLERANCE, `induction loss: tslens ${loss}, TransformerLens ${expected}`);
    });
  });
}

describe("head detectors on the embedded models, with their own random tokens", function () {
  this.timeout(60_000);

  it("attn-only-2l: a previous-token head in layer 0 and an induction head in layer 1; attn-only-1l: none", async () => {
    const two = await loadModel();
    const one = await loadModel("attn-only-1l");
    try {
      const ind = lens.inductionScores(two, { seed: 5 });
      assert.ok(Math.max(...ind[1]) >= 0.6, `best layer-1 induction score ${Math.max(...ind[1])}`);
      const text = "def area(width, height):\n    return width * height\n\ndef area(width, height):\n    return width * height\n";
      const prev = lens.detectHead(two, text, "previous_token_head", { excludeBos: true });
      assert.ok(Math.max(...prev[0]) >= 0.7, `best layer-0 previous-token score ${Math.max(...prev[0])}`);
      const indText = lens.detectHead(two, text, "induction_head", { excludeBos: true });
      assert.ok(Math.max(...indText[1]) >= 0.5, `best layer-1 induction_head score on repeated code ${Math.max(...indText[1])}`);
      assert.ok(Math.max(...lens.inductionScores(one, { seed: 5 }).flat()) < 0.2);
      const lossTwo = lens.inductionLoss(two, { seed: 6 });
      const lossOne = lens.inductionLoss(one, { seed: 6 });
      assert.ok(lossTwo < 0.4 * lossOne, `induction loss 2L ${lossTwo} vs 1L ${lossOne}`);
    } finally {
      two.dispose();
      one.dispose();
    }
  });

  it("repeatedRandomTokens: BOS + the same random half twice, seeded, without special tokens", async () => {
    const model = await loadModel();
    try {
      const rows = lens.repeatedRandomTokens(model, { seqLen: 20, batch: 3, seed: 9 });
      assert.deepEqual(lens.repeatedRandomTokens(model, { seqLen: 20, batch: 3, seed: 9 }), rows);
      assert.notDeepEqual(lens.repeatedRandomTokens(model, { seqLen: 20, batch: 3, seed: 10 }), rows);
      for (const row of rows) {
        assert.equal(row.length, 41);
        assert.equal(row[0], model.tokenizer!.bosTokenId);
        assert.deepEqual(row.slice(1, 21), row.slice(21));
        assert.ok(!row.slice(1).includes(model.tokenizer!.bosTokenId!));
      }
    } finally {
      model.dispose();
    }
  });

  it("bad arguments get clear errors and nothing leaks", async () => {
    const model = await loadModel();
    try {
      lens.inductionScores(model, { seqLen: 10, batch: 2 }); // the first run fuses the weights (kept by the model)
      const before = tf.memory().numTensors;
      assert.throws(() => lens.detectHead(model, "a b", "copy_head" as lens.HeadName), /unknown head pattern "copy_head"/);
      assert.throws(
        () => lens.detectHead(model, "a b c", "induction_head", { heads: [[2, 0]] }),
        /layer 2 is out of range: the model has layers 0…1/,
      );
      assert.throws(() => lens.detectHead(model, "a b c", "induction_head", { heads: { 0: [4] } }), /head 4 is out of range/);
      assert.throws(
        () =>
          lens.detectHead(
            model,
            [[0, 1, 2]],
            [
              [1, 0],
              [0, 1],
            ],
          ),
        /must be \[3, 3\]/,
      );
      assert.throws(
        () =>
          lens.detectHead(
            model,
            [[0, 1]],
            [
              [1, 1],
              [0, 1],
            ],
          ),
        /lower-triangular/,
      );
      assert.throws(() => lens.detectHead(model, [[0]], "previous_token_head"), /needs 2…256 tokens, got 1/);
      assert.throws(
        () => lens.detectHead(model, "a b", "induction_head", { errorMeasure: "sq" as "abs" }),
        /errorMeasure must be/,
      );
      assert.throws(() => lens.inductionScores(model, { seqLen: 200 }), /exceed the model's context nCtx = 256/);
      const partial = lens.detectHead(model, "x = x + 1", "previous_token_head", { heads: [[0, 1]] });
      assert.equal(partial[1][2], -1);
      assert.ok(partial[0][1] > 0);
      for (let i = 0; i < 3; i++) {
        lens.inductionScores(model, { seqLen: 10, batch: 2 });
        lens.inductionLoss(model, { batch: 2, subseqLen: 10 });
        lens.detectHead(model, "x = 1", "duplicate_token_head");
      }
      assert.equal(tf.memory().numTensors, before);
    } finally {
      model.dispose();
    }
  });
});
