/**
 * Feature analysis (featureTopExamples, featureLogits, featureHistogram) on gpt2-tiny with the standard fixture SAE
 * at blocks.1.hook_resid_pre, checked against brute force: the whole corpus through runWithCacheWithSaes, and
 * W_dec · W_U summed in plain JavaScript.
 */
import { strict as assert } from "assert";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import {
  featureHistogram,
  featureLogits,
  featureTopExamples,
  HookedTransformer,
  loadModel,
  loadSae,
  Sae,
  SweepCancelledError,
  tf,
} from "../../src";
import type { Tensor2D } from "@tensorflow/tfjs-core";
import { FIXTURES as MODEL_FIXTURES } from "../support/hfReference";
import { installFakeHost, removeFakeHost } from "../widgets/fake-host";
import { SAE_FIXTURES } from "./support";

const HOOK = "blocks.1.hook_resid_pre";
const ROWS = 7;
const POS = 10;

/** Deterministic token ids [ROWS][POS] in [0, 96). */
function corpus(): number[][] {
  let seed = 12345;
  const next = () => {
    seed = (seed * 1103515245 + 12345) % 2147483648;
    return seed % 96;
  };
  return Array.from({ length: ROWS }, () => Array.from({ length: POS }, next));
}

/** A copy of the standard fixture in a temporary folder with its hook name replaced. */
function standardAt(hook: string): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "tslens-sae-features-"));
  for (const f of fs.readdirSync(path.join(SAE_FIXTURES, "standard")))
    fs.copyFileSync(path.join(SAE_FIXTURES, "standard", f), path.join(dir, f));
  const cfg = JSON.parse(fs.readFileSync(path.join(dir, "cfg.json"), "utf8")) as { metadata: { hook_name: string } };
  cfg.metadata.hook_name = hook;
  fs.writeFileSync(path.join(dir, "cfg.json"), JSON.stringify(cfg));
  return dir;
}

