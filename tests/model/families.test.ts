/**
 * Newer model families (Qwen2 / Qwen2.5, Qwen3, Mistral) against Hugging Face transformers on tiny random
 * checkpoints from scripts/fixtures/make_family_fixtures.py: logits, resid_pre / resid_post, the final norm's output
 * and attention patterns ≤ 1e-4 without weight processing, log-probs ≤ 1e-4 with the default processing; and the
 * errors a config that contradicts its weights or asks for what is not supported gets.
 */
import { strict as assert } from "assert";
import * as fs from "fs";
import * as path from "path";
import { HookedTransformer, loadModel, tf } from "../../src";
import { configFromJson } from "../../src/loading/config";
import {
  assertGreedyMatchesFullForward,
  assertNoLeak,
  describeFamilyFixture,
  describePaddedBatches,
  everyLayer,
  LN_FINAL,
  LOGITS,
  reportWorst,
  type WorstErrors,
} from "../support/familyFixture";
import { copyWithoutTensors, editedCopy } from "../support/fixtureCopies";
import { FIXTURES, hfReference } from "../support/hfReference";

const MODELS = ["qwen2-tiny", "qwen2-tiny-tied", "qwen3-tiny", "mistral-tiny"];
const INPUTS = ["single", "batch"];
const TOLERANCE = 1e-4;

const worst: WorstErrors = {};

