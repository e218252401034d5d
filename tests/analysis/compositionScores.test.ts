/**
 * compositionScores against TransformerLens 3.9's all_composition_scores (tests/fixtures/analysis/composition.safetensors,
 * written by scripts/fixtures/make_composition_fixtures.py) on gpt2-tiny (LayerNorm folded, writing weights centred),
 * llama-tiny (grouped-query attention) and the embedded attn-only-2l; and, on attn-only-2l, the circuit the scores
 * should show: its induction head reads its previous-token head through its key.
 */
import { strict as assert } from "assert";
import * as fs from "fs";
import * as path from "path";
import * as lens from "../../src";
import { HookedTransformer, loadModel, tf } from "../../src";
import { SafetensorsFile } from "../../src/loading/safetensors";
import { REPO_ROOT } from "../support/paths";
import { ANALYSIS_FIXTURES } from "../support/tlFixtures";

const TOLERANCE = 1e-4;
const MODES: lens.CompositionMode[] = ["Q", "K", "V"];

/** TransformerLens's scores `<model>.<mode>` as nested arrays [L][H][L][H]. */
async function tlScores(): Promise<Map<string, number[][][][]>> {
  const manifest = JSON.parse(fs.readFileSync(path.join(ANALYSIS_FIXTURES, "composition-manifest.json"), "utf8"));
  const file = await SafetensorsFile.open(path.join(ANALYSIS_FIXTURES, "composition.safetensors"));
  const out = new Map<string, number[][][][]>();
  try {
    for (const name of file.names()) {
      const { values } = await file.readFloat32(name);
      const t = tf.tensor(values, manifest.results[name].shape);
      out.set(name, t.arraySync() as number[][][][]);
      t.dispose();
    }
  } finally {
    await file.close();
  }
  return out;
}

/** The largest |a − b| over two [L][H][L][H] arrays of the same shape. */
function maxDifference(a: number[][][][], b: number[][][][]): number {
  assert.deepEqual(
    [a.length, a[0].length, a[0][0].length, a[0][0][0].length],
    [b.length, b[0].length, b[0][0].length, b[0][0][0].length],
    "shape",
  );
  return Math.max(...a.flat(3).map((v, i) => Math.abs(v - b.flat(3)[i])));
}

const MODELS: [string, string][] = [
  ["gpt2-tiny", path.join(REPO_ROOT, "tests", "fixtures", "models", "gpt2-tiny")],
  ["llama-tiny", path.join(REPO_ROOT, "tests", "fixtures", "models", "llama-tiny")],
  ["attn-only-2l", path.join(REPO_ROOT, "models", "attn-only-2l")],
];

describe("compositionScores matches TransformerLens's all_composition_scores", function () {
  this.timeout(60_000);
  let tl: Map<string, number[][][][]>;
  before(async () => {
    tl = await tlScores();
  });

  for (const [name, folder] of MODELS) {
    it(`${name}: Q, K and V, by mode and all at once, within ${TOLERANCE}`, async () => {
      const model = await loadModel(folder);
      try {
        const all = lens.compositionScores(model);
        try {
          for (const mode of MODES) {
            const expected = tl.get(`${name}.${mode}`)!;
            const single = lens.compositionScores(model, { mode });
            const byMode = single.arraySync() as number[][][][];
            single.dispose();
            const error = maxDifference(byMode, expected);
            assert.ok(error <= TOLERANCE, `${name} ${mode}: max |tslens − TransformerLens| ${error}`);
            assert.equal(maxDifference(all[mode].arraySync() as number[][][][], byMode), 0, `${mode}: object vs mode`);
            // Not a vacuous match: the unmasked scores are not all zero.
            assert.ok(Math.max(...byMode.flat(3)) > 0.05, `${name} ${mode}: some score above 0.05`);
          }
        } finally {
          all.dispose();
        }
      } finally {
        model.dispose();
      }
    });
  }
});

