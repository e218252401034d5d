/**
 * Gemma 1, Gemma 2, Gemma 3 (text) and OLMo-2 against Hugging Face transformers on tiny random checkpoints from
 * scripts/fixtures/make_gemma_olmo_fixtures.py: logits, resid_pre / resid_post, attn_out / mlp_out (post-norm
 * outputs), q/k norm outputs, the final norm's output and attention patterns ≤ 1e-4 without weight processing,
 * log-probs ≤ 1e-4 with the default processing; padded batches; sliding windows, soft-capping and the errors a
 * Gemma config with an unsupported feature gets.
 */
import { strict as assert } from "assert";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { HookedTransformer, loadModel, processWeights, tf } from "../../src";
import { configFromJson } from "../../src/loading/config";
import {
  assertGreedyMatchesFullForward,
  assertNoLeak,
  describeFamilyFixture,
  describePaddedBatches,
  reportWorst,
  type WorstErrors,
} from "../support/familyFixture";
import { editedCopy, readConfig } from "../support/fixtureCopies";
import { FIXTURES, hfReference } from "../support/hfReference";

const MODELS = ["gemma2-tiny", "gemma3-tiny", "olmo2-tiny", "gemma-tiny", "gemma3-mm-tiny"];
const INPUTS = ["single", "batch"];
const TOLERANCE = 1e-4;

const worst: WorstErrors = {};

