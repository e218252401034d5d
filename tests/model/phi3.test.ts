/**
 * Phi-3 (Phi3ForCausalLM) against Hugging Face transformers on the tiny random checkpoints of
 * scripts/fixtures/make_phi3_fixtures.py: fused qkv_proj / gate_up_proj, partial rotary (0.75) and a sliding window
 * of 5 on prompts of 9 and 12 tokens. Logits, every layer's resid_pre / resid_post, ln_final.hook_normalized and
 * patterns ≤ 1e-4 without weight processing; log-probs ≤ 1e-4 with the default processing; padded batches (both
 * sides) equal each prompt run alone; LongRoPE (phi3-tiny-longrope: original context 8) on both sides of its switch
 * from short to long factors, in single runs, padded batches and generation.
 */
import { strict as assert } from "assert";
import * as fs from "fs";
import * as path from "path";
import { HookedTransformer, loadModel, tf } from "../../src";
import { configFromJson } from "../../src/loading/config";
import {
  assertGreedyMatchesFullForward,
  assertNoLeak,
  checkPaddedBatch,
  describeFamilyFixture,
  everyLayer,
  LN_FINAL,
  LOGITS,
  PADDED_PROMPTS,
  reportWorst,
  type WorstErrors,
} from "../support/familyFixture";
import { copyWithConfig, copyWithoutTensors, readConfig } from "../support/fixtureCopies";
import { FIXTURES, hfReference, maxAbsDiff } from "../support/hfReference";

/** Fixture → its reference inputs (phi3-tiny-longrope's "short" stays within its original context of 8). */
const MODELS: Record<string, string[]> = {
  "phi3-tiny": ["single", "batch"],
  "phi3-tiny-tied": ["single", "batch"],
  "phi3-tiny-longrope": ["single", "batch", "short"],
};
const TOLERANCE = 1e-4;

const worst: WorstErrors = {};

