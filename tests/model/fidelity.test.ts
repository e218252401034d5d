/**
 * Fidelity: every activation matches Hugging Face transformers on the same
 * weights (fp32, ≤ 1e-4 max-abs), for GPT-2, GPT-NeoX (rotary 25 %, parallel
 * residual) and Llama (GQA, tied and untied). References come from
 * scripts/fixtures/make_fidelity_fixtures.py (committed under tests/fixtures/models).
 */
import { strict as assert } from "assert";
import * as path from "path";
import { HookedTransformer, loadModel, tf } from "../../src";
import type { Tensor } from "../../src/tensor";
import { FIXTURES, hfReference, maxAbsDiff } from "../support/hfReference";

const MODELS = [
  "gpt2-tiny",
  "neox-tiny",
  "llama-tiny",
  "llama-tiny-tied",
  "llama-tiny-rope-llama3",
  "llama-tiny-rope-linear",
  "llama-tiny-tokenizer",
];
const INPUTS = ["single", "batch"];
const TOLERANCE = 1e-4;

/** Worst error per kind of activation, for the report. */
const worst: Record<string, number> = {};

describe("fidelity against Hugging Face transformers (fp32)", function () {
  this.timeout(120_000);

  for (const name of MODELS) {
    describe(name, function () {
      let raw: HookedTransformer;
      let processed: HookedTransformer;
      before(async () => {
        raw = await loadModel(path.join(FIXTURES, name), { processWeights: false });
        processed = await loadModel(path.join(FIXTURES, name));
      });
      after(() => {
        raw?.dispose();
        processed?.dispose();
      });

      for (const input of INPUTS) {
        it(`${input}: logits, resid_pre/post, final norm, patterns, attn/mlp out ≤ ${TOLERANCE} (processWeights: false)`, async () => {
          const ref = await hfReference(name, input);
          const { logits, cache } = raw.runWithCache(ref.tokens);
          try {
            const check = (kind: string, actual: Tensor, refName: string) => {
              const expected = ref.tensors.get(refName);
              assert.ok(expected, `reference lacks ${refName}`);
              const err = maxAbsDiff(actual, expected, `${name}/${input} ${refName}`);
              worst[`${name} ${kind}`] = Math.max(worst[`${name} ${kind}`] ?? 0, err);
              assert.ok(err <= TOLERANCE, `${name}/${input} ${refName}: max abs diff ${err}`);
            };
            check("logits", logits, "logits");
            const L = raw.cfg.nLayers;
            for (let l = 0; l < L; l++) {
              check("resid_pre", cache.get(`blocks.${l}.hook_resid_pre`), `blocks.${l}.hook_resid_pre`);
              check("pattern", cache.get(`blocks.${l}.attn.hook_pattern`), `blocks.${l}.attn.hook_pattern`);
              if (ref.tensors.has(`blocks.${l}.hook_attn_out`))
                check("attn_out", cache.get(`blocks.${l}.hook_attn_out`), `blocks.${l}.hook_attn_out`);
              if (ref.tensors.has(`blocks.${l}.hook_mlp_out`))
                check("mlp_out", cache.get(`blocks.${l}.hook_mlp_out`), `blocks.${l}.hook_mlp_out`);
            }
            check("resid_post", cache.get(`blocks.${L - 1}.hook_resid_post`), `blocks.${L - 1}.hook_resid_post`);
            // TransformerLens's ln_final.hook_normalized includes the unfolded weight (and bias): HF's last hidden state.
            check("ln_final", cache.get("ln_final.hook_normalized"), "ln_final.out");
          } finally {
            logits.dispose();
            cache.dispose();
            tf.dispose([ref.tokens, ...ref.tensors.values()]);
          }
        });

        it(`${input}: log-softmax of logits ≤ ${TOLERANCE} with default weight processing`, async () => {
          const ref = await hfReference(name, input);
          const logits = processed.forward(ref.tokens);
          const logProbs = tf.logSoftmax(logits);
          try {
            const err = maxAbsDiff(logProbs, ref.tensors.get("log_probs")!, `${name}/${input} log_probs`);
            worst[`${name} log_probs (processed)`] = Math.max(worst[`${name} log_probs (processed)`] ?? 0, err);
            assert.ok(err <= TOLERANCE, `${name}/${input}: log-probs max abs diff ${err}`);
          } finally {
            tf.dispose([logits, logProbs, ref.tokens, ...ref.tensors.values()]);
          }
        });
      }
    });
  }

  after(() => {
    console.log(`      worst max-abs errors (${tf.getBackend()}):`);
    for (const [k, v] of Object.entries(worst)) console.log(`        ${k}: ${v.toExponential(2)}`);
  });
});
