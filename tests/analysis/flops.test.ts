/**
 * FLOP and parameter accounting: parameter counts equal the tensors a loaded model holds
 * (raw and processed, MHA and GQA), GPT-2 small's totals equal its published size, and
 * the per-token FLOPs agree with Kaplan et al.'s 2N + 2·n_layer·n_ctx·d_attn estimate plus
 * the pattern·V product it leaves out.
 */
import { strict as assert } from "assert";
import * as path from "path";
import { countFlops, loadModel } from "../../src";
import { configFromJson } from "../../src/loading/config";
import { REPO_ROOT } from "../support/paths";

const GPT2_SMALL = configFromJson(
  {
    model_type: "gpt2",
    architectures: ["GPT2LMHeadModel"],
    n_embd: 768,
    n_layer: 12,
    n_head: 12,
    n_positions: 1024,
    vocab_size: 50257,
    activation_function: "gelu_new",
    layer_norm_epsilon: 1e-5,
  },
  "gpt2-small config",
);

describe("countFlops", function () {
  this.timeout(60_000);

  for (const [name, folder] of [
    ["gpt2-tiny", "tests/fixtures/models/gpt2-tiny"],
    ["llama-tiny (GQA, gated MLP, RMS)", "tests/fixtures/models/llama-tiny"],
    ["attn-only-2l (shortformer)", "models/attn-only-2l"],
  ]) {
    it(`${name}: parameters per component add up to the tensors the model holds, raw and processed`, async () => {
      for (const processWeights of [false, true]) {
        const model = await loadModel(path.join(REPO_ROOT, folder), { processWeights });
        try {
          const held = model.paramNames().reduce((sum, n) => sum + model.param(n).size, 0);
          // TransformerLens-style models keep a b_U even where Hugging Face has none (zeros), as tslens does.
          assert.equal(countFlops(model).totalParams, held, `processWeights ${processWeights}`);
        } finally {
          model.dispose();
        }
      }
    });
  }

  it("GPT-2 small: 124,439,808 parameters besides the unembedding (its published size, W_U tied to W_E)", () => {
    const report = countFlops(GPT2_SMALL, 1024);
    const unembed = report.components.find((c) => c.component === "unembed")!;
    assert.equal(report.totalParams - unembed.params, 124_439_808);
  });

  it("GPT-2 small at 1024 tokens: Kaplan's 2N + 2·n_layer·n_ctx·d_attn per token, plus pattern·V; the MLPs are the largest share", () => {
    const report = countFlops(GPT2_SMALL, 1024);
    const by = Object.fromEntries(report.components.map((c) => [c.component, c]));
    const nonEmbeddingMatrices = 12 * (4 * 768 * 768 + 2 * 768 * 3072); // Kaplan's N (weights of attention and MLP)
    const kaplan = 2 * nonEmbeddingMatrices + 2 * 12 * 1024 * 768;
    const softmax = 12 * 5 * 12 * 1024 * 1024;
    const perToken = (by.QK.flops + by.OV.flops + by.MLP.flops - softmax) / 1024;
    assert.equal(perToken, kaplan + 2 * 12 * 1024 * 768);
    assert.equal(by.unembed.flops, 2 * 1024 * 768 * 50257);
    const largest = report.components.reduce((a, b) => (b.flops > a.flops ? b : a));
    assert.equal(largest.component, "MLP");
    assert.ok(Math.abs(report.components.reduce((s, c) => s + c.flopShare, 0) - 1) < 1e-12);
    // Attention's share grows with the context: at 8 tokens the MLPs outweigh QK + OV by far more than at 1024.
    const short = countFlops(GPT2_SMALL, 8);
    const ratio = (r: typeof report) => r.components[3].flops / (r.components[1].flops + r.components[2].flops);
    assert.ok(ratio(short) > ratio(report));
  });

  it("rejects a context length outside 1…nCtx", () => {
    assert.throws(() => countFlops(GPT2_SMALL, 2048), /nCtx must be an integer in 1…1024/);
    assert.throws(() => countFlops(GPT2_SMALL, 0), /nCtx must be an integer/);
  });
});
