/**
 * Hub releases written by sae-lens before 6.0 (jbloom/GPT2-Small-SAEs-Reformatted and its kind): their cfg.json
 * (`hook_point`, `activation_fn_str`, boolean `normalize_activations`, no architecture) is read as sae-lens 6 reads
 * it, and the SAE computes what sae-lens computed for the same weights (the fixtures' reference outputs, ≤ 1e-4).
 */
import { strict as assert } from "assert";
import * as fs from "fs";
import * as path from "path";
import { loadSae, tf } from "../../src";
import { upgradeLegacySaeConfig } from "../../src/sae/legacyConfig";
import { maxAbsDiff } from "../support/hfReference";
import { tempDir } from "../loading/hub-support/fixtures";
import { HubSaeFixture, legacyConfig } from "./hubSupport";
import { SAE_FIXTURES, saeReference } from "./support";

const TOLERANCE = 1e-4;

/** A folder holding fixture `fixture`'s weights under the cfg.json `cfg`. */
function legacyFolder(fixture: string, cfg: Record<string, unknown>): string {
  const dir = tempDir("tslens-sae-legacy-");
  fs.copyFileSync(path.join(SAE_FIXTURES, fixture, "sae_weights.safetensors"), path.join(dir, "sae_weights.safetensors"));
  fs.writeFileSync(path.join(dir, "cfg.json"), JSON.stringify(cfg));
  return dir;
}

/** The largest |sae.encode(x) − sae-lens's encode| on fixture `fixture`'s input. */
async function encodeError(fixture: string, sae: Awaited<ReturnType<typeof loadSae>>): Promise<number> {
  const ref = await saeReference(fixture);
  try {
    const acts = sae.encode(ref.x);
    const error = maxAbsDiff(acts, ref.encode, `${fixture} encode`);
    acts.dispose();
    return error;
  } finally {
    tf.dispose(Object.values(ref));
  }
}

describe("loadSae: cfg.json from sae-lens before 6.0", function () {
  this.timeout(20_000);
  const fx = new HubSaeFixture();
  beforeEach(() => fx.setUp());
  afterEach(() => fx.tearDown());

  it("a jbloom-style hub release (hook_point, torch dtype, no architecture) loads and encodes as sae-lens does", async () => {
    const before = tf.memory().numTensors;
    const sae = await loadSae("jbloom-style/GPT2-Tiny-SAEs-Reformatted/blocks.1.hook_resid_pre", fx.options);
    try {
      assert.equal(sae.cfg.hookName, "blocks.1.hook_resid_pre");
      assert.equal(sae.cfg.architecture, "standard");
      assert.equal(sae.cfg.applyBDecToInput, true);
      assert.equal(sae.cfg.normalizeActivations, "none");
      assert.equal(sae.cfg.hookPointLayer, 1);
      assert.ok((await encodeError("standard", sae)) <= TOLERANCE);
    } finally {
      sae.dispose();
    }
    assert.equal(tf.memory().numTensors, before);
  });

  it("activation_fn_str topk with activation_fn_kwargs.k is a topk SAE; normalize_activations true is expected_average_only_in", async () => {
    const cfg = legacyConfig("topk", {
      activation_fn_str: "topk",
      activation_fn_kwargs: { k: 6 },
      normalize_activations: true,
      sae_lens_version: "3.20.0",
    });
    const sae = await loadSae(legacyFolder("topk", cfg));
    try {
      assert.equal(sae.cfg.architecture, "topk");
      assert.equal(sae.cfg.k, 6);
      assert.equal(sae.cfg.rescaleActsByDecoderNorm, false);
      assert.equal(sae.cfg.normalizeActivations, "expected_average_only_in");
      assert.ok((await encodeError("topk", sae)) <= TOLERANCE);
    } finally {
      sae.dispose();
    }
  });

  it("a hook_z hook point reshapes as hook_z; a null normalize_activations is none", async () => {
    const sae = await loadSae(legacyFolder("hook-z", legacyConfig("hook-z", { normalize_activations: null })));
    try {
      assert.equal(sae.cfg.hookName, "blocks.0.attn.hook_z");
      assert.equal(sae.cfg.reshapeActivations, "hook_z");
      assert.equal(sae.cfg.normalizeActivations, "none");
      assert.ok((await encodeError("hook-z", sae)) <= TOLERANCE);
    } finally {
      sae.dispose();
    }
  });

  it("a config of sae-lens 6 is left as it is; where old and new names are both given the new one wins", () => {
    const modern = { ...legacyConfig("standard"), metadata: { sae_lens_version: "6.0.0", hook_name: "blocks.0.hook_resid_pre" } };
    assert.equal(upgradeLegacySaeConfig(modern), modern);
    const both = upgradeLegacySaeConfig(legacyConfig("standard", { hook_name: "blocks.0.hook_resid_post" }));
    assert.equal((both as Record<string, unknown>).hook_name, "blocks.0.hook_resid_post");
    assert.ok(!("hook_point" in (both as object)));
  });

  it("a pre-6.0 config without any hook name still gets the parser's error naming the field", async () => {
    const cfg = legacyConfig("standard");
    delete cfg.hook_point;
    const dir = legacyFolder("standard", cfg);
    await assert.rejects(
      loadSae(dir),
      /cfg\.json: "metadata\.hook_name" \(the hook point the SAE reads\) must be a string \(it is missing\)/,
    );
  });
});
