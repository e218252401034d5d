/**
 * hook_normalized as TransformerLens defines it: the norm's output, with the norm's weight (and bias) when they are
 * not folded (LayerNorm / RMSNorm), and without them after folding (LayerNormPre / RMSPre).
 */
import { strict as assert } from "assert";
import { tf } from "../../src";
import type { Tensor } from "../../src/tensor";
import { assertNoLeak, loadRawAndProcessed } from "../support/familyFixture";
import { maxAbsDiff } from "../support/hfReference";

const TOKENS = [[3, 17, 42, 9, 5, 28]];

/** Largest |a − b| of two tensors of the same shape. */
const maxDiff = (a: Tensor, b: Tensor) => maxAbsDiff(a, b, "hook_normalized check");

describe("hook_normalized (TransformerLens semantics)", function () {
  this.timeout(60_000);

  for (const name of ["gpt2-tiny", "llama-tiny"]) {
    describe(name, () => {
      const models = loadRawAndProcessed(name);

      it("unfolded: logits = ln_final.hook_normalized · W_U + b_U (the weight is inside the hook)", () => {
        const { logits, cache } = models.raw.runWithCache(TOKENS);
        const expected = tf.tidy(() =>
          tf
            .einsum("bpd,dv->bpv", cache.get("ln_final.hook_normalized"), models.raw.param("unembed.W_U"))
            .add(models.raw.param("unembed.b_U")),
        );
        const gap = maxDiff(expected, logits);
        tf.dispose([logits, expected]);
        cache.dispose();
        assert.ok(gap < 1e-4, `logits from ln_final.hook_normalized differ by ${gap}`);
      });

      it("unfolded: a hook zeroing ln_final.hook_normalized leaves logits = b_U (no weight or bias after it)", () => {
        const logits = models.raw.runWithHooks(TOKENS, { fwdHooks: [["ln_final.hook_normalized", (x) => tf.zerosLike(x)]] });
        const expected = tf.tidy(() => models.raw.param("unembed.b_U").reshape([1, 1, -1]).tile([1, TOKENS[0].length, 1]));
        const gap = maxDiff(expected, logits);
        tf.dispose([logits, expected]);
        assert.ok(gap === 0, `logits after zeroing the normalized stream differ from b_U by ${gap}`);
      });

      it("unfolded: blocks.0.attn.hook_q = ln1.hook_normalized · W_Q + b_Q (before rotary)", () => {
        const { logits, cache } = models.raw.runWithCache(TOKENS);
        const expected = tf.tidy(() =>
          tf
            .einsum("bpd,hde->bphe", cache.get("blocks.0.ln1.hook_normalized"), models.raw.param("blocks.0.attn.W_Q"))
            .add(models.raw.param("blocks.0.attn.b_Q")),
        );
        const gap = maxDiff(expected, cache.get("blocks.0.attn.hook_q"));
        tf.dispose([logits, expected]);
        cache.dispose();
        assert.ok(gap < 1e-4, `hook_q from ln1.hook_normalized differs by ${gap}`);
      });

      it("folded (LNPre / RMSPre): hook_normalized has no weight, so each row has unit root-mean-square", () => {
        assert.ok(!models.processed.paramNames().includes("ln_final.w"), "the final norm weight is folded away");
        const { logits, cache } = models.processed.runWithCache(TOKENS);
        const rms = tf.tidy(() => cache.get("ln_final.hook_normalized").square().mean(-1).sqrt());
        const gap = tf.tidy(() => rms.sub(1).abs().max().dataSync()[0]);
        tf.dispose([logits, rms]);
        cache.dispose();
        assert.ok(gap < 1e-3, `root-mean-square of the folded hook_normalized is off 1 by ${gap}`);
      });

      it("leaks no tensors across repeated runs", () => {
        assertNoLeak(() => {
          const { logits, cache } = models.raw.runWithCache(TOKENS);
          logits.dispose();
          cache.dispose();
        });
      });
    });
  }
});
