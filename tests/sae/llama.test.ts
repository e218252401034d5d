/**
 * The acceptance path on a tiny Llama (llama-tiny, d_model 32 like the fixture SAEs): standard, JumpReLU and
 * TopK SAEs at blocks.1.hook_resid_pre — runWithSaes with useErrorTerm equals the clean logits, without it the
 * activation flowing on is sae.forward(clean activation), and the cached hook_sae_acts_post is sae.encode of it.
 */
import { strict as assert } from "assert";
import * as path from "path";
import { HookedTransformer, loadModel, loadSae, tf } from "../../src";
import { FIXTURES, maxAbsDiff } from "../support/hfReference";
import { SAE_FIXTURES } from "./support";

describe("SAEs spliced into llama-tiny at blocks.1.hook_resid_pre", function () {
  this.timeout(60_000);
  let model: HookedTransformer;
  before(async () => {
    model = await loadModel(path.join(FIXTURES, "llama-tiny"));
  });
  after(() => model?.dispose());

  for (const name of ["standard", "jumprelu", "topk-rescaled"]) {
    it(`${name}: error term → clean logits; splice → sae.forward at the hook; acts_post = sae.encode`, async () => {
      const sae = await loadSae(path.join(SAE_FIXTURES, name));
      const hook = "blocks.1.hook_resid_pre";
      assert.equal(sae.cfg.hookName, hook);
      const tokens = tf.tensor2d([[1, 5, 9, 2, 7, 3]], undefined, "int32");
      const clean = model.runWithCache(tokens, { namesFilter: [hook] });
      const withError = model.runWithSaes(tokens, [sae], { useErrorTerm: true });
      const spliced = model.runWithCacheWithSaes(tokens, [sae]);
      const expectedOut = sae.forward(clean.cache.get(hook));
      const expectedActs = sae.encode(clean.cache.get(hook));
      try {
        assert.ok(maxAbsDiff(withError, clean.logits!, "error term") <= 1e-4);
        assert.ok(maxAbsDiff(spliced.cache.get(hook), expectedOut, "spliced activation") <= 1e-5);
        assert.ok(maxAbsDiff(spliced.cache.get(`${hook}.hook_sae_acts_post`), expectedActs, "acts_post") <= 1e-5);
        assert.ok(maxAbsDiff(spliced.logits, clean.logits!, "spliced vs clean") > 1e-2, "splicing changed nothing");
      } finally {
        tf.dispose([tokens, clean.logits!, withError, spliced.logits, expectedOut, expectedActs]);
        clean.cache.dispose();
        spliced.cache.dispose();
        sae.dispose();
      }
    });
  }
});
