/**
 * The bundled models show the article's phenomena, measured here independently
 * of training/evaluate.ts, from cache.get("blocks.L.attn.hook_pattern") and the
 * logits, through the public API: attn-only-2l has a previous-token head
 * (layer 0) and an induction head (layer 1) and predicts the second repeat of a
 * random sequence far better than the first; attn-only-1l has neither.
 */
import { strict as assert } from "assert";
import * as fs from "fs";
import * as path from "path";
import { HookedTransformer, loadModel, tf } from "../../src";
import { REPO_ROOT } from "../support/paths";

const SEQ = 50;
/**
 * "No comparable loss drop" for attn-only-1l: its second-repeat loss stays above 70 % of the first, where the
 * two-layer model must reach 40 % or less. One layer can still raise the odds of tokens already in the context.
 */
const ONE_LAYER_MIN_RATIO = 0.7;

/** TransformerLens's demo input: 10 rows of BOS + 50 seeded random non-special ids + the same 50 again. */
function repeatedTokens(model: HookedTransformer): number[][] {
  const bos = model.tokenizer!.bosTokenId!;
  let s = 987654321;
  const rand = () => (s = (Math.imul(s, 48271) + 11) >>> 0) / 2 ** 32;
  return Array.from({ length: 10 }, () => {
    const half = Array.from({ length: SEQ }, () => 1 + Math.floor(rand() * (model.cfg.dVocab - 1)));
    assert.ok(!half.includes(bos));
    return [bos, ...half, ...half];
  });
}

interface Scores {
  prev: number[][];
  induction: number[][];
  lossFirst: number;
  lossSecond: number;
}

function measure(model: HookedTransformer): Scores {
  const rows = repeatedTokens(model);
  const { logits, cache } = model.runWithCache(rows, { namesFilter: (n) => n.endsWith("attn.hook_pattern") });
  const prev: number[][] = [];
  const induction: number[][] = [];
  for (let l = 0; l < model.cfg.nLayers; l++) {
    const a = cache.get(`blocks.${l}.attn.hook_pattern`).arraySync() as number[][][][]; // [batch, head, q, k]
    assert.deepEqual([a.length, a[0].length, a[0][0].length], [10, model.cfg.nHeads, 2 * SEQ + 1]);
    // Mean over every (row, query) of the attention `offset` positions back: the stripe TransformerLens averages.
    const stripe = (h: number, offset: number) => {
      let sum = 0;
      let n = 0;
      for (const b of a) for (let q = offset; q <= 2 * SEQ; q++, n++) sum += b[h][q][q - offset];
      return sum / n;
    };
    prev.push(a[0].map((_, h) => stripe(h, 1)));
    induction.push(a[0].map((_, h) => stripe(h, SEQ - 1)));
  }
  // Next-token loss from the logits: position p predicts row[p + 1]; p < 50 is the first repeat, p ≥ 50 the second.
  const logProbs = tf.tidy(() => tf.logSoftmax(logits).arraySync() as number[][][]);
  let first = 0;
  let second = 0;
  rows.forEach((row, b) => {
    for (let p = 0; p < 2 * SEQ; p++) {
      const nll = -logProbs[b][p][row[p + 1]];
      if (p < SEQ) first += nll;
      else second += nll;
    }
  });
  tf.dispose(logits);
  cache.dispose();
  return { prev, induction, lossFirst: first / (10 * SEQ), lossSecond: second / (10 * SEQ) };
}

const fmt = (m: number[][]) => m.map((r) => r.map((x) => x.toFixed(2)).join(" ")).join(" | ");
const report = (name: string, s: Scores) =>
  console.log(
    `      ${name} previous-token: ${fmt(s.prev)}\n      induction: ${fmt(s.induction)}\n` +
      `      loss first repeat ${s.lossFirst.toFixed(3)}, second ${s.lossSecond.toFixed(3)}`,
  );

