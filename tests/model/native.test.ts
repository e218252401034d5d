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

/** A small two-layer attention-only config in the tslens-native format. */
const ATTN_ONLY = {
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

/** Writes a tslens-native model with `cfg` and seeded random parameters (without bias tensors unless asked). */
async function writeRandomModel(folder: string, cfg: Record<string, unknown>, options: { biases: boolean }): Promise<void> {
  fs.mkdirSync(folder);
  fs.writeFileSync(path.join(folder, "config.json"), JSON.stringify(cfg));
  const { configFromJson } = await import("../../src/loading/config");
  const { parameterShapes } = await import("../../src/loading/keymaps/native");
  const { writeSafetensors } = await import("../../src/loading/save");
  let seed = 1;
  const rand = () => ((seed = (seed * 16807) % 2147483647) / 2147483647 - 0.5) * 0.5;
  const tensors = parameterShapes(configFromJson(cfg, "test"))
    .filter(([n]) => options.biases || !/\.b_[A-Za-z]+$/.test(n))
    .map(
      ([n, shape]) =>
        [n, { shape, values: Float32Array.from({ length: shape.reduce((x, y) => x * y, 1) }, rand) }] as [
          string,
          { shape: number[]; values: Float32Array },
        ],
    );
  await writeSafetensors(path.join(folder, "model.safetensors"), tensors);
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
    const cfg = ATTN_ONLY;
    const folder = path.join(tmp, "attn-only");
    await writeRandomModel(folder, cfg, { biases: false });
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

  describe("shortformer positions (positions only in queries and keys)", () => {
    const cfg = { ...ATTN_ONLY, positional_embedding_type: "shortformer" };
    const tokens = [[5, 7, 5, 9, 5]];

    it("keeps W_pos out of the residual stream and values; q and k read ln1(x) + W_pos", async () => {
      const folder = path.join(tmp, "shortformer");
      await writeRandomModel(folder, cfg, { biases: true });
      const model = await loadModel(folder, { processWeights: false });
      const { logits, cache } = model.runWithCache(tokens);
      try {
        assert.ok(model.hookNames().includes("hook_pos_embed"));
        assert.equal(maxDiff(cache.get("blocks.0.hook_resid_pre"), cache.get("hook_embed")), 0, "resid_pre = embed");
        const v = cache.get("blocks.0.attn.hook_v"); // [1, pos, heads, d_head]
        const valueGap = tf.tidy(
          () =>
            v
              .slice([0, 0], [1, 1])
              .sub(v.slice([0, 2], [1, 1]))
              .abs()
              .max()
              .dataSync()[0],
        );
        assert.ok(valueGap < 1e-6, `token 5 at positions 0 and 2 has the same value vector (gap ${valueGap})`);
        for (const hook of ["q", "k"] as const) {
          const W = hook === "q" ? "W_Q" : "W_K";
          const expected = tf.tidy(() => {
            const ln = cache
              .get("blocks.0.ln1.hook_normalized") // ln1's output, weight and bias included
              .add(model.W_pos.slice([0, 0], [5, 16])); // [1, pos, d_model]
            const perHead = tf.einsum("bpd,hde->bphe", ln, model.param(`blocks.0.attn.${W}`));
            return perHead.add(model.param(`blocks.0.attn.b_${hook.toUpperCase()}`));
          });
          const gap = maxDiff(expected, cache.get(`blocks.0.attn.hook_${hook}`));
          expected.dispose();
          assert.ok(gap < 1e-5, `hook_${hook} = (ln1(x) + W_pos)·${W} + b (gap ${gap})`);
        }
        const positionMatters = tf.tidy(() => {
          const q = cache.get("blocks.0.attn.hook_q");
          return q
            .slice([0, 0], [1, 1])
            .sub(q.slice([0, 2], [1, 1]))
            .abs()
            .max()
            .dataSync()[0];
        });
        assert.ok(positionMatters > 1e-3, "the same token at another position has another query");
      } finally {
        logits.dispose();
        cache.dispose();
        model.dispose();
      }
    });

    it("loads with weight processing that leaves log-probabilities unchanged, and refuses to fold ln1", async () => {
      const folder = path.join(tmp, "shortformer");
      await writeRandomModel(folder, cfg, { biases: true });
      const [raw, processed] = [
        await loadModel(folder, { processWeights: false }),
        await loadModel(folder, { processWeights: true }),
      ];
      try {
        const [a, b] = [raw.forward(tokens), processed.forward(tokens)];
        const gap = tf.tidy(() => maxDiff(tf.logSoftmax(a), tf.logSoftmax(b)));
        tf.dispose([a, b]);
        assert.ok(gap < 1e-5, `log-probs after processing differ by ${gap}`);
        const { processWeights } = await import("../../src/model/processWeights");
        assert.throws(() => processWeights(raw, { foldLn: true }), /foldLn is not valid for shortformer models/);
      } finally {
        raw.dispose();
        processed.dispose();
      }
    });
  });
});
