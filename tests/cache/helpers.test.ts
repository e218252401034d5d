/**
 * ActivationCache helpers against TransformerLens 3.9's own ActivationCache on the same
 * weights and tokens (fixtures from scripts/fixtures/make_analysis_fixtures.py): GPT-2
 * (LayerNorm, MLPs) and Llama (RMSNorm, gated MLP, grouped-query attention), both with
 * TransformerLens's default weight processing. Every value within 1e-4; labels equal.
 */
import { strict as assert } from "assert";
import * as path from "path";
import { ActivationCache, BlockHookSuffix, HookedTransformer, loadModel, tf } from "../../src";
import type { Tensor } from "../../src/tensor";
import { REPO_ROOT } from "../support/paths";
import { TlResults, tlResults } from "../support/tlFixtures";

const TOLERANCE = 1e-4;

function assertClose(actual: Tensor, expected: Tensor, what: string): void {
  assert.deepEqual(actual.shape, expected.shape, `${what}: shape`);
  const diff = tf.tidy(() => actual.sub(expected).abs().max().dataSync()[0]);
  assert.ok(diff <= TOLERANCE, `${what}: max |tslens − TransformerLens| = ${diff}`);
}

/** Compares a [stack, labels] result with TransformerLens's, then disposes the stack. */
function check(tl: TlResults, name: string, result: [Tensor, string[]] | Tensor): void {
  const [stack, labels] = Array.isArray(result) ? result : [result, undefined];
  try {
    assertClose(stack, tl.get(name), `${name} (${tl.call(name)})`);
    if (labels) assert.deepEqual(labels, tl.labels(name), `${name}: labels`);
  } finally {
    stack.dispose();
  }
}

