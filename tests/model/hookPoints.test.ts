/**
 * Hook points declared once: hookNames(cfg) lists TransformerLens's names in forward order, each forward fires exactly
 * the points it lists (for every architecture and flag), and names built at run time are checked by hookName.
 */
import { strict as assert } from "assert";
import * as path from "path";
import { HookedTransformer, hookName, HookName, loadModel, tf } from "../../src";
import { REPO_ROOT } from "../support/paths";

const FIXTURES = path.join(REPO_ROOT, "tests", "fixtures", "models");
const TOKENS = [[5, 17, 3, 90, 44, 12]];

/** Block 0's names of a model, without the "blocks.0." prefix. */
function blockZero(model: HookedTransformer): string[] {
  return model
    .hookNames()
    .filter((n) => n.startsWith("blocks.0."))
    .map((n) => n.slice("blocks.0.".length));
}

/** Every name a forward of `model` passes an activation through, in the order they fire. */
function fired(model: HookedTransformer): string[] {
  const seen: string[] = [];
  const record = (name: HookName) => (seen.push(name), false);
  model.runWithHooks(TOKENS, { fwdHooks: [[record, (x) => x]] }).dispose();
  return seen;
}

describe("hook point tables", function () {
  this.timeout(60_000);
  const models: Record<string, HookedTransformer> = {};
  before(async () => {
    for (const name of ["gpt2-tiny", "neox-tiny", "llama-tiny"])
      models[name] = await loadModel(path.join(FIXTURES, name), { processWeights: false });
    models["attn-only-2l"] = await loadModel("attn-only-2l");
  });
  after(() => Object.values(models).forEach((m) => m.dispose()));

  it("hookNames keeps TransformerLens's forward order (every gate on, then each architecture's own)", () => {
    const gpt2 = models["gpt2-tiny"];
    gpt2.cfg.useAttnResult = true;
    gpt2.cfg.useSplitQkvInput = true;
    try {
      const names = gpt2.hookNames();
      assert.deepEqual(names.slice(0, 2), ["hook_embed", "hook_pos_embed"]);
      assert.deepEqual(names.slice(-2), ["ln_final.hook_scale", "ln_final.hook_normalized"]);
      assert.deepEqual(blockZero(gpt2), [
        "hook_resid_pre",
        "hook_q_input",
        "hook_k_input",
        "hook_v_input",
        "ln1.hook_scale",
        "ln1.hook_normalized",
        "attn.hook_q",
        "attn.hook_k",
        "attn.hook_v",
        "attn.hook_attn_scores",
        "attn.hook_pattern",
        "attn.hook_z",
        "attn.hook_result",
        "hook_attn_out",
        "hook_resid_mid",
        "ln2.hook_scale",
        "ln2.hook_normalized",
        "mlp.hook_pre",
        "mlp.hook_post",
        "hook_mlp_out",
        "hook_resid_post",
      ]);
      assert.equal(names.length, 2 + 2 * 21 + 2);
    } finally {
      gpt2.cfg.useAttnResult = false;
      gpt2.cfg.useSplitQkvInput = false;
    }
    // NeoX: rotary (no hook_pos_embed, rot_q / rot_k after q, k, v), parallel attention and MLP (no resid_mid).
    const neox = blockZero(models["neox-tiny"]);
    assert.ok(!models["neox-tiny"].hookNames().includes("hook_pos_embed"));
    assert.deepEqual(neox.slice(3, 8), ["attn.hook_q", "attn.hook_k", "attn.hook_v", "attn.hook_rot_q", "attn.hook_rot_k"]);
    assert.ok(!neox.includes("hook_resid_mid"));
    // Llama: gated MLP (hook_pre_linear between pre and post).
    const llama = blockZero(models["llama-tiny"]);
    assert.deepEqual(llama.slice(llama.indexOf("mlp.hook_pre"), -2), ["mlp.hook_pre", "mlp.hook_pre_linear", "mlp.hook_post"]);
    // Attention-only: no resid_mid, ln2, MLP or mlp_out.
    assert.deepEqual(blockZero(models["attn-only-2l"]).slice(-2), ["hook_attn_out", "hook_resid_post"]);
  });

  it("each forward fires exactly the hook points hookNames lists, in that order", () => {
    for (const [name, model] of Object.entries(models)) {
      assert.deepEqual(fired(model), model.hookNames(), name);
      model.cfg.useAttnResult = true;
      try {
        assert.deepEqual(fired(model), model.hookNames(), `${name} with useAttnResult`);
      } finally {
        model.cfg.useAttnResult = false;
      }
    }
  });

  it("with split qkv input, ln1 runs once per input and each point fires (the list keeps the declared order)", () => {
    for (const [name, model] of Object.entries(models)) {
      model.cfg.useSplitQkvInput = true;
      try {
        const seen = fired(model);
        assert.deepEqual([...new Set(seen)].sort(), [...model.hookNames()].sort(), name);
        assert.equal(seen.filter((n) => n === "blocks.0.ln1.hook_scale").length, 3, name);
        const order = seen.filter((n) => n.startsWith("blocks.0.") && /(_input|ln1\.hook_scale)$/.test(n)).slice(0, 6);
        assert.deepEqual(
          order.map((n) => n.slice(9)),
          ["hook_q_input", "ln1.hook_scale", "hook_k_input", "ln1.hook_scale", "hook_v_input", "ln1.hook_scale"],
          name,
        );
      } finally {
        model.cfg.useSplitQkvInput = false;
      }
    }
  });

  it("lens.hookName accepts any name some model has and names the closest for a misspelling", () => {
    for (const name of ["hook_embed", "blocks.0.attn.hook_result", "blocks.31.mlp.hook_pre_linear", "ln_final.hook_scale"])
      assert.equal(hookName(name), name);
    assert.throws(
      () => hookName("blocks.3.attn.hook_patern"),
      /unknown hook point "blocks\.3\.attn\.hook_patern"; did you mean "blocks\.3\.attn\.hook_pattern"\?/,
    );
    assert.throws(
      () => hookName("blocks.x.attn.hook_z"),
      /unknown hook point "blocks\.x\.attn\.hook_z"; did you mean "blocks\.0\.attn\.hook_z"\?/,
    );
    assert.throws(() => hookName("blocks.01.hook_resid_pre"), /unknown hook point/);
    assert.throws(() => hookName(7 as unknown as string), /a hook name must be a string, got a number \(7\)/);
  });

  it("model.hookName checks the model's own layers and flags", () => {
    const gpt2 = models["gpt2-tiny"];
    assert.equal(gpt2.hookName("blocks.1.attn.hook_z"), "blocks.1.attn.hook_z");
    assert.throws(
      () => gpt2.hookName("blocks.2.attn.hook_z"),
      /unknown hook point "blocks\.2\.attn\.hook_z"; did you mean "blocks\.[01]\.attn\.hook_z"\?/,
    );
    assert.throws(
      () => gpt2.hookName("blocks.0.attn.hook_result"),
      /hook point "blocks\.0\.attn\.hook_result" is off: set model\.cfg\.useAttnResult = true first/,
    );
    assert.throws(() => gpt2.hookName("blocks.0.attn.hook_rot_q"), /unknown hook point "blocks\.0\.attn\.hook_rot_q"/);
    assert.equal(models["neox-tiny"].hookName("blocks.0.attn.hook_rot_q"), "blocks.0.attn.hook_rot_q");
  });

  it("a gated point is 'off' only while its flag is off; a layer beyond the model is unknown", () => {
    const gpt2 = models["gpt2-tiny"];
    gpt2.cfg.useAttnResult = true;
    try {
      const name = "blocks.5.attn.hook_result" as HookName;
      assert.throws(
        () => gpt2.runWithHooks(TOKENS, { fwdHooks: [[name, (x) => x]] }),
        /unknown hook point "blocks\.5\.attn\.hook_result"/,
      );
    } finally {
      gpt2.cfg.useAttnResult = false;
    }
    const before = tf.memory().numTensors;
    assert.throws(
      () => gpt2.runWithHooks(TOKENS, { fwdHooks: [["blocks.0.hook_q_input", (x) => x]] }),
      /useSplitQkvInput = true/,
    );
    assert.equal(tf.memory().numTensors, before);
  });
});
