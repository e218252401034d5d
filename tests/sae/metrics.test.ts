/**
 * lens.saeMetrics against sae-lens's own evals (get_recons_loss, ExplainedVarianceCalculator; l0 and mse as
 * get_sparsity_and_variance_metrics computes them) on gpt2-tiny with one token id ignored
 * (tests/fixtures/saes/metrics.json from scripts/fixtures/make_sae_fixtures.py).
 */
import { strict as assert } from "assert";
import * as fs from "fs";
import * as path from "path";
import { HookedTransformer, loadModel, loadSae, saeMetrics, tf } from "../../src";
import type { Tensor2D } from "@tensorflow/tfjs-core";
import { FIXTURES } from "../support/hfReference";
import { SAE_FIXTURES, saeReference } from "./support";

interface Expected {
  ce_loss_with_sae: number;
  ce_loss_without_sae: number;
  ce_loss_with_ablation: number;
  ce_loss_score: number;
  l0: number;
  mse: number;
  explained_variance: number;
  dead_features: number[];
  tokens: number;
}

/** |a − b| relative to max(1, |b|). */
function close(actual: number, expected: number, what: string): void {
  const err = Math.abs(actual - expected) / Math.max(1, Math.abs(expected));
  assert.ok(err <= 1e-4, `${what}: ${actual} vs sae-lens ${expected}`);
}

describe("saeMetrics against sae-lens's evals", function () {
  this.timeout(60_000);
  const reference = JSON.parse(fs.readFileSync(path.join(SAE_FIXTURES, "metrics.json"), "utf8")) as Record<string, unknown>;
  const ignore = reference.ignore_tokens as number[];
  let model: HookedTransformer;
  let tokens: Tensor2D;
  before(async () => {
    model = await loadModel(path.join(FIXTURES, "gpt2-tiny"), { processWeights: false });
    const ref = await saeReference("standard");
    tokens = ref.tokens as Tensor2D;
    tf.dispose(
      Object.entries(ref)
        .filter(([k]) => k !== "tokens")
        .map(([, t]) => t),
    );
    model.forward(tokens).dispose(); // the first run builds the model's compiled weights
  });
  after(() => {
    model?.dispose();
    tokens?.dispose();
  });

  for (const name of ["standard", "topk", "jumprelu", "gated"]) {
    it(`${name}: l0, mse, explained variance, CE with / without / ablated, CE score, dead features`, async () => {
      const expected = reference[name] as Expected;
      const sae = await loadSae(path.join(SAE_FIXTURES, name));
      try {
        const before = tf.memory().numTensors;
        const m = saeMetrics(model, sae, tokens, { ignoreTokens: ignore });
        assert.equal(tf.memory().numTensors, before, "tensors leaked");
        assert.equal(m.tokens, expected.tokens);
        close(m.l0, expected.l0, "l0");
        close(m.mse, expected.mse, "mse");
        close(m.explainedVariance, expected.explained_variance, "explained variance");
        close(m.ceLossWithoutSae, expected.ce_loss_without_sae, "CE without SAE");
        close(m.ceLossWithSae, expected.ce_loss_with_sae, "CE with SAE");
        close(m.ceLossWithAblation, expected.ce_loss_with_ablation, "CE with zero ablation");
        close(m.ceLossScore, expected.ce_loss_score, "CE loss score");
        assert.deepEqual(m.deadFeatures, expected.dead_features);
        assert.equal(m.featureDensity.length, sae.cfg.dSae);
      } finally {
        sae.dispose();
      }
    });
  }

  it("refuses float token ids and an all-ignored token set, leaking nothing", async () => {
    const sae = await loadSae(path.join(SAE_FIXTURES, "standard"));
    const before = tf.memory().numTensors;
    const floats = tf.zeros([1, 3]) as Tensor2D;
    assert.throws(() => saeMetrics(model, sae, floats), /int32 tensor \[batch, pos\], got float32 \[1,3\]/);
    const same = tf.fill([1, 3], 5, "int32") as Tensor2D;
    assert.throws(() => saeMetrics(model, sae, same, { ignoreTokens: [5] }), /every token is in ignoreTokens/);
    tf.dispose([floats, same]);
    assert.equal(tf.memory().numTensors, before, "tensors leaked");
    sae.dispose();
  });
});