describe("embedded models", function () {
  this.timeout(120_000);

  it("ship config, weights, tokenizer and a model card, each model under 16 MB", () => {
    for (const name of ["attn-only-2l", "attn-only-1l", "gelu-2l"]) {
      const dir = path.join(REPO_ROOT, "models", name);
      for (const f of ["config.json", "model.safetensors", "tokenizer.json", "MODEL_CARD.md"])
        assert.ok(fs.existsSync(path.join(dir, f)), `${name}/${f}`);
      const bytes = fs.readdirSync(dir).reduce((sum, f) => sum + fs.statSync(path.join(dir, f)).size, 0);
      assert.ok(bytes <= 16 * 2 ** 20, `${name} is ${bytes} bytes`);
    }
  });

  it("loadModel() loads attn-only-2l: a previous-token head in layer 0 (≥ 0.7), an induction head in layer 1 (≥ 0.6), second-repeat loss ≤ 40 % of the first", async () => {
    const model = await loadModel();
    try {
      assert.equal(model.cfg.nLayers, 2);
      assert.equal(model.cfg.attnOnly, true);
      const twoLayer = measure(model);
      report("attn-only-2l", twoLayer);
      assert.ok(Math.max(...twoLayer.prev[0]) >= 0.7, `best layer-0 previous-token score ${Math.max(...twoLayer.prev[0])}`);
      assert.ok(Math.max(...twoLayer.induction[1]) >= 0.6, `best layer-1 induction score ${Math.max(...twoLayer.induction[1])}`);
      assert.ok(twoLayer.lossSecond <= 0.4 * twoLayer.lossFirst, `loss ${twoLayer.lossFirst} → ${twoLayer.lossSecond}`);
    } finally {
      model.dispose();
    }
  });

  it('loadModel("attn-only-1l"): no head with induction score ≥ 0.2 and no comparable loss drop', async () => {
    const model = await loadModel("attn-only-1l");
    try {
      assert.equal(model.cfg.nLayers, 1);
      const s = measure(model);
      report("attn-only-1l", s);
      assert.ok(Math.max(...s.induction.flat()) < 0.2, `an induction score of ${Math.max(...s.induction.flat())}`);
      assert.ok(s.lossSecond > ONE_LAYER_MIN_RATIO * s.lossFirst, `loss ${s.lossFirst} → ${s.lossSecond}`);
    } finally {
      model.dispose();
    }
  });

  it('loadModel("gelu-2l"): GELU MLPs in both layers that the model relies on, a previous-token head in layer 0 (≥ 0.7), the same tokenizer as attn-only-2l', async () => {
    const model = await loadModel("gelu-2l");
    try {
      assert.deepEqual([model.cfg.nLayers, model.cfg.attnOnly, model.cfg.dMlp, model.cfg.actFn], [2, false, 512, "gelu"]);
      assert.equal(
        fs.readFileSync(path.join(REPO_ROOT, "models", "gelu-2l", "tokenizer.json"), "utf8"),
        fs.readFileSync(path.join(REPO_ROOT, "models", "attn-only-2l", "tokenizer.json"), "utf8"),
      );
      const s = measure(model);
      report("gelu-2l", s);
      assert.ok(Math.max(...s.prev[0]) >= 0.7, `best layer-0 previous-token score ${Math.max(...s.prev[0])}`);
      // Zero-ablating both MLPs' outputs on these lines of Python: measured 3.32 → 6.98 nats/token.
      const text = "import os\nimport sys\n\n\ndef main(argv=None):\n    for name in argv:\n        if os.path.exists(name):\n            print(name)\n";
      const tokens = model.toTokens(text); // [1, pos]
      const clean = model.loss(tokens);
      const logits = model.runWithHooks(tokens, { fwdHooks: [[(n) => n.endsWith("hook_mlp_out"), (x) => x.mul(0)]] });
      const ablated = HookedTransformer.lossFromLogits(logits, tokens);
      const [withMlps, withoutMlps] = [clean.dataSync()[0], ablated.dataSync()[0]];
      tf.dispose([tokens, clean, logits, ablated]);
      assert.ok(withoutMlps > withMlps + 1, `loss with MLPs ${withMlps}, without ${withoutMlps}`);
    } finally {
      model.dispose();
    }
  });

  it("tokenizer: BOS is <|endoftext|>, any text round-trips, markup stays text", async () => {
    const model = await loadModel();
    try {
      const text = 'def f(x):\n    return "<img src=x onerror=alert(1)>"  # café 🙂\t\u0000';
      const tokens = model.toTokens(text); // [1, 1 + n]
      const ids = tokens.arraySync() as number[][];
      tokens.dispose();
      assert.equal(ids[0][0], model.tokenizer!.bosTokenId);
      assert.equal(model.toString(ids[0].slice(1)), text);
      assert.ok(ids[0].length - 1 < Buffer.byteLength(text), "the BPE merges nothing");
      const pieces = model.toStrTokens("<img src=x onerror=alert(1)>", { prependBos: false });
      assert.equal(pieces.join(""), "<img src=x onerror=alert(1)>");
    } finally {
      model.dispose();
    }
  });
});