describe("Phi-3 against Hugging Face transformers (fp32)", function () {
  this.timeout(120_000);

  for (const [name, inputs] of Object.entries(MODELS)) {
    describeFamilyFixture(name, {
      inputs,
      tolerance: TOLERANCE,
      worst,
      title: (input) =>
        `${input}: logits, every resid_pre/resid_post, ln_final.hook_normalized, patterns ≤ ${TOLERANCE} (processWeights: false)`,
      hooks: ({ cfg: { nLayers: L } }) => [
        LOGITS,
        ...everyLayer(L, "hook_resid_pre"),
        ...everyLayer(L, "hook_resid_post"),
        ...everyLayer(L, "attn.hook_pattern"),
        LN_FINAL,
      ],
      more: (models) => {
        for (const side of ["left", "right"] as const) {
          // PADDED_PROMPTS: 11 tokens (longer than phi3-tiny's window of 5) and 3
          it(`${side}-padded batch: each row's real positions equal its single run ≤ ${TOLERANCE}`, () => {
            checkPaddedBatch(models.raw, name, side, PADDED_PROMPTS, TOLERANCE, worst);
          });
        }

        it("runWithCache leaks nothing (numTensors flat over repeated runs)", () => {
          const tokens = tf.tensor2d([[5, 9, 33, 70, 12, 8, 1]], [1, 7], "int32");
          assertNoLeak(() => {
            const { logits, cache } = models.raw.runWithCache(tokens);
            logits.dispose();
            cache.dispose();
          });
          tokens.dispose();
        });
      },
    });
  }

  describe("phi3-tiny sliding window and fused tensors", function () {
    let model: HookedTransformer;
    before(async () => (model = await loadModel(path.join(FIXTURES, "phi3-tiny"), { processWeights: false })));
    after(() => model?.dispose());

    it("generating past the window of 5 with the KV cache gives the greedy tokens of one full forward, leaking nothing", () => {
      // 6 prompt tokens + 6 generated: past the sliding window.
      assertNoLeak(() => assertGreedyMatchesFullForward(model, [3, 17, 42, 8, 61, 5], 6));
    });

    it("a checkpoint without one layer's gate_up_proj is refused naming the fused tensor and its shape; nothing leaks", async () => {
      const folder = await copyWithoutTensors("phi3-tiny", (name) => name === "model.layers.1.mlp.gate_up_proj.weight");
      try {
        const before = tf.memory().numTensors;
        await assert.rejects(
          loadModel(folder),
          /has no tensor "model\.layers\.1\.mlp\.gate_up_proj\.weight" \(expected shape \[96, 32\]\)/,
        );
        assert.equal(tf.memory().numTensors, before);
      } finally {
        fs.rmSync(folder, { recursive: true, force: true });
      }
    });
  });

  describe("phi3-tiny-longrope generation (original context 8)", function () {
    let model: HookedTransformer;
    before(async () => (model = await loadModel(path.join(FIXTURES, "phi3-tiny-longrope"), { processWeights: false })));
    after(() => model?.dispose());

    it("within the original context (3 + 4 tokens: short factors throughout) and past it from the prompt on (9 + 3: long)", () => {
      assertGreedyMatchesFullForward(model, [4, 19, 50], 4);
      assertGreedyMatchesFullForward(model, [4, 19, 50, 7, 88, 23, 61, 2, 35], 3);
    });

    it("continuing a short-factor KV cache past the original context is refused with a clear error, leaking nothing", () => {
      const ids = tf.tensor2d([[4, 19, 50, 7, 88, 23]], [1, 6], "int32");
      const attempt = () =>
        assert.throws(
          () => model.generate(ids, { maxNewTokens: 4, temperature: 0 }),
          /LongRoPE: this run reaches position 8 \(9 tokens\), past original_max_position_embeddings 8, continuing 8 cached positions/,
        );
      attempt();
      const before = tf.memory().numTensors;
      attempt();
      assert.equal(tf.memory().numTensors, before);
      ids.dispose();
    });
  });

  describe("config.json", function () {
    const made: string[] = [];
    after(() => made.forEach((f) => fs.rmSync(f, { recursive: true, force: true })));

    it("phi3-tiny: rotary over int(0.75 · 8) = 6 features, sliding window 5, GQA with 2 KV heads, untied", () => {
      const cfg = configFromJson(readConfig("phi3-tiny"), "phi3-tiny/config.json");
      assert.deepEqual(
        [cfg.originalArchitecture, cfg.dHead, cfg.rotaryDim, cfg.slidingWindow, cfg.nKeyValueHeads, cfg.rotaryBase],
        ["Phi3ForCausalLM", 8, 6, 5, 2, 5000],
      );
      const tied = configFromJson(readConfig("phi3-tiny-tied"), "phi3-tiny-tied/config.json");
      assert.deepEqual([tied.rotaryDim, tied.slidingWindow, tied.nKeyValueHeads], [8, undefined, null]);
    });

    it("the transformers 4 spelling (top-level rope_theta and partial_rotary_factor, rope_scaling null) gives the same logits", async () => {
      const { rope_parameters: rope, ...rest } = readConfig("phi3-tiny");
      const hf4 = { ...rest, rope_theta: rope.rope_theta, partial_rotary_factor: rope.partial_rotary_factor, rope_scaling: null };
      const folder = copyWithConfig("phi3-tiny", hf4);
      made.push(folder);
      const model = await loadModel(folder, { processWeights: false });
      const ref = await hfReference("phi3-tiny", "single");
      const logits = model.forward(ref.tokens);
      try {
        assert.equal(model.cfg.rotaryDim, 6);
        assert.ok(maxAbsDiff(logits, ref.tensors.get("logits")!, "hf4 logits") <= TOLERANCE);
      } finally {
        tf.dispose([logits, ref.tokens, ...ref.tensors.values()]);
        model.dispose();
      }
    });

    it("LongRoPE: factors, original context and attention factor as transformers computes them; bad factor lists are refused naming the key", () => {
      const base = readConfig("phi3-tiny-longrope");
      const cfg = configFromJson(base, "l/config.json");
      assert.deepEqual(cfg.ropeScaling, {
        type: "longrope",
        shortFactor: [1.0, 1.3, 2.1],
        longFactor: [1.5, 4.0, 9.0],
        originalMaxPositionEmbeddings: 8,
        attentionFactor: Math.SQRT2, // sqrt(1 + ln(64 / 8) / ln 8)
      });
      const given = configFromJson(
        { ...base, rope_parameters: { ...base.rope_parameters, attention_factor: 1.25 } },
        "l/config.json",
      );
      assert.equal((given.ropeScaling as { attentionFactor: number }).attentionFactor, 1.25);
      assert.throws(
        () => configFromJson({ ...base, rope_parameters: { ...base.rope_parameters, long_factor: [1, 2] } }, "l/config.json"),
        /l\/config\.json: rope_parameters\.long_factor must list 3 positive numbers \(one per rotary pair\), got \[1,2\]/,
      );
      assert.throws(
        () => configFromJson({ ...base, rope_parameters: { ...base.rope_parameters, rope_type: "dynamic" } }, "l/config.json"),
        /l\/config\.json: rope scaling "dynamic" is not supported/,
      );
    });

    for (const type of ["longrope", "su"]) {
      it(`LongRoPE in the transformers 4 spelling (rope_scaling type "${type}", top-level original_max_position_embeddings) gives the same logits`, async () => {
        const { rope_parameters: rope, ...rest } = readConfig("phi3-tiny-longrope");
        const hf4 = {
          ...rest,
          rope_theta: rope.rope_theta,
          partial_rotary_factor: rope.partial_rotary_factor,
          rope_scaling: { type, short_factor: rope.short_factor, long_factor: rope.long_factor },
        };
        const folder = copyWithConfig("phi3-tiny-longrope", hf4);
        made.push(folder);
        const model = await loadModel(folder, { processWeights: false });
        try {
          for (const input of ["single", "short"]) {
            const ref = await hfReference("phi3-tiny-longrope", input);
            const logits = model.forward(ref.tokens);
            const err = maxAbsDiff(logits, ref.tensors.get("logits")!, `hf4 ${type} ${input}`);
            tf.dispose([logits, ref.tokens, ...ref.tensors.values()]);
            assert.ok(err <= TOLERANCE, `${type} ${input}: max abs diff ${err}`);
          }
        } finally {
          model.dispose();
        }
      });
    }

    it("a partial_rotary_factor that rotates an odd number of features is refused naming the key", () => {
      const base = readConfig("phi3-tiny");
      assert.throws(
        () =>
          configFromJson(
            { ...base, rope_parameters: { ...base.rope_parameters, partial_rotary_factor: 0.375 } },
            "p/config.json",
          ),
        /p\/config\.json: rope_parameters\.partial_rotary_factor = 0\.375 rotates 3 of head_dim 8 features/,
      );
    });
  });

  reportWorst(worst);
});