describe("model families against Hugging Face transformers (fp32)", function () {
  this.timeout(120_000);

  for (const name of MODELS) {
    describeFamilyFixture(name, {
      inputs: INPUTS,
      tolerance: TOLERANCE,
      worst,
      title: (input) =>
        `${input}: logits, resid_pre/post, ln_final.hook_normalized, patterns ≤ ${TOLERANCE} (processWeights: false)`,
      hooks: ({ cfg: { nLayers: L } }, refNames) => [
        LOGITS,
        ...everyLayer(L, "hook_resid_pre", "resid_pre"),
        ...everyLayer(L, "attn.hook_pattern", "pattern"),
        // Qwen3's q_norm / k_norm outputs, [b, p, heads, d_head].
        ...refNames.filter((r) => /\.attn\.[qk]_norm\./.test(r)).map((r) => ({ kind: "qk_norm", hook: r, ref: r })),
        { kind: "resid_post", hook: `blocks.${L - 1}.hook_resid_post`, ref: `blocks.${L - 1}.hook_resid_post` },
        LN_FINAL,
      ],
    });
  }

  describePaddedBatches("padded batches equal each prompt run alone (both sides, every family)", MODELS, TOLERANCE, worst);

  describe("mistral-tiny sliding window (5 positions, prompts of 9 and 12)", function () {
    let model: HookedTransformer;
    before(async () => (model = await loadModel(path.join(FIXTURES, "mistral-tiny"), { processWeights: false })));
    after(() => model?.dispose());

    it("reads sliding_window and masks keys at or before q − window (boundary: q − 4 seen, q − 5 not)", async () => {
      assert.equal(model.cfg.slidingWindow, 5);
      const ref = await hfReference("mistral-tiny", "single");
      const { logits, cache } = model.runWithCache(ref.tokens);
      try {
        const pattern = cache.get("blocks.0.attn.hook_pattern").arraySync(); // [1, heads, 12, 12]
        for (const row of pattern[0].map((head) => head[11])) {
          assert.ok(row[11 - 4] > 0, "query 11 must see key 7");
          assert.equal(row[11 - 5], 0, "query 11 must not see key 6");
        }
      } finally {
        tf.dispose([logits, ref.tokens, ...ref.tensors.values()]);
        cache.dispose();
      }
    });

    it("generating past the window with the KV cache gives the greedy tokens of one full forward, leaking nothing", () => {
      // 6 prompt tokens + 6 generated: past the sliding window.
      assertNoLeak(() => assertGreedyMatchesFullForward(model, [3, 17, 42, 8, 61, 5], 6));
    });
  });

  describe("qwen3-tiny q/k norms (head_dim 12 ≠ 32 / 4)", function () {
    let qwen3: HookedTransformer;
    before(async () => (qwen3 = await loadModel(path.join(FIXTURES, "qwen3-tiny"), { processWeights: false })));
    after(() => qwen3?.dispose());

    it("has TransformerLens's attn.q_norm / attn.k_norm hooks between hook_v and hook_rot_q; Qwen2 has none", async () => {
      assert.equal(qwen3.cfg.dHead, 12);
      const names = qwen3.hookNames().filter((n) => n.startsWith("blocks.0.attn."));
      assert.deepEqual(names.slice(0, 8), [
        "blocks.0.attn.hook_q",
        "blocks.0.attn.hook_k",
        "blocks.0.attn.hook_v",
        "blocks.0.attn.q_norm.hook_scale",
        "blocks.0.attn.q_norm.hook_normalized",
        "blocks.0.attn.k_norm.hook_scale",
        "blocks.0.attn.k_norm.hook_normalized",
        "blocks.0.attn.hook_rot_q",
      ]);
      const qwen2 = await loadModel(path.join(FIXTURES, "qwen2-tiny"), { processWeights: false });
      try {
        assert.ok(!qwen2.hookNames().some((n) => n.includes("_norm.")));
      } finally {
        qwen2.dispose();
      }
    });

    it("q_norm.hook_normalized feeds the rotary: zeroing it zeroes hook_rot_q and changes the logits", () => {
      const tokens = tf.tensor2d([[5, 9, 33, 70]], [1, 4], "int32");
      const plain = qwen3.forward(tokens);
      const { logits, cache } = qwen3.runWithCache(tokens, {
        fwdHooks: [["blocks.1.attn.q_norm.hook_normalized", (q) => q.mul(0)]],
      });
      try {
        assert.deepEqual(cache.get("blocks.1.attn.q_norm.hook_normalized").shape, [1, 4, 4, 12]);
        assert.deepEqual(cache.get("blocks.1.attn.k_norm.hook_scale").shape, [1, 4, 2, 1]);
        assert.equal(
          tf.tidy(() => cache.get("blocks.1.attn.hook_rot_q").abs().max().dataSync()[0]),
          0,
        );
        assert.ok(tf.tidy(() => plain.sub(logits).abs().max().dataSync()[0]) > 1e-3);
      } finally {
        tf.dispose([tokens, plain, logits]);
        cache.dispose();
      }
    });

    it("runWithCache through the q/k norms leaks nothing (numTensors flat over repeated runs)", () => {
      const tokens = tf.tensor2d([[5, 9, 33, 70, 12]], [1, 5], "int32");
      const run = () => {
        const { logits, cache } = qwen3.runWithCache(tokens);
        logits.dispose();
        cache.dispose();
      };
      run();
      const before = tf.memory().numTensors;
      run();
      run();
      assert.equal(tf.memory().numTensors, before);
      tokens.dispose();
    });

    it("a checkpoint without k_norm weights is refused, naming the tensor", async () => {
      const folder = await copyWithoutTensors("qwen3-tiny", (name) => name.endsWith("k_norm.weight"));
      try {
        const before = tf.memory().numTensors;
        await assert.rejects(
          loadModel(folder),
          /has no tensor "model\.layers\.0\.self_attn\.k_norm\.weight" \(expected shape \[12\]\)/,
        );
        assert.equal(tf.memory().numTensors, before);
      } finally {
        fs.rmSync(folder, { recursive: true, force: true });
      }
    });
  });

  describe("configs that contradict their weights or ask for what is not supported", function () {
    const made: string[] = [];
    after(() => made.forEach((f) => fs.rmSync(f, { recursive: true, force: true })));
    const broken = (model: string, edit: (c: Record<string, unknown>) => void) => {
      const folder = editedCopy(model, edit);
      made.push(folder);
      return folder;
    };

    it("head_dim that the q_proj weight contradicts: names the tensor, both shapes and config.json", async () => {
      const folder = broken("mistral-tiny", (c) => (c.head_dim = 4));
      const before = tf.memory().numTensors;
      await assert.rejects(loadModel(folder), (err: Error) => {
        assert.match(
          err.message,
          /"model\.layers\.0\.self_attn\.q_proj\.weight" has shape \[32, 32\] but the config needs \[16, 32\]/,
        );
        assert.ok(err.message.includes(path.join(folder, "config.json")), err.message);
        return true;
      });
      assert.equal(tf.memory().numTensors, before);
    });

    it("more layers than the weights hold: names num_hidden_layers and the layers present", async () => {
      const folder = broken("qwen2-tiny", (c) => (c.num_hidden_layers = 3));
      await assert.rejects(loadModel(folder), /num_hidden_layers = 3 but model\.safetensors has layers 0…1 only/);
    });

    it("a vocab_size the embedding contradicts: names model.embed_tokens.weight", async () => {
      const folder = broken("qwen2-tiny-tied", (c) => (c.vocab_size = 100));
      await assert.rejects(
        loadModel(folder),
        /"model\.embed_tokens\.weight" has shape \[96, 32\] but the config needs \[100, 32\]/,
      );
    });

    it("Qwen's use_sliding_window and a non-integer Mistral sliding_window are refused, naming the key", () => {
      const qwen = JSON.parse(fs.readFileSync(path.join(FIXTURES, "qwen2-tiny", "config.json"), "utf8"));
      assert.throws(
        () => configFromJson({ ...qwen, use_sliding_window: true }, "q/config.json"),
        /q\/config\.json: use_sliding_window = true/,
      );
      const mistral = JSON.parse(fs.readFileSync(path.join(FIXTURES, "mistral-tiny", "config.json"), "utf8"));
      assert.throws(
        () => configFromJson({ ...mistral, sliding_window: 2.5 }, "m/config.json"),
        /m\/config\.json: sliding_window must be a positive integer/,
      );
      assert.equal(configFromJson({ ...mistral, sliding_window: null }, "m/config.json").slidingWindow, undefined);
    });
  });

  reportWorst(worst);
});
