/**
 * runFromLayer (TransformerLens's start_at_layer): starting at block l from the cached
 * resid_pre of layer l gives the full forward's logits, for standard, shortformer and rotary
 * positions, also for the later positions alone given the earlier ones' keys and values; hooks
 * run; bad arguments get clear errors.
 */
import { strict as assert } from "assert";
import * as path from "path";
import { HookName, loadModel, tf } from "../../src";
import type { PastPositions } from "../../src/model/kvCache";
import { REPO_ROOT } from "../support/paths";

describe("runFromLayer", function () {
  this.timeout(60_000);

  for (const folder of ["tests/fixtures/models/gpt2-tiny", "tests/fixtures/models/llama-tiny", "models/attn-only-2l"]) {
    it(`${path.basename(folder)}: starting at each layer from resid_pre gives the forward's logits`, async () => {
      const model = await loadModel(path.join(REPO_ROOT, folder));
      try {
        const rows = [
          [1, 7, 3, 9, 4, 7],
          [2, 8, 8, 5, 1, 0],
        ];
        const { logits, cache } = model.runWithCache(rows, { namesFilter: (n) => n.endsWith("hook_resid_pre") });
        for (let l = 0; l <= model.cfg.nLayers - 1; l++) {
          const again = model.runFromLayer(cache.get(`blocks.${l}.hook_resid_pre`), l);
          const diff = tf.tidy(() => again.sub(logits).abs().max().dataSync()[0]);
          again.dispose();
          assert.ok(diff <= 1e-5, `layer ${l}: ${diff}`);
        }
        // With the earlier positions' keys and values as `past`, positions 4… alone give the same logits there.
        const keysHook = model.cfg.positionalEmbeddingType === "rotary" ? "attn.hook_rot_k" : "attn.hook_k";
        const kv = model.runWithCache(rows, { namesFilter: (n) => n.endsWith(keysHook) || n.endsWith("attn.hook_v") }).cache;
        const before = (name: HookName) => kv.get(name).slice([0, 0, 0, 0], [-1, 4, -1, -1]); // [batch, 4, kv, e]
        const past: PastPositions = {
          length: 4,
          forLayer: (l) => ({ past: [before(`blocks.${l}.${keysHook}`), before(`blocks.${l}.attn.hook_v`)], store: () => {} }),
        };
        for (let l = 0; l < model.cfg.nLayers; l++) {
          const tail = cache.get(`blocks.${l}.hook_resid_pre`).slice([0, 4, 0], [-1, -1, -1]); // [batch, 2, d_model]
          const again = model.runFromLayer(tail, l, { past });
          const diff = tf.tidy(
            () =>
              again
                .sub(logits.slice([0, 4, 0], [-1, -1, -1]))
                .abs()
                .max()
                .dataSync()[0],
          );
          tf.dispose([tail, again]);
          assert.ok(diff <= 1e-5, `layer ${l} after 4 positions: ${diff}`);
        }
        kv.dispose();
        let seen = "";
        const hooked = model.runFromLayer(cache.get("blocks.1.hook_resid_pre"), 1, {
          fwdHooks: [[(n) => n.startsWith("blocks.") || n.startsWith("hook_"), (_x, hook) => void (seen += hook.name + " ")]],
        });
        assert.ok(seen.startsWith("blocks.1.hook_resid_pre"), seen);
        assert.ok(!seen.includes("hook_embed") && !seen.includes("blocks.0."), seen);
        tf.dispose([logits, hooked]);
        cache.dispose();
      } finally {
        model.dispose();
      }
    });
  }

  it("rejects a layer out of range and a residual stream of the wrong shape", async () => {
    const model = await loadModel(path.join(REPO_ROOT, "tests/fixtures/models/gpt2-tiny"));
    const resid = tf.zeros([1, 3, model.cfg.dModel]);
    try {
      assert.throws(() => model.runFromLayer(resid, 3), /startAtLayer must be an integer in 0…2/);
      assert.throws(() => model.runFromLayer(tf.zeros([1, 3, 5]), 0), /resid must be \[batch, pos ≤ 64, 32\], got \[1,3,5\]/);
      const past = { length: 62, forLayer: () => ({ store: () => {} }) };
      assert.throws(() => model.runFromLayer(resid, 0, { past }), /resid must be \[batch, pos ≤ 2, 32\], got \[1,3,32\]/);
    } finally {
      resid.dispose();
      model.dispose();
    }
  });
});
