/**
 * Model features beyond the plain forward: config mapping from both config
 * layouts, loss, split qkv input, stacked parameter accessors.
 */
import { strict as assert } from "assert";
import * as fs from "fs";
import * as path from "path";
import { HookedTransformer, loadModel, tf } from "../../src";
import { SafetensorsFile } from "../../src/loading/safetensors";
import { REPO_ROOT } from "../support/paths";

const FIXTURES = path.join(REPO_ROOT, "tests", "fixtures", "models");
const manifest = JSON.parse(fs.readFileSync(path.join(FIXTURES, "manifest.json"), "utf8"));

function maxDiff(a: tf.Tensor, b: tf.Tensor): number {
  return tf.tidy(() => a.sub(b).abs().max().dataSync()[0]);
}

describe("model features", function () {
  this.timeout(60_000);

  describe("config mapping (transformers 5 and 4 layouts)", function () {
    for (const [name, entry] of Object.entries(manifest.models) as [
      string,
      { expected_tl_config: Record<string, unknown>; references_from?: string },
    ][]) {
      it(`${name}: cfg matches the expected TransformerLens config`, async () => {
        const model = await loadModel(path.join(FIXTURES, name), { processWeights: false });
        try {
          const e = entry.expected_tl_config;
          const c = model.cfg;
          assert.deepEqual(
            [
              c.dModel,
              c.nLayers,
              c.nHeads,
              c.dHead,
              c.nKeyValueHeads,
              c.dMlp,
              c.dVocab,
              c.nCtx,
              c.actFn,
              c.normalizationType,
              c.eps,
            ],
            [
              e.d_model,
              e.n_layers,
              e.n_heads,
              e.d_head,
              e.n_key_value_heads,
              e.d_mlp,
              e.d_vocab,
              e.n_ctx,
              e.act_fn,
              e.normalization_type,
              e.eps,
            ],
          );
          assert.equal(c.positionalEmbeddingType, e.positional_embedding_type);
          assert.equal(c.parallelAttnMlp, e.parallel_attn_mlp);
          assert.equal(c.gatedMlp, e.gated_mlp);
          if (e.positional_embedding_type === "rotary")
            assert.deepEqual([c.rotaryDim, c.rotaryBase], [e.rotary_dim, e.rotary_base]);
        } finally {
          model.dispose();
        }
      });
      if (entry.references_from) {
        it(`${name}: reproduces ${entry.references_from}'s reference logits`, async () => {
          const model = await loadModel(path.join(FIXTURES, name), { processWeights: false });
          const file = await SafetensorsFile.open(path.join(FIXTURES, entry.references_from!, "reference-batch.safetensors"));
          try {
            const tok = await file.readInt32("tokens");
            const ref = await file.readFloat32("logits");
            const tokens = tf.tensor(tok.values, tok.shape, "int32");
            const expected = tf.tensor(ref.values, ref.shape);
            const logits = model.forward(tokens);
            assert.ok(maxDiff(logits, expected) <= 1e-4);
            tf.dispose([tokens, expected, logits]);
          } finally {
            await file.close();
            model.dispose();
          }
        });
      }
    }
  });

  describe("on gpt2-tiny and llama-tiny", function () {
    let gpt2: HookedTransformer;
    let llama: HookedTransformer;
    let tokens: tf.Tensor;
    let logProbs: tf.Tensor;
    before(async () => {
      gpt2 = await loadModel(path.join(FIXTURES, "gpt2-tiny"));
      llama = await loadModel(path.join(FIXTURES, "llama-tiny"), { processWeights: false });
      const file = await SafetensorsFile.open(path.join(FIXTURES, "gpt2-tiny", "reference-batch.safetensors"));
      const tok = await file.readInt32("tokens");
      const lp = await file.readFloat32("log_probs");
      await file.close();
      tokens = tf.tensor(tok.values, tok.shape, "int32");
      logProbs = tf.tensor(lp.values, lp.shape);
    });
    after(() => {
      gpt2?.dispose();
      llama?.dispose();
      tf.dispose([tokens, logProbs]);
    });

    it("loss equals the mean next-token negative log-likelihood from Hugging Face's log-probs", () => {
      const rows = tokens.arraySync() as number[][];
      const lp = logProbs.arraySync() as number[][][];
      let sum = 0;
      let count = 0;
      for (let b = 0; b < rows.length; b++) for (let p = 0; p + 1 < rows[b].length; p++, count++) sum -= lp[b][p][rows[b][p + 1]];
      const loss = gpt2.loss(tokens);
      assert.ok(Math.abs(loss.dataSync()[0] - sum / count) < 1e-5);
      const perToken = gpt2.loss(tokens, { perToken: true });
      assert.deepEqual(perToken.shape, [2, 8]);
      const { loss: both, logits, cache } = gpt2.runWithCache(tokens, { returnType: "both", namesFilter: [] });
      assert.ok(Math.abs(both!.dataSync()[0] - sum / count) < 1e-5);
      assert.equal(cache.size, 0);
      tf.dispose([loss, perToken, both!, logits]);
      cache.dispose();
    });

    it("split qkv input: same logits, per-head input hooks, and editing the key input changes the output", () => {
      for (const model of [gpt2, llama]) {
        const before = model.forward(tokens);
        model.cfg.useSplitQkvInput = true;
        try {
          const { logits, cache } = model.runWithCache(tokens, { namesFilter: (n) => n.startsWith("blocks.0.") });
          assert.ok(maxDiff(logits, before) < 1e-5, "enabling split qkv input does not change logits");
          const kvHeads = model.cfg.nKeyValueHeads ?? model.cfg.nHeads;
          assert.deepEqual(cache.get("blocks.0.hook_q_input").shape, [2, 9, model.cfg.nHeads, model.cfg.dModel]);
          assert.deepEqual(cache.get("blocks.0.hook_k_input").shape, [2, 9, kvHeads, model.cfg.dModel]);
          // Not a uniform scale or shift: ln1 would undo those.
          const edited = model.runWithHooks(tokens, {
            fwdHooks: [["blocks.0.hook_k_input", (k) => k.mul(tf.linspace(0.5, 1.5, model.cfg.dModel))]],
          });
          assert.ok(maxDiff(edited, before) > 1e-4);
          tf.dispose([logits, edited]);
          cache.dispose();
        } finally {
          model.cfg.useSplitQkvInput = false;
          before.dispose();
        }
      }
    });

    it("stacked accessors have TransformerLens shapes and match the per-layer parameters", () => {
      const shapes: [string, tf.Tensor, number[]][] = [
        ["W_Q", gpt2.W_Q, [2, 4, 32, 8]],
        ["W_O", gpt2.W_O, [2, 4, 8, 32]],
        ["b_O", gpt2.b_O, [2, 32]],
        ["W_in", gpt2.W_in, [2, 32, 128]],
        ["W_gate", llama.W_gate, [2, 32, 48]],
        ["W_V", llama.W_V, [2, 4, 32, 8]],
      ];
      for (const [name, t, shape] of shapes) {
        assert.deepEqual(t.shape, shape, name);
        t.dispose();
      }
      const wq = gpt2.W_Q;
      const layer1 = tf.tidy(() => wq.slice([1], [1]).squeeze([0]));
      assert.equal(maxDiff(layer1, gpt2.param("blocks.1.attn.W_Q")), 0);
      tf.dispose([wq, layer1]);
      assert.deepEqual(gpt2.W_E.shape, [96, 32]);
      assert.deepEqual(gpt2.W_U.shape, [32, 96]);
    });
  });
});
