/**
 * logitAttrs applies the final LayerNorm itself (as TransformerLens's logit_attrs does), so a stack that already
 * had it applied (`accumulatedResid({ applyLn: true })`, the logit lens) would be scaled twice and give a wrong
 * attribution. tslens refuses such a stack with an error saying what to do; `applyLn: false` uses it as it is and
 * gives the model's own logit.
 */
import { strict as assert } from "assert";
import * as path from "path";
import { ActivationCache, HookedTransformer, loadModel, tf } from "../../src";
import type { Tensor } from "../../src/tensor";
import { REPO_ROOT } from "../support/paths";

const TOKENS = [[1, 17, 3, 40, 22, 9]];
const ANSWER = 7;

for (const modelName of ["gpt2-tiny", "llama-tiny"]) {
  describe(`logitAttrs never applies the final norm twice: ${modelName}`, function () {
    this.timeout(60_000);
    let model: HookedTransformer;
    let cache: ActivationCache;
    let logits: Tensor;

    before(async () => {
      model = await loadModel(path.join(REPO_ROOT, "tests", "fixtures", "models", modelName));
      ({ logits, cache } = model.runWithCache(TOKENS));
    });
    after(() => {
      logits?.dispose();
      cache?.dispose();
      model?.dispose();
    });

    /** The model's logit of ANSWER at each position, less b_U (which logit attribution leaves out): [pos]. */
    const ownLogit = () =>
      tf.tidy(
        () =>
          logits
            .slice([0, 0, ANSWER], [1, -1, 1])
            .reshape([-1])
            .sub(model.b_U.slice([ANSWER], [1]))
            .arraySync() as number[],
      );

    it("refuses a stack that already had LayerNorm applied, naming the fix, and leaves no tensors", () => {
      const stacks: [string, () => Tensor][] = [
        ["accumulatedResid", () => cache.accumulatedResid({ applyLn: true })],
        ["decomposeResid", () => cache.decomposeResid({ applyLn: true })],
        ["stackHeadResults", () => cache.stackHeadResults({ applyLn: true })],
        ["getFullResidDecomposition", () => cache.getFullResidDecomposition({ applyLn: true })],
        ["applyLnToStack", () => tf.tidy(() => cache.applyLnToStack(cache.decomposeResid()))],
      ];
      for (const [name, make] of stacks) {
        const stack = make();
        const before = tf.memory().numTensors;
        assert.throws(
          () => cache.logitAttrs(stack, [ANSWER]),
          /logitAttrs: this stack already has LayerNorm applied .*Build the stack without applyLn, or pass \{ applyLn: false \}/,
          name,
        );
        assert.equal(tf.memory().numTensors, before, `${name}: tensors left after the error`);
        stack.dispose();
      }
    });

    it("the logit lens stack with applyLn: false gives the model's own logit; applying the norm again would not", () => {
      const lensStack = cache.accumulatedResid({ applyLn: true }); // [layers + 1, batch, pos, d_model]
      const attrs = cache.logitAttrs(lensStack, [ANSWER], { applyLn: false }); // [layers + 1, batch, pos]
      const twice = tf.tidy(() => {
        const scaledAgain = cache.applyLnToStack(lensStack); // what logitAttrs did before: the norm a second time
        return scaledAgain.mul(model.W_U.slice([0, ANSWER], [-1, 1]).reshape([-1])).sum(-1);
      });
      try {
        const own = ownLogit();
        const final = (attrs.arraySync() as number[][][])[model.cfg.nLayers][0];
        const doubled = (twice.arraySync() as number[][][])[model.cfg.nLayers][0];
        final.forEach((v, p) => assert.ok(Math.abs(v - own[p]) < 1e-4, `position ${p}: ${v} vs the model's ${own[p]}`));
        assert.ok(
          doubled.some((v, p) => Math.abs(v - own[p]) > 1e-2),
          `the norm applied twice should change the value: ${doubled} vs ${own}`,
        );
      } finally {
        tf.dispose([lensStack, attrs, twice]);
      }
    });

    it("an unscaled stack still gets the final norm from logitAttrs (the TransformerLens default)", () => {
      const stack = cache.accumulatedResid(); // no applyLn: logitAttrs scales it by the cached ln_final scale
      const attrs = cache.logitAttrs(stack, [ANSWER]);
      try {
        const own = ownLogit();
        const final = (attrs.arraySync() as number[][][])[model.cfg.nLayers][0];
        final.forEach((v, p) => assert.ok(Math.abs(v - own[p]) < 1e-4, `position ${p}: ${v} vs ${own[p]}`));
      } finally {
        tf.dispose([stack, attrs]);
      }
    });
  });
}
