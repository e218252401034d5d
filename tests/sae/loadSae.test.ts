/**
 * lens.loadSae on folders sae-lens 6 wrote itself (scripts/fixtures/make_sae_fixtures.py): the config read and
 * camelCased, and encode / decode / forward equal to sae-lens's own outputs (≤ 1e-4) for every architecture.
 */
import { strict as assert } from "assert";
import * as path from "path";
import { loadSae, tf } from "../../src";
import { maxAbsDiff } from "../support/hfReference";
import { SAE_FIXTURES, SAE_NAMES, saeReference } from "./support";

const TOLERANCE = 1e-4;
const worst: Record<string, number> = {};

describe("loadSae: SAELens folders, encode/decode/forward against sae-lens", function () {
  this.timeout(60_000);
  after(() => console.log("    worst |tslens − sae-lens| per SAE:", JSON.stringify(worst)));

  it("exposes the config camelCased (standard at blocks.1.hook_resid_pre)", async () => {
    const sae = await loadSae(path.join(SAE_FIXTURES, "standard"));
    try {
      assert.equal(sae.cfg.hookName, "blocks.1.hook_resid_pre");
      assert.equal(sae.cfg.dIn, 32);
      assert.equal(sae.cfg.dSae, 64);
      assert.equal(sae.cfg.architecture, "standard");
      assert.equal(sae.cfg.applyBDecToInput, true);
      assert.equal(sae.cfg.normalizeActivations, "none");
      assert.equal(sae.cfg.modelName, "gpt2-tiny");
      assert.equal(sae.cfg.saeLensVersion, "6.54.12");
    } finally {
      sae.dispose();
    }
  });

  it("reads a transcoder's output hook and a topk's k", async () => {
    const tc = await loadSae(path.join(SAE_FIXTURES, "transcoder"));
    const topk = await loadSae(path.join(SAE_FIXTURES, "topk-rescaled"));
    try {
      assert.equal(tc.cfg.hookName, "blocks.0.hook_resid_mid");
      assert.equal(tc.cfg.hookNameOut, "blocks.0.hook_mlp_out");
      assert.equal(tc.cfg.dOut, 32);
      assert.equal(topk.cfg.k, 6);
      assert.equal(topk.cfg.rescaleActsByDecoderNorm, true);
    } finally {
      tc.dispose();
      topk.dispose();
    }
  });

  for (const name of SAE_NAMES) {
    it(`${name}: encode, decode and forward ≤ ${TOLERANCE}`, async () => {
      const sae = await loadSae(path.join(SAE_FIXTURES, name));
      const ref = await saeReference(name);
      const before = tf.memory().numTensors;
      try {
        const acts = sae.encode(ref.x);
        const out = sae.forward(ref.x);
        const errors = [maxAbsDiff(acts, ref.encode, `${name} encode`), maxAbsDiff(out, ref.forward, `${name} forward`)];
        const normalised =
          sae.cfg.normalizeActivations === "constant_norm_rescale" || sae.cfg.normalizeActivations === "layer_norm";
        if (!normalised && sae.cfg.reshapeActivations === "none") {
          const rec = sae.decode(ref.encode);
          errors.push(maxAbsDiff(rec, ref.decode, `${name} decode`));
          rec.dispose();
        }
        // the references are not trivial: some features fire, some do not
        const active = tf.tidy(() => ref.encode.greater(0).sum().dataSync()[0]);
        assert.ok(active > 0 && active < ref.encode.size, `${name}: ${active} of ${ref.encode.size} features active`);
        tf.dispose([acts, out]);
        assert.equal(tf.memory().numTensors, before, `${name}: tensors leaked`);
        worst[name] = Math.max(...errors);
        assert.ok(worst[name] <= TOLERANCE, `${name}: max abs diff ${worst[name]}`);
      } finally {
        sae.dispose();
        tf.dispose(Object.values(ref));
      }
    });
  }
});
