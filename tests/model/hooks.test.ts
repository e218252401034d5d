/**
 * Hooks and caching: names, shapes, edits, filters, errors, and no tensor leaks.
 */
import { strict as assert } from "assert";
import { hookName, HookName, tf } from "../../src";
import { rawModels } from "../support/gradients";

const TOKENS = [[5, 17, 3, 90, 44, 12, 7, 7]];

describe("hooks and cache", function () {
  this.timeout(60_000);
  const models = rawModels({ gpt2: "gpt2-tiny", llama: "llama-tiny" });

  it("caches every hook point with TransformerLens shapes", () => {
    const { logits, cache } = models.gpt2.runWithCache(TOKENS);
    try {
      assert.deepEqual(cache.keys(), models.gpt2.hookNames());
      assert.equal(models.gpt2.hookNames().length, 2 + 2 * 17 + 2);
      const shapes: Record<string, number[]> = {
        hook_embed: [1, 8, 32],
        hook_pos_embed: [1, 8, 32],
        "blocks.0.ln1.hook_scale": [1, 8, 1],
        "blocks.0.attn.hook_q": [1, 8, 4, 8],
        "blocks.0.attn.hook_attn_scores": [1, 4, 8, 8],
        "blocks.1.attn.hook_pattern": [1, 4, 8, 8],
        "blocks.1.attn.hook_z": [1, 8, 4, 8],
        "blocks.1.mlp.hook_post": [1, 8, 128],
        "blocks.1.hook_resid_post": [1, 8, 32],
        "ln_final.hook_normalized": [1, 8, 32],
      };
      for (const [name, shape] of Object.entries(shapes)) assert.deepEqual(cache.get(hookName(name)).shape, shape, name);
      assert.deepEqual(logits.shape, [1, 8, 96]);
      const scores = cache.get("blocks.0.attn.hook_attn_scores").arraySync() as number[][][][];
      assert.equal(scores[0][0][0][1], -Infinity, "masked scores are -inf, as in TransformerLens");
    } finally {
      logits.dispose();
      cache.dispose();
    }
  });

  it("GQA: hook_k / hook_v have n_key_value_heads; W_K expands to every head", () => {
    const { logits, cache } = models.llama.runWithCache(TOKENS, { namesFilter: (n) => n.startsWith("blocks.0.attn.") });
    try {
      assert.deepEqual(cache.get("blocks.0.attn.hook_k").shape, [1, 8, 2, 8]);
      assert.deepEqual(cache.get("blocks.0.attn.hook_rot_q").shape, [1, 8, 4, 8]);
      assert.throws(() => cache.get("blocks.1.attn.hook_k"), /"blocks\.1\.attn\.hook_k" was not cached/);
    } finally {
      logits.dispose();
      cache.dispose();
    }
    const wk = models.llama.stacked("W_K");
    assert.deepEqual(wk.shape, [2, 4, 32, 8]);
    const heads = tf.unstack(wk.gather([0]).squeeze([0]));
    assert.equal(
      tf.tidy(() => heads[0].sub(heads[1]).abs().max().dataSync()[0]),
      0,
      "heads 0 and 1 share KV head 0",
    );
    tf.dispose([wk, ...heads]);
  });

  it("a hook that zeroes hook_z changes the output; hooks apply only to that call", () => {
    const clean = models.gpt2.forward(TOKENS);
    const ablated = models.gpt2.runWithHooks(TOKENS, { fwdHooks: [["blocks.0.attn.hook_z", (z) => z.mul(0)]] });
    const again = models.gpt2.forward(TOKENS);
    try {
      assert.ok(tf.tidy(() => clean.sub(ablated).abs().max().dataSync()[0]) > 1e-3);
      assert.equal(
        tf.tidy(() => clean.sub(again).abs().max().dataSync()[0]),
        0,
      );
    } finally {
      tf.dispose([clean, ablated, again]);
    }
  });

  it("misspelt or gated hook names give clear errors", () => {
    // A misspelt literal does not compile (tests/types); names built at run time are still checked.
    const misspelt = "blocks.0.attn.hook_patern" as HookName;
    assert.throws(
      () => models.gpt2.runWithHooks(TOKENS, { fwdHooks: [[misspelt, (x) => x]] }),
      /unknown hook point "blocks\.0\.attn\.hook_patern"; did you mean "blocks\.0\.attn\.hook_pattern"\?/,
    );
    assert.throws(
      () => models.gpt2.runWithHooks(TOKENS, { fwdHooks: [["blocks.0.attn.hook_result", (x) => x]] }),
      /set model\.cfg\.useAttnResult = true/,
    );
    assert.throws(() => models.gpt2.runWithCache(TOKENS, { namesFilter: ["blocks.9.hook_resid_pre"] }), /unknown hook point/);
  });

  it("hook_result (when enabled) sums to hook_attn_out minus b_O", () => {
    models.gpt2.cfg.useAttnResult = true;
    try {
      const { logits, cache } = models.gpt2.runWithCache(TOKENS, { namesFilter: (n) => n.startsWith("blocks.0.") });
      const diff = tf.tidy(
        () =>
          cache
            .get("blocks.0.attn.hook_result")
            .sum(2)
            .add(models.gpt2.param("blocks.0.attn.b_O"))
            .sub(cache.get("blocks.0.hook_attn_out"))
            .abs()
            .max()
            .dataSync()[0],
      );
      tf.dispose(logits);
      cache.dispose();
      assert.ok(diff < 1e-5, `diff ${diff}`);
    } finally {
      models.gpt2.cfg.useAttnResult = false;
    }
  });

  it("stopAtLayer returns the residual stream before that block", () => {
    const { logits: resid, cache } = models.gpt2.runWithCache(TOKENS, { stopAtLayer: 1 });
    try {
      assert.deepEqual(resid.shape, [1, 8, 32]);
      assert.ok(!cache.has("blocks.1.hook_resid_pre"));
      assert.equal(
        tf.tidy(() => resid.sub(cache.get("blocks.0.hook_resid_post")).abs().max().dataSync()[0]),
        0,
      );
    } finally {
      resid.dispose();
      cache.dispose();
    }
  });

  it("keeps tf.memory().numTensors flat over 100 runWithCache + dispose, and after a hook throws", () => {
    const warm = models.gpt2.runWithCache(TOKENS);
    warm.logits.dispose();
    warm.cache.dispose();
    const before = tf.memory().numTensors;
    for (let i = 0; i < 100; i++) {
      const { logits, cache } = models.gpt2.runWithCache(TOKENS);
      logits.dispose();
      cache.dispose();
    }
    assert.equal(tf.memory().numTensors, before, "after 100 runs");
    assert.throws(
      () =>
        models.gpt2.runWithHooks(TOKENS, {
          fwdHooks: [
            [
              "blocks.1.attn.hook_pattern",
              () => {
                throw new Error("hook failed on purpose");
              },
            ],
          ],
        }),
      /hook failed on purpose/,
    );
    assert.equal(tf.memory().numTensors, before, "after a throwing hook");
  });
});