describe("compositionScores: the induction circuit of attn-only-2l", function () {
  this.timeout(60_000);
  let model: HookedTransformer;
  before(async () => {
    model = await loadModel();
  });
  after(() => model?.dispose());

  it("the induction head's largest K-composition comes from the previous-token head, by a margin", () => {
    const tokens = lens.repeatedRandomTokens(model, { seed: 1 }); // 10 rows: BOS + 50 ids twice
    const previous = lens.detectHead(model, tokens, "previous_token_head")[0];
    const induction = lens.inductionScores(model, { seed: 1 })[1];
    const prevHead = previous.indexOf(Math.max(...previous));
    const inductionHead = induction.indexOf(Math.max(...induction));
    assert.ok(previous[prevHead] > 0.9 && induction[inductionHead] > 0.8, "the model has both heads");
    const k = lens.compositionScores(model, { mode: "K" });
    const intoInduction = (k.arraySync() as number[][][][])[0].map((heads) => heads[1][inductionHead]); // [H] from layer 0
    k.dispose();
    const sorted = [...intoInduction].sort((a, b) => b - a);
    // Measured: L0H1 → L1H1 0.151; next L0H3 0.084 and L0H0 0.085.
    assert.equal(intoInduction.indexOf(sorted[0]), prevHead, `K-composition into L1H${inductionHead}: ${intoInduction}`);
    assert.ok(sorted[0] - sorted[1] > 0.03, `margin ${sorted[0] - sorted[1]}`);
  });

  it("scores are 0 wherever the later head is not in a later layer, within [0, 1] elsewhere, with labels", () => {
    const all = lens.compositionScores(model);
    try {
      assert.deepEqual(all.labels, ["L0H0", "L0H1", "L0H2", "L0H3", "L1H0", "L1H1", "L1H2", "L1H3"]);
      for (const mode of MODES) {
        assert.deepEqual(all[mode].shape, [2, 4, 2, 4]);
        const s = all[mode].arraySync() as number[][][][];
        for (let l1 = 0; l1 < 2; l1++)
          for (let h1 = 0; h1 < 4; h1++)
            for (let l2 = 0; l2 < 2; l2++)
              for (let h2 = 0; h2 < 4; h2++) {
                const v = s[l1][h1][l2][h2];
                if (l2 <= l1) assert.equal(v, 0, `${mode} L${l1}H${h1} → L${l2}H${h2}`);
                else assert.ok(v > 0 && v <= 1, `${mode} L${l1}H${h1} → L${l2}H${h2}: ${v}`);
              }
      }
    } finally {
      all.dispose();
    }
  });

  it("a head whose weights are all zero scores 0, not NaN; a model without W_O is refused", async () => {
    const zeroed = await loadModel();
    try {
      const wO = zeroed.param("blocks.0.attn.W_O"); // [H, d_head, d_model]
      const mask = tf.tensor([0, 1, 1, 1]).reshape([4, 1, 1]);
      zeroed.setParams(new Map([["blocks.0.attn.W_O", wO.mul(mask)]])); // head 0 of layer 0 writes nothing
      mask.dispose();
      const v = lens.compositionScores(zeroed, { mode: "V" });
      const s = v.arraySync() as number[][][][];
      v.dispose();
      assert.deepEqual(s[0][0][1], [0, 0, 0, 0]);
      assert.ok(
        s[0][1][1].every((x) => x > 0),
        "the other heads still compose",
      );
      zeroed.deleteParams(["blocks.0.attn.W_O"]);
      assert.throws(() => lens.compositionScores(zeroed), /no attention weights W_O \(blocks\.0\.attn\)/);
    } finally {
      zeroed.dispose();
    }
  });

  it("bad input gets one clear error; no tensor leaks, errors included", async () => {
    const one = await loadModel("attn-only-1l");
    try {
      const before = tf.memory().numTensors;
      for (let i = 0; i < 3; i++) {
        lens.compositionScores(model).dispose();
        lens.compositionScores(model, { mode: "Q" }).dispose();
        assert.throws(() => lens.compositionScores(one), /1 layer.*at least 2 layers/);
        assert.throws(
          () => lens.compositionScores(model, { mode: "X" as lens.CompositionMode }),
          /mode must be one of Q, K, V, got "X"/,
        );
      }
      assert.equal(tf.memory().numTensors, before);
    } finally {
      one.dispose();
    }
  });
});