for (const modelName of ["gpt2-tiny", "llama-tiny"]) {
  describe(`cache helpers match TransformerLens: ${modelName}`, function () {
    this.timeout(60_000);
    let model: HookedTransformer;
    let tl: TlResults;
    let cache: ActivationCache;
    let logits: Tensor;

    before(async () => {
      model = await loadModel(path.join(REPO_ROOT, "tests", "fixtures", "models", modelName));
      tl = await tlResults(modelName);
      ({ logits, cache } = model.runWithCache(tl.ints("tokens") as number[][]));
    });
    after(() => {
      logits?.dispose();
      cache?.dispose();
      tl?.dispose();
      model?.dispose();
    });

    it("accumulatedResid: plain, with resid_mid, logit lens (ln_final recomputed), a layer's MLP input, one position", () => {
      check(tl, "accumulated_resid", cache.accumulatedResid({ returnLabels: true }));
      check(tl, "accumulated_resid.incl_mid", cache.accumulatedResid({ inclMid: true, returnLabels: true }));
      check(tl, "accumulated_resid.apply_ln", cache.accumulatedResid({ applyLn: true, returnLabels: true }));
      check(
        tl,
        "accumulated_resid.layer1_mid_mlp_input_ln",
        cache.accumulatedResid({ layer: 1, inclMid: true, mlpInput: true, applyLn: true, returnLabels: true }),
      );
      check(tl, "accumulated_resid.pos-1_ln", cache.accumulatedResid({ applyLn: true, posSlice: -1, returnLabels: true }));
    });

    it("the logit lens's last component is the model's own log-probs after unembedding", () => {
      const lens = cache.accumulatedResid({ applyLn: true });
      const lensLogits = tf.tidy(() => {
        const last = lens.slice([lens.shape[0] - 1], [1]).squeeze([0]); // [batch, pos, d_model]
        return tf.logSoftmax(tf.matMul(last.reshape([-1, model.cfg.dModel]), model.W_U).add(model.b_U));
      });
      const own = tf.tidy(() => tf.logSoftmax(logits.reshape([-1, model.cfg.dVocabOut])));
      try {
        assertClose(lensLogits, own, "final logit lens vs logits");
      } finally {
        tf.dispose([lens, lensLogits, own]);
      }
    });

    it("decomposeResid: all, with LN, attention only into a layer's MLP input, MLPs only at two positions", () => {
      check(tl, "decompose_resid", cache.decomposeResid({ returnLabels: true }));
      check(tl, "decompose_resid.apply_ln", cache.decomposeResid({ applyLn: true, returnLabels: true }));
      check(
        tl,
        "decompose_resid.layer1_mlp_input_attn_ln",
        cache.decomposeResid({ layer: 1, mlpInput: true, mode: "attn", applyLn: true, returnLabels: true }),
      );
      check(
        tl,
        "decompose_resid.mlp_no_embeds_pos2",
        cache.decomposeResid({ mode: "mlp", inclEmbeds: false, posSlice: [0, 2], returnLabels: true }),
      );
    });

    it("decomposeResid's components sum to the final residual stream", () => {
      const parts = cache.decomposeResid();
      const sum = parts.sum(0);
      try {
        assertClose(sum, cache.get(`blocks.${model.cfg.nLayers - 1}.hook_resid_post`), "Σ components");
      } finally {
        tf.dispose([parts, sum]);
      }
    });

    it("computeHeadResults adds hook_result per layer; stackHeadResults with remainder and LN, and up to layer 1 at one position", () => {
      cache.computeHeadResults();
      for (let l = 0; l < model.cfg.nLayers; l++)
        assertClose(cache.get(`blocks.${l}.attn.hook_result`), tl.get(`blocks.${l}.attn.hook_result`), `hook_result ${l}`);
      assert.ok(cache.keys().includes("blocks.0.attn.hook_result"));
      check(tl, "stack_head_results", cache.stackHeadResults({ returnLabels: true }));
      check(
        tl,
        "stack_head_results.remainder_ln",
        cache.stackHeadResults({ inclRemainder: true, applyLn: true, returnLabels: true }),
      );
      check(tl, "stack_head_results.layer1_pos-1", cache.stackHeadResults({ layer: 1, posSlice: -1, returnLabels: true }));
    });

    it("applyLnToStack at a layer's MLP input and at the final norm", () => {
      const stack = cache.accumulatedResid();
      try {
        check(tl, "apply_ln_to_stack.layer1_mlp_input", cache.applyLnToStack(stack, { layer: 1, mlpInput: true }));
        check(tl, "apply_ln_to_stack.final", cache.applyLnToStack(stack));
      } finally {
        stack.dispose();
      }
    });

    it("logitAttrs: for a token per row and for a token difference, at the last position", () => {
      const stack = cache.decomposeResid({ posSlice: -1 });
      const answers = tl.ints("answers") as number[];
      const wrong = tl.ints("wrong") as number[];
      try {
        check(tl, "logit_attrs.diff", cache.logitAttrs(stack, answers, { incorrectTokens: wrong, posSlice: -1 }));
        check(tl, "logit_attrs.token", cache.logitAttrs(stack, answers, { posSlice: -1 }));
        assert.throws(() => cache.logitAttrs(stack, answers, { incorrectTokens: [1], posSlice: -1 }), /same shape/);
        assert.throws(
          () => cache.logitAttrs(stack, [0, 100000], { posSlice: -1 }),
          /token id 100000 at \[1\] is outside the vocabulary/,
        );
      } finally {
        stack.dispose();
      }
    });

    it("stackNeuronResults: every neuron at one position; up to layer 1 with remainder and LN", () => {
      check(tl, "stack_neuron_results.pos-1", cache.stackNeuronResults({ posSlice: -1, returnLabels: true }));
      check(
        tl,
        "stack_neuron_results.layer1_remainder_ln_pos-1",
        cache.stackNeuronResults({ layer: 1, inclRemainder: true, applyLn: true, posSlice: -1, returnLabels: true }),
      );
    });

    it("getFullResidDecomposition: neurons at one position, whole MLPs with LN, a layer's MLP input", () => {
      check(tl, "full_resid_decomposition.pos-1", cache.getFullResidDecomposition({ posSlice: -1, returnLabels: true }));
      check(
        tl,
        "full_resid_decomposition.mlp_ln",
        cache.getFullResidDecomposition({ expandNeurons: false, applyLn: true, returnLabels: true }),
      );
      check(
        tl,
        "full_resid_decomposition.layer1_mlp_input_ln_pos-1",
        cache.getFullResidDecomposition({ layer: 1, mlpInput: true, applyLn: true, posSlice: -1, returnLabels: true }),
      );
    });

    it("getFullResidDecomposition projected onto unembedding directions: one (after LN) and two at one position", () => {
      const answers = tl.ints("answers") as number[];
      const directions = tf.tidy(() => tf.gather(model.W_U, answers, 1)); // [d_model, 2]
      const first = tf.tidy(() => directions.slice([0, 0], [-1, 1]).squeeze([1])); // [d_model]
      try {
        check(
          tl,
          "full_resid_decomposition.onto_answer0_ln",
          cache.getFullResidDecomposition({ projectOutputOnto: first, applyLn: true, returnLabels: true }),
        );
        check(
          tl,
          "full_resid_decomposition.onto_answers_pos-1",
          cache.getFullResidDecomposition({ projectOutputOnto: directions, posSlice: -1, returnLabels: true }),
        );
        const bad = tf.zeros([3]);
        const before = tf.memory().numTensors;
        assert.throws(
          () => cache.getFullResidDecomposition({ projectOutputOnto: bad }),
          /projectOutputOnto must be \[\d+\] or \[\d+, k\], got \[3\]/,
        );
        assert.equal(tf.memory().numTensors, before, "tensors left after the error");
        bad.dispose();
      } finally {
        tf.dispose([directions, first]);
      }
    });

    it("bad arguments get clear errors; helpers leave no tensors behind", () => {
      assert.throws(() => cache.accumulatedResid({ layer: 7 }), /layer 7 is out of range/);
      assert.throws(() => cache.accumulatedResid({ posSlice: 40 }), /position 40 is out of range for length/);
      assert.throws(() => cache.decomposeResid({ mode: "heads" as "all" }), /mode must be/);
      // A misspelt suffix does not compile (tests/types); cast, it is still refused at run time.
      const misspelt = "attn.hook_patern" as BlockHookSuffix;
      assert.throws(() => cache.stackActivation(misspelt), /did you mean "blocks.0.attn.hook_pattern"\?/);
      const stacked = cache.stackActivation("attn.hook_pattern"); // [layers, batch, head, q, k]
      assert.deepEqual(stacked.shape, [model.cfg.nLayers, ...cache.get("blocks.0.attn.hook_pattern").shape]);
      stacked.dispose();
      const before = tf.memory().numTensors;
      for (let i = 0; i < 3; i++) {
        tf.dispose([
          cache.accumulatedResid({ applyLn: true }),
          cache.getFullResidDecomposition({ applyLn: true }),
          cache.stackHeadResults({ inclRemainder: true, applyLn: true }),
        ]);
      }
      assert.equal(tf.memory().numTensors, before);
    });
  });
}
