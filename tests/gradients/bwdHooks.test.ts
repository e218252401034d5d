/**
 * Backward hooks (runWithHooks with bwdHooks and a metric), bad input of the gradient runs, and tensor leaks.
 */
import { strict as assert } from "assert";
import type { Tensor } from "@tensorflow/tfjs-core";
import { HookName, tf } from "../../src";
import { logitDiff, maxAbs, rawModels } from "../support/gradients";

const TOKENS = [[5, 17, 3, 90, 44, 12, 7, 7]];
const PRE0: HookName = "blocks.0.hook_resid_pre";
const PRE1: HookName = "blocks.1.hook_resid_pre";

describe("backward hooks and gradient errors", function () {
  this.timeout(120_000);
  const models = rawModels({ gpt2: "gpt2-tiny" });

  it("a backward hook reads the gradient runWithCacheAndGrads reports, and returns the usual logits", () => {
    let seen: Tensor | undefined;
    const logits = models.gpt2.runWithHooks(TOKENS, {
      bwdHooks: [[PRE1, (grad) => void (seen = tf.keep(grad.clone()))]],
      metric: logitDiff,
    });
    const plain = models.gpt2.forward(TOKENS);
    const { cache, grads } = models.gpt2.runWithCacheAndGrads(TOKENS, logitDiff, { namesFilter: [PRE1] });
    try {
      assert.deepEqual(logits.dataSync(), plain.dataSync());
      assert.ok(seen);
      assert.deepEqual(seen.dataSync(), grads.get(PRE1).dataSync());
    } finally {
      tf.dispose([logits, plain, seen!]);
      cache.dispose();
      grads.dispose();
    }
  });

  it("a backward hook's return value replaces the gradient upstream (doubling, zeroing)", () => {
    const at = (hook?: (g: Tensor) => Tensor) => {
      const run = models.gpt2.runWithCacheAndGrads(TOKENS, logitDiff, {
        namesFilter: [PRE0, PRE1],
        bwdHooks: hook ? [[PRE1, hook]] : [],
      });
      run.cache.dispose();
      return run.grads;
    };
    const plain = at();
    const doubled = at((g) => g.mul(2));
    const zeroed = at((g) => tf.zerosLike(g));
    try {
      // The cache records the gradient arriving at the hook point, before the hook edits it.
      assert.deepEqual(doubled.get(PRE1).dataSync(), plain.get(PRE1).dataSync());
      const twice = tf.tidy(() => plain.get(PRE0).mul(2));
      assert.ok(tf.tidy(() => doubled.get(PRE0).sub(twice).abs().max().dataSync()[0]) < 1e-5 * maxAbs(twice));
      twice.dispose();
      assert.ok(maxAbs(plain.get(PRE0)) > 1e-3);
      assert.equal(maxAbs(zeroed.get(PRE0)), 0); // every path from resid_pre 0 to the logits crosses resid_pre 1
    } finally {
      for (const g of [plain, doubled, zeroed]) g.dispose();
    }
  });

  it("names the problem: bwdHooks without metric, metric without bwdHooks, unknown names, bad returns", () => {
    const read = () => undefined;
    assert.throws(() => models.gpt2.runWithHooks(TOKENS, { bwdHooks: [[PRE1, read]] }), /runWithHooks's bwdHooks need a metric/);
    assert.throws(
      () => models.gpt2.runWithHooks(TOKENS, { fwdHooks: [], metric: logitDiff }),
      /metric is only used by backward hooks/,
    );
    assert.throws(
      () => models.gpt2.runWithHooks(TOKENS, { bwdHooks: [["blocks.1.hook_resid_pr" as HookName, read]], metric: logitDiff }),
      /unknown hook point "blocks.1.hook_resid_pr"; did you mean "blocks.1.hook_resid_pre"\?/,
    );
    assert.throws(
      () => models.gpt2.runWithHooks(TOKENS, { bwdHooks: [[PRE1, () => tf.zeros([2])]], metric: logitDiff }),
      /backward hook on blocks.1.hook_resid_pre returned shape \[2\] but the gradient has shape \[1,8,32\]/,
    );
    assert.throws(
      () => models.gpt2.runWithCacheAndGrads(TOKENS, (l) => l.sum(-1), { namesFilter: [PRE1] }),
      /runWithCacheAndGrads: the metric must return a scalar tf.Tensor .* got a tensor of shape \[1,8\]/,
    );
    assert.throws(
      () => models.gpt2.runWithCacheAndGrads(TOKENS, (() => 3) as never),
      /the metric must return a scalar tf.Tensor .* got a number \(3\)/,
    );
  });

  it("a metric that does not read the logits gives zero gradients, not NaN, and says so", () => {
    const warn = console.warn;
    const notes: string[] = [];
    console.warn = (msg: string) => void notes.push(msg);
    try {
      const { value, cache, grads } = models.gpt2.runWithCacheAndGrads(TOKENS, () => tf.scalar(2.5), {
        namesFilter: [PRE0, PRE1],
      });
      assert.equal(value, 2.5);
      assert.deepEqual(grads.get(PRE0).shape, [1, 8, 32]);
      assert.equal(maxAbs(grads.get(PRE0)), 0);
      assert.equal(maxAbs(grads.get(PRE1)), 0);
      cache.dispose();
      grads.dispose();
    } finally {
      console.warn = warn;
    }
    assert.deepEqual(notes, ["runWithCacheAndGrads: the metric does not depend on the logits, so every gradient is zero"]);
  });

  it("keeps the tensor count flat over 100 gradient runs, failing ones included", () => {
    const failing = [
      () => models.gpt2.runWithCacheAndGrads(TOKENS, (l) => l.sum(-1), { namesFilter: [PRE0] }),
      () =>
        models.gpt2.runWithHooks(TOKENS, {
          bwdHooks: [
            [
              PRE0,
              () => {
                throw new Error("backward boom");
              },
            ],
          ],
          metric: logitDiff,
        }),
      () =>
        models.gpt2.runWithCacheAndGrads(TOKENS, logitDiff, {
          fwdHooks: [
            [
              PRE1,
              () => {
                throw new Error("forward boom");
              },
            ],
          ],
        }),
      () =>
        models.gpt2.runWithCacheAndGrads(TOKENS, () => {
          throw new Error("metric boom");
        }),
    ];
    const once = (i: number) => {
      if (i % 2 === 1) return assert.throws(failing[((i - 1) / 2) % failing.length], /boom|scalar/);
      if (i % 4 === 2)
        return tf.dispose(models.gpt2.runWithHooks(TOKENS, { bwdHooks: [[PRE0, (g) => g.neg()]], metric: logitDiff }));
      const { cache, grads } = models.gpt2.runWithCacheAndGrads(TOKENS, logitDiff, { bwdHooks: [[PRE1, (g) => g.mul(0.5)]] });
      cache.dispose();
      grads.dispose();
    };
    for (let i = 0; i < 2 * failing.length; i++) once(i); // warm-up
    const before = tf.memory().numTensors;
    for (let i = 0; i < 100; i++) once(i);
    assert.equal(tf.memory().numTensors, before);
  });
});
