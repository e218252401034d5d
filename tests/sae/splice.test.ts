/**
 * SAEs spliced into gpt2-tiny (weights unprocessed) against sae-lens's HookedSAETransformer on the same weights
 * (scripts/fixtures/make_sae_fixtures.py): run_with_saes logits, use_error_term logits (= clean), and the cached
 * hook_sae_acts_pre / acts_post / recons, ≤ 1e-4 for every architecture; feature edits through fwdHooks.
 */
import { strict as assert } from "assert";
import * as path from "path";
import { HookedTransformer, HookName, loadModel, loadSae, runWithSaes, Sae, tf } from "../../src";
import type { Tensor } from "../../src/tensor";
import { FIXTURES, maxAbsDiff } from "../support/hfReference";
import { SAE_FIXTURES, SAE_NAMES, saeReference } from "./support";

const TOLERANCE = 1e-4;
const worst: Record<string, number> = {};

describe("runWithSaes / runWithCacheWithSaes against sae-lens's HookedSAETransformer", function () {
  this.timeout(120_000);
  let model: HookedTransformer;
  before(async () => {
    model = await loadModel(path.join(FIXTURES, "gpt2-tiny"), { processWeights: false });
    model.forward([[1, 2, 3]]).dispose(); // the first run builds the model's compiled weights, kept for later runs
  });
  after(() => {
    model?.dispose();
    console.log("    worst spliced-logit |tslens − sae-lens| per SAE:", JSON.stringify(worst));
  });

  // sae-lens 6.54's HookedSAETransformer drops a skip transcoder's W_skip when splicing; tslens keeps it (below)
  for (const name of SAE_NAMES.filter((n) => n !== "skip-transcoder")) {
    it(`${name}: spliced logits, error-term logits and cached SAE activations ≤ ${TOLERANCE}`, async () => {
      const sae = await loadSae(path.join(SAE_FIXTURES, name));
      const ref = await saeReference(name);
      const out = sae.cfg.hookNameOut as HookName;
      try {
        const before = tf.memory().numTensors;
        const spliced = model.runWithSaes(ref.tokens, [sae]);
        const withError = runWithSaes(model, ref.tokens, [sae], { useErrorTerm: true });
        const { logits, cache } = model.runWithCacheWithSaes(ref.tokens, [sae]);
        const errors = [
          maxAbsDiff(spliced, ref.spliced_logits, `${name} spliced`),
          maxAbsDiff(logits, ref.spliced_logits, `${name} cached run`),
          maxAbsDiff(withError, ref.error_term_logits, `${name} error term`),
          maxAbsDiff(withError, ref.clean_logits, `${name} error term vs clean`),
          maxAbsDiff(cache.get(`${out}.hook_sae_acts_post`), ref.acts_post, `${name} acts_post`),
          maxAbsDiff(cache.get(`${out}.hook_sae_acts_pre`), ref.acts_pre, `${name} acts_pre`),
          maxAbsDiff(cache.get(`${out}.hook_sae_recons`), ref.recons, `${name} recons`),
        ];
        // splicing changes the logits: the test would catch an SAE that was not applied
        assert.ok(maxAbsDiff(spliced, ref.clean_logits, "spliced vs clean") > 0.1, `${name}: the SAE changed nothing`);
        assert.ok(cache.has(`${out}.hook_sae_output` as HookName) && !cache.has(`${out}.hook_sae_error` as HookName));
        tf.dispose([spliced, withError, logits]);
        cache.dispose();
        assert.equal(tf.memory().numTensors, before, `${name}: tensors leaked`);
        worst[name] = Math.max(...errors.slice(0, 3), ...errors.slice(4));
        assert.ok(Math.max(...errors) <= TOLERANCE, `${name}: max abs diff ${JSON.stringify(errors)}`);
      } finally {
        sae.dispose();
        tf.dispose(Object.values(ref));
      }
    });
  }

  it("skip-transcoder: the spliced output is sae.forward of the input hook's clean activation (W_skip included)", async () => {
    const sae = await loadSae(path.join(SAE_FIXTURES, "skip-transcoder"));
    const ref = await saeReference("skip-transcoder");
    const clean = model.runWithCache(ref.tokens, { namesFilter: ["blocks.0.hook_resid_mid"] });
    const { logits, cache } = model.runWithCacheWithSaes(ref.tokens, [sae]);
    const expected = sae.forward(clean.cache.get("blocks.0.hook_resid_mid"));
    const withoutSkip = tf.tidy(() => sae.decode(sae.encode(clean.cache.get("blocks.0.hook_resid_mid"))));
    try {
      assert.ok(maxAbsDiff(cache.get("blocks.0.hook_mlp_out.hook_sae_output"), expected, "skip output") <= 1e-5);
      assert.ok(maxAbsDiff(expected, withoutSkip, "skip path") > 0.1, "W_skip contributes nothing");
    } finally {
      tf.dispose([logits, clean.logits!, expected, withoutSkip]);
      cache.dispose();
      clean.cache.dispose();
      sae.dispose();
      tf.dispose(Object.values(ref));
    }
  });

  describe("feature edits through fwdHooks on SAE hook points", () => {
    let sae: Sae;
    let tokens: Tensor;
    before(async () => {
      sae = await loadSae(path.join(SAE_FIXTURES, "standard"));
      const ref = await saeReference("standard");
      tokens = ref.tokens;
      tf.dispose(
        Object.entries(ref)
          .filter(([k]) => k !== "tokens")
          .map(([, t]) => t),
      );
    });
    after(() => {
      sae?.dispose();
      tokens?.dispose();
    });

    it("zeroing every feature with the error term leaves clean − f·W_dec at the hook (SAELens's clean error)", () => {
      const hook = "blocks.1.hook_resid_pre";
      const clean = model.runWithCache(tokens, { namesFilter: [hook] });
      const { logits, cache } = model.runWithCacheWithSaes(tokens, [sae], {
        useErrorTerm: true,
        fwdHooks: [[`${hook}.hook_sae_acts_post`, (f) => f.mul(0)]],
      });
      try {
        const acts = sae.encode(clean.cache.get(hook)); // [batch, pos, d_sae]
        const expected = tf.tidy(() =>
          clean.cache
            .get(hook)
            .sub(tf.matMul(acts.reshape([-1, 64]), sae.weight("W_dec")).reshape([...acts.shape.slice(0, 2), 32])),
        );
        const err = maxAbsDiff(cache.get(`${hook}.hook_sae_output`), expected, "ablated output");
        assert.ok(err <= TOLERANCE, `ablated output differs by ${err}`);
        assert.ok(maxAbsDiff(cache.get(hook), expected, "model entry") <= TOLERANCE, "the model's own entry holds what flows on");
        assert.ok(maxAbsDiff(logits, clean.logits!, "ablated vs clean") > 0.01, "ablating every feature changed nothing");
        tf.dispose([acts, expected]);
      } finally {
        tf.dispose([logits, clean.logits!]);
        cache.dispose();
        clean.cache.dispose();
      }
    });

    it("a hook name under a point no SAE writes, a missing hook point and a bad return are clear errors, leaking nothing", async () => {
      const before = tf.memory().numTensors;
      assert.throws(
        () => runWithSaes(model, tokens, [sae], { fwdHooks: [["blocks.0.hook_resid_pre.hook_sae_acts_post", () => undefined]] }),
        /no SAE in this run writes blocks\.0\.hook_resid_pre/,
      );
      assert.throws(
        () =>
          runWithSaes(model, tokens, [sae], { fwdHooks: [["blocks.1.hook_resid_pre.hook_sae_acts_post", () => tf.zeros([1])]] }),
        /hook on blocks\.1\.hook_resid_pre\.hook_sae_acts_post returned a tensor of shape \[1\]/,
      );
      const far = Object.create(sae) as Sae; // same weights, a hook the model lacks
      Object.defineProperty(far, "cfg", {
        value: { ...sae.cfg, hookName: "blocks.7.hook_resid_pre", hookNameOut: "blocks.7.hook_resid_pre" },
      });
      assert.throws(() => runWithSaes(model, tokens, [far]), /the model has no hook point "blocks\.7\.hook_resid_pre"/);
      assert.throws(() => runWithSaes(model, tokens, [sae, sae]), /two SAEs write blocks\.1\.hook_resid_pre/);
      const wide = await loadSae(path.join(SAE_FIXTURES, "hook-z"));
      const misplaced = Object.create(wide) as Sae;
      Object.defineProperty(misplaced, "cfg", {
        value: {
          ...wide.cfg,
          hookName: "blocks.0.mlp.hook_post",
          hookNameOut: "blocks.0.mlp.hook_post",
          reshapeActivations: "none",
        },
      });
      assert.throws(
        () => runWithSaes(model, tokens, [misplaced]),
        /blocks\.0\.mlp\.hook_post has width 128, but the SAE's d_out is 32/,
      );
      wide.dispose();
      assert.equal(tf.memory().numTensors, before, "tensors leaked by failed runs");
    });

    it("a hook that throws inside a transcoder's splice frees the captured input and the cached SAE tensors", async () => {
      const tc = await loadSae(path.join(SAE_FIXTURES, "transcoder"));
      const before = tf.memory().numTensors;
      for (let i = 0; i < 3; i++) {
        assert.throws(
          () =>
            model.runWithCacheWithSaes(tokens, [tc], {
              fwdHooks: [
                [
                  "blocks.0.hook_mlp_out.hook_sae_recons",
                  () => {
                    throw new Error("steering failed");
                  },
                ],
              ],
            }),
          /steering failed/,
        );
        const { logits, cache } = model.runWithCacheWithSaes(tokens, [tc], {
          namesFilter: ["blocks.0.hook_mlp_out.hook_sae_acts_post"],
        });
        assert.deepEqual(cache.keys(), ["blocks.0.hook_mlp_out.hook_sae_acts_post"]);
        logits.dispose();
        cache.dispose();
      }
      assert.equal(tf.memory().numTensors, before, "tensors leaked across repeated runs");
      tc.dispose();
    });
  });
});