describe("Gemma 1 / 2 / 3 and OLMo-2 against Hugging Face transformers (fp32)", function () {
  this.timeout(120_000);

  for (const name of MODELS) {
    describeFamilyFixture(name, {
      inputs: INPUTS,
      tolerance: TOLERANCE,
      worst,
      title: (input) => `${input}: logits and every referenced hook ≤ ${TOLERANCE} (processWeights: false)`,
      hooks: ({ cfg: { nLayers: L } }, refNames) => {
        const checks = refNames
          .filter((refName) => refName !== "log_probs")
          .map((refName) => ({
            kind: refName.replace(/^blocks\.\d+\./, ""),
            hook: refName === "ln_final.out" ? "ln_final.hook_normalized" : refName,
            ref: refName,
          }));
        // logits, ln_final and per layer resid_pre, resid_post and pattern at least.
        assert.ok(checks.length >= 2 + 3 * L, `${name}: only ${checks.length} references checked`);
        return checks;
      },
    });
  }

  describePaddedBatches("padded batches equal each prompt run alone (both sides)", MODELS, TOLERANCE, worst);

  describe("gemma2-tiny: sandwich norms, soft-capping, local and global layers", function () {
    let model: HookedTransformer;
    before(async () => (model = await loadModel(path.join(FIXTURES, "gemma2-tiny"), { processWeights: false })));
    after(() => model?.dispose());

    it("reads the config: local layers 0 and 2 (window 4), scale sqrt(16), caps 4 and 3; layer_types absent → even layers local", () => {
      const { cfg } = model;
      assert.deepEqual(cfg.localLayers, [true, false, true]);
      assert.equal(cfg.slidingWindow, 4);
      assert.equal(cfg.attnScale, 4);
      assert.equal(cfg.attnScoresSoftCap, 4);
      assert.equal(cfg.outputLogitsSoftCap, 3);
      const { layer_types: _dropped, ...rest } = readConfig("gemma2-tiny");
      assert.deepEqual(configFromJson({ ...rest, num_hidden_layers: 4 }, "g/config.json").localLayers, [
        true,
        false,
        true,
        false,
      ]);
    });

    it("transformers' defaults: Gemma 2 soft-caps 50 / 30 when absent, none when null; Gemma 1's legacy gelu is tanh-GELU", () => {
      const { attn_logit_softcapping: _a, final_logit_softcapping: _f, ...uncapped } = readConfig("gemma2-tiny");
      const defaults = configFromJson(uncapped, "g2/config.json");
      assert.deepEqual([defaults.attnScoresSoftCap, defaults.outputLogitsSoftCap], [50, 30]);
      const none = configFromJson({ ...uncapped, attn_logit_softcapping: null, final_logit_softcapping: null }, "g2/config.json");
      assert.deepEqual([none.attnScoresSoftCap, none.outputLogitsSoftCap], [undefined, undefined]);
      assert.equal(configFromJson({ ...readConfig("gemma-tiny"), hidden_act: "gelu" }, "g/config.json").actFn, "gelu_new");
    });

    it("local layers mask keys at or before q − 4 (q − 3 seen), global layers see the whole prefix", async () => {
      const ref = await hfReference("gemma2-tiny", "single");
      const { logits, cache } = model.runWithCache(ref.tokens);
      try {
        for (const [layer, local] of [
          [0, true],
          [1, false],
          [2, true],
        ] as const) {
          const pattern = cache.get(`blocks.${layer}.attn.hook_pattern`).arraySync(); // [1, heads, 12, 12]
          for (const row of pattern[0].map((head) => head[11])) {
            assert.ok(row[8] > 0, `layer ${layer}: query 11 must see key 8`);
            if (local) assert.equal(row[7], 0, `layer ${layer}: query 11 must not see key 7`);
            else assert.ok(row[0] > 0, `layer ${layer}: query 11 must see key 0`);
          }
        }
        assert.ok(tf.tidy(() => logits.abs().max().dataSync()[0]) < 3, "soft-capped logits stay inside ±3");
      } finally {
        tf.dispose([logits, ref.tokens, ...ref.tensors.values()]);
        cache.dispose();
      }
    });

    it("hook names: ln1_post before hook_attn_out and ln2_post before hook_mlp_out; Qwen2 gains none", async () => {
      const names = model.hookNames().filter((n) => n.startsWith("blocks.0.") && !n.startsWith("blocks.0.attn."));
      assert.deepEqual(names, [
        "blocks.0.hook_resid_pre",
        "blocks.0.ln1.hook_scale",
        "blocks.0.ln1.hook_normalized",
        "blocks.0.ln1_post.hook_scale",
        "blocks.0.ln1_post.hook_normalized",
        "blocks.0.hook_attn_out",
        "blocks.0.hook_resid_mid",
        "blocks.0.ln2.hook_scale",
        "blocks.0.ln2.hook_normalized",
        "blocks.0.mlp.hook_pre",
        "blocks.0.mlp.hook_pre_linear",
        "blocks.0.mlp.hook_post",
        "blocks.0.ln2_post.hook_scale",
        "blocks.0.ln2_post.hook_normalized",
        "blocks.0.hook_mlp_out",
        "blocks.0.hook_resid_post",
      ]);
      const qwen2 = await loadModel(path.join(FIXTURES, "qwen2-tiny"), { processWeights: false });
      try {
        assert.ok(!qwen2.hookNames().some((n) => n.includes("_post.")));
      } finally {
        qwen2.dispose();
      }
    });

    it("generating past the window with the KV cache (gemma2, gemma3) gives the greedy tokens of one full forward, leaking nothing", async () => {
      const gemma3 = await loadModel(path.join(FIXTURES, "gemma3-tiny"), { processWeights: false });
      for (const generator of [model, gemma3]) generates(generator);
      gemma3.dispose();
    });

    /** Greedy generation past the window equals the argmax of one full forward; repeated runs leak nothing. */
    function generates(generator: HookedTransformer): void {
      // 6 prompt tokens + 6 generated: past the sliding window.
      assertNoLeak(() => assertGreedyMatchesFullForward(generator, [3, 17, 42, 8, 61, 5], 6));
    }

    it("centerUnembed is refused under final-logit soft-capping; the default processing skips it", async () => {
      const other = await loadModel(path.join(FIXTURES, "gemma2-tiny"), { processWeights: false });
      try {
        assert.throws(() => processWeights(other, { centerUnembed: true }), /centerUnembed is not valid .*soft-capping/);
        processWeights(other);
        const column = tf.tidy(() => other.param("unembed.W_U").mean(1).abs().max().dataSync()[0]);
        assert.ok(column > 1e-3, `W_U was centred (${column})`);
      } finally {
        other.dispose();
      }
    });
  });

  describe("gemma3-tiny and olmo2-tiny q/k norms", function () {
    it("gemma3: local layers rotate with base 100, global ones with 10000 and linear scaling 4", async () => {
      const model = await loadModel(path.join(FIXTURES, "gemma3-tiny"), { processWeights: false });
      try {
        assert.deepEqual(model.cfg.localLayers, [true, false, true]);
        assert.equal(model.cfg.rotaryBaseLocal, 100);
        assert.equal(model.cfg.rotaryBase, 10000);
        assert.deepEqual(model.cfg.ropeScaling, { type: "linear", factor: 4 });
      } finally {
        model.dispose();
      }
      const { layer_types: _types, ...untyped } = readConfig("gemma3-tiny");
      const seven = configFromJson({ ...untyped, num_hidden_layers: 7 }, "g3/config.json").localLayers;
      assert.deepEqual(seven, [true, true, true, true, true, false, true], "every sixth layer is global");
      const v4 = { ...readConfig("gemma3-tiny"), rope_parameters: undefined, rope_theta: 5e5, rope_local_base_freq: 20 };
      const cfg = configFromJson({ ...v4, rope_scaling: { rope_type: "linear", factor: 8 } }, "g3/config.json");
      assert.deepEqual([cfg.rotaryBase, cfg.rotaryBaseLocal, cfg.ropeScaling], [5e5, 20, { type: "linear", factor: 8 }]);
    });

    it("gemma3 multimodal wrapper: the text model from text_config, Gemma3TextConfig's defaults for absent fields", () => {
      const wrapper = readConfig("gemma3-mm-tiny");
      const cfg = configFromJson(wrapper, "mm/config.json");
      assert.equal(cfg.originalArchitecture, "Gemma3ForConditionalGeneration");
      assert.deepEqual([cfg.nLayers, cfg.dModel, cfg.dHead, cfg.nKeyValueHeads], [2, 32, 12, 2]);
      const { num_attention_heads: _h, num_key_value_heads: _kv, head_dim: _e, ...sparse } = wrapper.text_config;
      const defaulted = configFromJson({ ...wrapper, text_config: sparse }, "mm/config.json");
      assert.deepEqual([defaulted.nHeads, defaulted.nKeyValueHeads, defaulted.dHead], [8, 4, 256]);
      assert.throws(
        () => configFromJson({ ...wrapper, text_config: undefined }, "mm/config.json"),
        /mm\/config\.json: model_type "gemma3" needs a text_config/,
      );
    });

    it("olmo2: no ln1 / ln2, q_norm over all heads (hook_scale [b, p, 1, 1]); runWithCache leaks nothing", async () => {
      const model = await loadModel(path.join(FIXTURES, "olmo2-tiny"), { processWeights: false });
      const tokens = tf.tensor2d([[5, 9, 33, 70, 12]], [1, 5], "int32");
      try {
        const names = model.hookNames();
        assert.ok(!names.some((n) => /\.ln[12]\./.test(n)));
        assert.ok(names.includes("blocks.1.ln2_post.hook_normalized"));
        const run = () => {
          const { logits, cache } = model.runWithCache(tokens);
          assert.deepEqual(cache.get("blocks.0.attn.q_norm.hook_scale").shape, [1, 5, 1, 1]);
          assert.deepEqual(cache.get("blocks.0.attn.k_norm.hook_normalized").shape, [1, 5, 2, 8]);
          logits.dispose();
          cache.dispose();
        };
        run();
        const before = tf.memory().numTensors;
        run();
        run();
        assert.equal(tf.memory().numTensors, before);
      } finally {
        tokens.dispose();
        model.dispose();
      }
    });
  });

  describe("saving in the tslens-native format", function () {
    for (const [name, features] of [
      ["gemma2-tiny", /normPlacement, attnScale, attnScoresSoftCap, outputLogitsSoftCap, localLayers, slidingWindow/],
      ["olmo2-tiny", /qkNorm, qkNormAcrossHeads, normPlacement/],
    ] as const) {
      it(`${name}: save refuses what the format cannot hold, naming it, and writes nothing`, async () => {
        const model = await loadModel(path.join(FIXTURES, name), { processWeights: false });
        const folder = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "tslens-save-")), "out");
        try {
          await assert.rejects(model.save(folder), (err: Error) => {
            assert.match(err.message, /the tslens-native format cannot hold/);
            assert.match(err.message, features);
            return true;
          });
          assert.ok(!fs.existsSync(folder), "a refused save left files behind");
        } finally {
          model.dispose();
          fs.rmSync(path.dirname(folder), { recursive: true, force: true });
        }
      });
    }
  });

  describe("Gemma configs with unsupported features are refused, naming the key and the file", function () {
    const made: string[] = [];
    after(() => made.forEach((f) => fs.rmSync(f, { recursive: true, force: true })));

    for (const [what, edit, pattern] of [
      [
        "attention_bias",
        (c: Record<string, unknown>) => (c.attention_bias = true),
        /attention_bias = true is not supported for Gemma 2/,
      ],
      [
        "an unknown layer type",
        (c: Record<string, unknown>) => (c.layer_types = ["sliding_attention", "chunked_attention", "full_attention"]),
        /layer_types\[1\] = "chunked_attention" is not supported/,
      ],
      [
        "layer_types of the wrong length",
        (c: Record<string, unknown>) => (c.layer_types = ["full_attention"]),
        /layer_types must list one type per layer \(num_hidden_layers = 3\)/,
      ],
      [
        "a non-numeric soft-cap",
        (c: Record<string, unknown>) => (c.attn_logit_softcapping = "50"),
        /attn_logit_softcapping must be a positive number or null/,
      ],
    ] as const) {
      it(`gemma2 with ${what}`, async () => {
        const folder = editedCopy("gemma2-tiny", edit);
        made.push(folder);
        const before = tf.memory().numTensors;
        await assert.rejects(loadModel(folder), (err: Error) => {
          assert.equal(err.name, "ConfigError");
          assert.match(err.message, pattern);
          assert.ok(err.message.includes(path.join(folder, "config.json")), err.message);
          return true;
        });
        assert.equal(tf.memory().numTensors, before);
      });
    }
  });

  reportWorst(worst);
});
