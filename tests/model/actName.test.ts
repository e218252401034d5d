/**
 * TransformerLens's short activation names: lens.actName (utils.get_act_name) and cache.get with a layer
 * (cache["pattern", 2], negative layers included); a short name that names no hook point is an error naming it.
 */
import { strict as assert } from "assert";
import * as path from "path";
import { actName, ActivationCache, HookedTransformer, loadModel, tf } from "../../src";
import { REPO_ROOT } from "../support/paths";

const GPT2 = path.join(REPO_ROOT, "tests", "fixtures", "models", "gpt2-tiny");

describe("short activation names (TransformerLens's get_act_name)", () => {
  it("maps a name and a layer to the full hook name, attention and MLP names getting their module", () => {
    assert.equal(actName("pattern", 2), "blocks.2.attn.hook_pattern");
    assert.equal(actName("k", 6, "a"), "blocks.6.attn.hook_k");
    assert.equal(actName("rot_q", 1), "blocks.1.attn.hook_rot_q");
    assert.equal(actName("attn_scores", 0), "blocks.0.attn.hook_attn_scores");
    assert.equal(actName("pre", 5), "blocks.5.mlp.hook_pre");
    assert.equal(actName("pre_linear", 5), "blocks.5.mlp.hook_pre_linear");
    assert.equal(actName("resid_pre", 3), "blocks.3.hook_resid_pre");
    assert.equal(actName("attn_out", 3, "b"), "blocks.3.hook_attn_out");
    assert.equal(actName("q_input", 1), "blocks.1.hook_q_input");
    assert.equal(actName("scale", 4, "ln1"), "blocks.4.ln1.hook_scale");
    assert.equal(actName("normalized", 0, "ln2"), "blocks.0.ln2.hook_normalized");
  });

  it("knows TransformerLens's aliases, compact names, names without a layer, and passes full names through", () => {
    assert.equal(actName("attn", 2), "blocks.2.attn.hook_pattern");
    assert.equal(actName("attn_logits", 2), "blocks.2.attn.hook_attn_scores");
    assert.equal(actName("key", 1), "blocks.1.attn.hook_k");
    assert.equal(actName("query", 1), "blocks.1.attn.hook_q");
    assert.equal(actName("value", 1), "blocks.1.attn.hook_v");
    assert.equal(actName("mlp_post", 7), "blocks.7.mlp.hook_post");
    assert.equal(actName("k6"), "blocks.6.attn.hook_k");
    assert.equal(actName("pre5"), "blocks.5.mlp.hook_pre");
    assert.equal(actName("scale4ln1"), "blocks.4.ln1.hook_scale");
    assert.equal(actName("resid_post11"), "blocks.11.hook_resid_post");
    assert.equal(actName("scale"), "ln_final.hook_scale");
    assert.equal(actName("normalized"), "ln_final.hook_normalized");
    assert.equal(actName("embed"), "hook_embed");
    assert.equal(actName("pos_embed"), "hook_pos_embed");
    assert.equal(actName("blocks.3.attn.hook_z"), "blocks.3.attn.hook_z");
    assert.equal(actName("hook_embed"), "hook_embed");
  });

  it("names the short name when it gives no hook point, and rejects bad layers and layer types", () => {
    assert.throws(
      () => actName("patern" as never, 2),
      /actName\("patern", 2\) gives "blocks.2.hook_patern", which is not a hook point: unknown hook point/,
    );
    assert.throws(
      () => actName("pattern", -1),
      /actName\("pattern", -1\): the layer must be an integer ≥ 0, got a number \(-1\)/,
    );
    assert.throws(() => actName("pattern", 1.5), /the layer must be an integer ≥ 0/);
    assert.throws(
      () => actName("resid_pre", 1, "x" as never),
      /actName\("resid_pre", 1, "x"\): unknown layer type "x" \(known: a, attn/,
    );
    assert.throws(
      () => actName("blocks.0.attn.hook_patern" as never),
      /unknown hook point "blocks.0.attn.hook_patern"; did you mean "blocks.0.attn.hook_pattern"/,
    );
  });

  describe("cache.get with short names", function () {
    this.timeout(30_000);
    let model: HookedTransformer;
    let cache: ActivationCache;
    let logits: tf.Tensor;
    before(async () => {
      model = await loadModel(GPT2, { processWeights: false });
      ({ logits, cache } = model.runWithCache([[3, 17, 42, 9]]));
    });
    after(() => {
      logits?.dispose();
      cache?.dispose();
      model?.dispose();
    });

    it("returns the same tensor as the full name, negative layers counting from the end", () => {
      const last = model.cfg.nLayers - 1;
      assert.equal(cache.get("pattern", 1), cache.get("blocks.1.attn.hook_pattern"));
      assert.equal(cache.get("pattern", -1), cache.get(`blocks.${last}.attn.hook_pattern`));
      assert.equal(cache.get("resid_pre", -model.cfg.nLayers), cache.get("blocks.0.hook_resid_pre"));
      assert.equal(cache.get("scale", 0, "ln1"), cache.get("blocks.0.ln1.hook_scale"));
      assert.equal(cache.get("k1"), cache.get("blocks.1.attn.hook_k"));
      assert.equal(cache.get("embed"), cache.get("hook_embed"));
      assert.equal(cache.get("normalized"), cache.get("ln_final.hook_normalized"));
    });

    it("names the problem: a layer past the model, a layer before the first, a name it does not know", () => {
      const n = model.cfg.nLayers;
      assert.throws(() => cache.get("pattern", n), new RegExp(`unknown hook point "blocks.${n}.attn.hook_pattern"`));
      assert.throws(
        () => cache.get("pattern", -n - 1),
        new RegExp(`cache.get\\("pattern", ${-n - 1}\\): layer ${-n - 1} is before the first of ${n} layers`),
      );
      assert.throws(
        () => cache.get("patern" as never, 0),
        /actName\("patern", 0\) gives "blocks.0.hook_patern", which is not a hook point/,
      );
      assert.throws(() => cache.get("rot_q", 0), /"blocks.0.attn.hook_rot_q"/, "gpt2 has no rotary hook");
    });
  });
});