describe("SAE feature analysis", function () {
  this.timeout(60_000);
  let model: HookedTransformer;
  let sae: Sae;
  let rows: number[][];
  let tokens: Tensor2D;
  /** acts[row][pos][feature] of hook_sae_acts_post from runWithCacheWithSaes over the whole corpus. */
  let acts: number[][][];
  before(async () => {
    model = await loadModel(path.join(MODEL_FIXTURES, "gpt2-tiny"), { processWeights: false });
    sae = await loadSae(path.join(SAE_FIXTURES, "standard"));
    rows = corpus();
    tokens = tf.tensor2d(rows, undefined, "int32");
    const run = model.runWithCacheWithSaes(tokens, [sae], { namesFilter: [`${HOOK}.hook_sae_acts_post`] });
    acts = run.cache.get(`${HOOK}.hook_sae_acts_post`).arraySync() as number[][][];
    run.logits.dispose();
    run.cache.dispose();
  });
  after(() => {
    sae?.dispose();
    model?.dispose();
    tokens?.dispose();
  });

  /** Every (row, position, activation > 0) of `feature`, highest first, ties by row then position. */
  function bruteForce(feature: number) {
    const all: { row: number; position: number; activation: number }[] = [];
    acts.forEach((r, row) => r.forEach((a, position) => a[feature]! > 0 && all.push({ row, position, activation: a[feature]! })));
    return all.sort((a, b) => b.activation - a.activation || a.row - b.row || a.position - b.position);
  }

  /** Features ordered by how many tokens they fire on, most first. */
  function busiestFeatures(): number[] {
    const counts = Array.from({ length: sae.cfg.dSae }, (_, f) => bruteForce(f).length);
    return counts
      .map((c, f) => [c, f])
      .sort((a, b) => b[0]! - a[0]! || a[1]! - b[1]!)
      .map(([, f]) => f!);
  }

  it("top examples equal brute force over runWithCacheWithSaes (several features, batches, context)", async () => {
    const [busy, second] = busiestFeatures();
    assert.ok(bruteForce(busy!).length > 5, "the busiest feature fires on too few tokens for the test");
    const calls: [number, number][] = [];
    const before = tf.memory().numTensors;
    const result = await featureTopExamples(model, sae, tokens, {
      features: [busy!, second!],
      k: 5,
      contextTokens: 2,
      batchSize: 3,
      progress: (done, total) => calls.push([done, total]),
    });
    assert.equal(tf.memory().numTensors, before, "tensors leaked");
    assert.deepEqual(calls, [
      [1, 3],
      [2, 3],
      [3, 3],
    ]);
    assert.deepEqual(
      result.map((r) => r.feature),
      [busy, second],
    );
    for (const { feature, examples } of result) {
      const expected = bruteForce(feature).slice(0, 5);
      assert.deepEqual(
        examples.map(({ row, position, activation }) => ({ row, position, activation })),
        expected,
        `feature ${feature}`,
      );
      for (const e of examples) {
        const start = Math.max(0, e.position - 2);
        assert.deepEqual(e.tokenIds, rows[e.row]!.slice(start, e.position + 3));
        assert.equal(e.tokenIds[e.index], rows[e.row]![e.position]);
        assert.deepEqual(e.tokens, e.tokenIds.map(String)); // gpt2-tiny has no tokenizer: ids in decimal
      }
    }
  });

  it("ragged token rows (padded per batch) give the activations of each row run alone", async () => {
    const [busy] = busiestFeatures();
    const ragged = rows.map((r, i) => r.slice(0, 4 + i));
    const result = await featureTopExamples(model, sae, ragged, { features: busy!, k: 100, batchSize: 4, progress: false });
    const expected: { row: number; position: number; activation: number }[] = [];
    ragged.forEach((r, row) => {
      const run = model.runWithCacheWithSaes([r], [sae], { namesFilter: [`${HOOK}.hook_sae_acts_post`] });
      const a = run.cache.get(`${HOOK}.hook_sae_acts_post`).arraySync() as number[][][];
      run.logits.dispose();
      run.cache.dispose();
      a[0]!.forEach((v, position) => v[busy!]! > 0 && expected.push({ row, position, activation: v[busy!]! }));
    });
    const got = result[0]!.examples;
    assert.equal(got.length, expected.length);
    for (const e of got) {
      const match = expected.find((x) => x.row === e.row && x.position === e.position);
      assert.ok(match, `row ${e.row} position ${e.position} does not fire alone`);
      assert.ok(Math.abs(match.activation - e.activation) <= 1e-5, `row ${e.row} position ${e.position}`);
      assert.ok(e.position < ragged[e.row]!.length, "an example on a padding position");
    }
  });

  it("featureLogits equals W_dec[feature] · W_U summed directly", () => {
    const feature = busiestFeatures()[0]!;
    const before = tf.memory().numTensors;
    const result = featureLogits(model, sae, feature, { k: 4 });
    assert.equal(tf.memory().numTensors, before, "tensors leaked");
    const wDec = (sae.weight("W_dec").arraySync() as number[][])[feature]!;
    const wU = model.W_U.arraySync() as number[][];
    const effect = wU[0]!.map((_, v) => wDec.reduce((s, w, d) => s + w * wU[d]![v]!, 0));
    const order = effect.map((value, tokenId) => ({ tokenId, value })).sort((a, b) => b.value - a.value);
    assert.equal(result.feature, feature);
    assert.deepEqual(
      result.top.map((t) => t.tokenId),
      order.slice(0, 4).map((t) => t.tokenId),
    );
    assert.deepEqual(
      result.bottom.map((t) => t.tokenId),
      order
        .slice(-4)
        .reverse()
        .map((t) => t.tokenId),
    );
    for (const t of [...result.top, ...result.bottom]) {
      assert.ok(Math.abs(t.value - effect[t.tokenId]!) <= 1e-5, `token ${t.tokenId}: ${t.value} vs ${effect[t.tokenId]}`);
      assert.equal(t.token, String(t.tokenId));
    }
  });

  it("featureHistogram: counts sum to the non-zero activations, density and range match", async () => {
    const feature = busiestFeatures()[0]!;
    const fired = bruteForce(feature).map((e) => e.activation);
    const before = tf.memory().numTensors;
    const h = await featureHistogram(model, sae, rows, feature, { bins: 6, batchSize: 2 });
    assert.equal(tf.memory().numTensors, before, "tensors leaked");
    assert.equal(h.counts.length, 6);
    assert.equal(h.edges.length, 7);
    assert.equal(
      h.counts.reduce((a, b) => a + b, 0),
      fired.length,
    );
    assert.equal(h.nonZero, fired.length);
    assert.equal(h.tokens, ROWS * POS);
    assert.equal(h.density, fired.length / (ROWS * POS));
    assert.equal(h.edges[0], Math.min(...fired));
    assert.equal(h.edges[6], Math.max(...fired));
    assert.ok(h.counts[0]! > 0 && h.counts[5]! > 0, "the extreme activations fall outside the end bins");
  });

  it("a feature out of range names it and d_sae, for every function, leaking nothing", async () => {
    const before = tf.memory().numTensors;
    for (const bad of [64, -1, 1.5]) {
      const pattern = new RegExp(`feature ${bad} is out of range: .*d_sae = 64 features \\(0 … 63\\)`);
      await assert.rejects(featureTopExamples(model, sae, tokens, { features: [0, bad] }), pattern);
      assert.throws(() => featureLogits(model, sae, bad), pattern);
      await assert.rejects(featureHistogram(model, sae, tokens, bad), pattern);
    }
    assert.equal(tf.memory().numTensors, before, "tensors leaked");
  });

  it("an SAE whose d_in differs from its hook's width names both, leaking nothing", async () => {
    const dir = standardAt("blocks.0.mlp.hook_post"); // width d_mlp = 128, the SAE's d_in is 32
    const wrong = await loadSae(dir);
    try {
      const before = tf.memory().numTensors;
      const pattern = /its d_in is 32, but blocks\.0\.mlp\.hook_post of this model has width 128/;
      await assert.rejects(featureTopExamples(model, wrong, tokens, { features: 0 }), pattern);
      await assert.rejects(featureHistogram(model, wrong, tokens, 0), pattern);
      assert.throws(() => featureLogits(model, wrong, 0), /featureLogits needs an SAE that writes the residual stream/);
      assert.equal(tf.memory().numTensors, before, "tensors leaked");
    } finally {
      wrong.dispose();
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it("an interrupted notebook cell stops the stream after the batch it is in, leaking nothing", async () => {
    const host = installFakeHost();
    const cell = host.cell as { interrupted?: boolean };
    const before = tf.memory().numTensors;
    try {
      await assert.rejects(
        featureTopExamples(model, sae, tokens, {
          features: 0,
          batchSize: 2,
          progress: (done) => {
            if (done === 2) cell.interrupted = true;
          },
        }),
        (error: Error) => {
          assert.ok(error instanceof SweepCancelledError, `rejected with ${String(error)}`);
          assert.equal(error.message, "top examples of feature 0 sweep interrupted after 2 of 4 batches");
          return true;
        },
      );
    } finally {
      removeFakeHost();
    }
    assert.equal(tf.memory().numTensors, before, "tensors leaked");
  });

  it("texts of different lengths (llama-tiny-tokenizer): each text's activations and token strings", async () => {
    const llama = await loadModel(path.join(MODEL_FIXTURES, "llama-tiny-tokenizer"));
    try {
      const texts = ["the cat sat on the mat", "hello", "a much longer text with more words in it than the others"];
      const feature = 0;
      const result = await featureTopExamples(llama, sae, texts, { features: feature, k: 1000, contextTokens: 1, batchSize: 2 });
      const expected: { row: number; position: number; activation: number; tokens: string[] }[] = [];
      texts.forEach((text, row) => {
        const strings = llama.toStrTokens(text);
        const run = llama.runWithCacheWithSaes(text, [sae], { namesFilter: [`${HOOK}.hook_sae_acts_post`] });
        const a = run.cache.get(`${HOOK}.hook_sae_acts_post`).arraySync() as number[][][];
        run.logits.dispose();
        run.cache.dispose();
        a[0]!.forEach((v, position) => {
          if (v[feature]! > 0)
            expected.push({
              row,
              position,
              activation: v[feature]!,
              tokens: strings.slice(Math.max(0, position - 1), position + 2),
            });
        });
      });
      const got = result[0]!.examples;
      assert.ok(expected.length > 0, "feature 0 never fires on the texts");
      assert.equal(got.length, expected.length);
      for (const e of got) {
        const match = expected.find((x) => x.row === e.row && x.position === e.position);
        assert.ok(match, `text ${e.row} position ${e.position} does not fire alone`);
        assert.ok(Math.abs(match.activation - e.activation) <= 1e-5, `text ${e.row} position ${e.position}`);
        assert.deepEqual(e.tokens, match.tokens);
      }
    } finally {
      llama.dispose();
    }
  });
});
