/**
 * The tslens-native format (TransformerLens names in safetensors + a TL-style
 * config) round-trips every architecture, raw and processed, and loads attention-only
 * models that have no Hugging Face class.
 */
import { strict as assert } from "assert";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { HookedTransformer, loadModel, tf } from "../../src";
import { REPO_ROOT } from "../support/paths";

const FIXTURES = path.join(REPO_ROOT, "tests", "fixtures", "models");
const TOKENS = [
  [3, 14, 15, 92, 65, 35, 89],
  [79, 32, 38, 46, 26, 43, 38],
];

function maxDiff(a: tf.Tensor, b: tf.Tensor): number {
  return tf.tidy(() => a.sub(b).abs().max().dataSync()[0]);
}

describe("tslens-native format", function () {
  this.timeout(60_000);
  let tmp: string;
  beforeEach(() => (tmp = fs.mkdtempSync(path.join(os.tmpdir(), "tslens-native-"))));
  afterEach(() => fs.rmSync(tmp, { recursive: true, force: true }));

  for (const name of ["gpt2-tiny", "neox-tiny", "llama-tiny"]) {
    for (const processWeights of [false, true]) {
      it(`${name} (processWeights ${processWeights}): save → load gives the same logits`, async () => {
        const original = await loadModel(path.join(FIXTURES, name), { processWeights });
        const folder = path.join(tmp, name);
        await original.save(folder);
        const reloaded = await loadModel(folder, { processWeights: false });
        try {
          const config = JSON.parse(fs.readFileSync(path.join(folder, "config.json"), "utf8"));
          assert.equal(config.tslens_format, 1);
          assert.deepEqual({ ...reloaded.cfg, originalArchitecture: "" }, { ...original.cfg, originalArchitecture: "" });
          const [a, b] = [original.forward(TOKENS), reloaded.forward(TOKENS)];
          assert.equal(maxDiff(a, b), 0);
          tf.dispose([a, b]);
        } finally {
          original.dispose();
          reloaded.dispose();
        }
      });
    }
  }

  it("loads an attention-only model: no MLP hooks, absent biases filled with zeros", async () => {
    const cfg = {
      tslens_format: 1,
      n_layers: 2,
      n_heads: 2,
      d_model: 16,
      d_head: 8,
      d_vocab: 20,
      n_ctx: 32,
      attn_only: true,
      normalization_type: "LN",
    };
    const folder = path.join(tmp, "attn-only");
    fs.mkdirSync(folder);
    fs.writeFileSync(path.join(folder, "config.json"), JSON.stringify(cfg));
    // Build the parameters with an in-memory model of the same config, then save without biases.
    const { configFromJson } = await import("../../src/loading/config");
    const { parameterShapes } = await import("../../src/loading/keymaps/native");
    const { writeSafetensors } = await import("../../src/loading/save");
    const parsed = configFromJson(cfg, "test");
    let seed = 1;
    const rand = () => ((seed = (seed * 16807) % 2147483647) / 2147483647 - 0.5) * 0.5;
    const tensors = parameterShapes(parsed)
      .filter(([n]) => !/\.b_[A-Za-z]+$/.test(n))
      .map(
        ([n, shape]) =>
          [n, { shape, values: Float32Array.from({ length: shape.reduce((x, y) => x * y, 1) }, rand) }] as [
            string,
            { shape: number[]; values: Float32Array },
          ],
      );
    await writeSafetensors(path.join(folder, "model.safetensors"), tensors);
    const model: HookedTransformer = await loadModel(folder, { processWeights: false });
    try {
      assert.equal(model.cfg.attnOnly, true);
      assert.ok(!model.hookNames().some((n) => n.includes("mlp")));
      assert.equal(
        tf.tidy(() => model.param("blocks.0.attn.b_Q").abs().sum().dataSync()[0]),
        0,
      );
      const { logits, cache } = model.runWithCache([[1, 2, 3, 4]]);
      assert.deepEqual(logits.shape, [1, 4, 20]);
      const post = tf.tidy(() => cache.get("blocks.1.hook_resid_pre").add(cache.get("blocks.1.hook_attn_out")));
      assert.ok(maxDiff(post, cache.get("blocks.1.hook_resid_post")) < 1e-6, "attn-only: resid_post = resid_pre + attn_out");
      tf.dispose([logits, post]);
      cache.dispose();
    } finally {
      model.dispose();
    }
  });
});
