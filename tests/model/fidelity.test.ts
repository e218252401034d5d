/**
 * Fidelity: every activation matches Hugging Face transformers on the same
 * weights (fp32, ≤ 1e-4 max-abs), for GPT-2, GPT-NeoX (rotary 25 %, parallel
 * residual) and Llama (GQA, tied and untied). References come from
 * scripts/fixtures/make_fidelity_fixtures.py (committed under tests/fixtures/models).
 */
import { describeFamilyFixture, everyLayer, LN_FINAL, LOGITS, reportWorst, type WorstErrors } from "../support/familyFixture";

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
const worst: WorstErrors = {};

describe("fidelity against Hugging Face transformers (fp32)", function () {
  this.timeout(120_000);

  for (const name of MODELS) {
    describeFamilyFixture(name, {
      inputs: INPUTS,
      tolerance: TOLERANCE,
      worst,
      title: (input) =>
        `${input}: logits, resid_pre/post, final norm, patterns, attn/mlp out ≤ ${TOLERANCE} (processWeights: false)`,
      hooks: ({ cfg: { nLayers: L } }, refNames) => [
        LOGITS,
        ...everyLayer(L, "hook_resid_pre", "resid_pre"),
        ...everyLayer(L, "attn.hook_pattern", "pattern"),
        // attn_out / mlp_out where the fixture script recorded them.
        ...everyLayer(L, "hook_attn_out", "attn_out").filter((c) => refNames.includes(c.ref)),
        ...everyLayer(L, "hook_mlp_out", "mlp_out").filter((c) => refNames.includes(c.ref)),
        { kind: "resid_post", hook: `blocks.${L - 1}.hook_resid_post`, ref: `blocks.${L - 1}.hook_resid_post` },
        // TransformerLens's ln_final.hook_normalized includes the unfolded weight (and bias): HF's last hidden state.
        LN_FINAL,
      ],
    });
  }

  reportWorst(worst);
});
