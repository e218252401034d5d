/**
 * Padded batches: prompts of different lengths in one batch, padded on the left or the right. Every row of a padded
 * batch must give what the same prompt gives alone (logits, residual stream, attention patterns on its real
 * positions), on models with learned (GPT-2), shortformer (attn-only-1l) and rotary (Llama, NeoX) positions; the
 * loss counts real tokens only; bad masks and padding sides get one clear error and leave no tensors behind.
 */
import { strict as assert } from "assert";
import * as path from "path";
import { HookedTransformer, HookName, loadModel, tf } from "../../src";
import type { Tensor } from "@tensorflow/tfjs-core";
import { REPO_ROOT } from "../support/paths";

const FIXTURES = path.join(REPO_ROOT, "tests", "fixtures", "models");
const TOLERANCE = 1e-4;

/** Rows of token ids of different lengths (all ids < 64, valid in every fixture's vocabulary). */
const ROWS = [
  [5, 17, 3, 40, 22, 9, 31],
  [12, 7, 28],
  [33, 2, 19, 44, 6],
];

/** `rows` padded to the longest with `padId` on `side`, and their mask (1 = real token). */
function pad(rows: number[][], side: "left" | "right", padId: number): { ids: number[][]; mask: number[][] } {
  const width = Math.max(...rows.map((r) => r.length));
  const ids = rows.map((r) => {
    const fill = new Array<number>(width - r.length).fill(padId);
    return side === "left" ? [...fill, ...r] : [...r, ...fill];
  });
  const mask = rows.map((r) => {
    const [zeros, ones] = [new Array<number>(width - r.length).fill(0), new Array<number>(r.length).fill(1)];
    return side === "left" ? [...zeros, ...ones] : [...ones, ...zeros];
  });
  return { ids, mask };
}

/** Largest absolute difference between two tensors of the same shape. */
function maxDiff(a: Tensor, b: Tensor): number {
  assert.deepEqual(a.shape, b.shape);
  return tf.tidy(() => a.sub(b).abs().max().dataSync()[0]);
}

/** Asserts that `run` throws an error matching `pattern` and leaves the tensor count as it was. */
function throwsCleanly(run: () => unknown, pattern: RegExp): void {
  const before = tf.memory().numTensors;
  assert.throws(run, pattern);
  assert.equal(tf.memory().numTensors, before, `tensors left after an error matching ${pattern}`);
}

/**
 * Runs the padded batch (ids + mask) and each row alone, and compares logits, resid_pre/resid_post of every layer
 * and the patterns on the row's real positions. Returns the largest difference seen.
 */
function compareRows(model: HookedTransformer, rows: number[][], ids: number[][], mask: number[][]): number {
  const { nLayers } = model.cfg;
  const names: HookName[] = [];
  for (let l = 0; l < nLayers; l++)
    names.push(
      `blocks.${l}.hook_resid_pre` as HookName,
      `blocks.${l}.hook_resid_post` as HookName,
      `blocks.${l}.attn.hook_pattern` as HookName,
    );
  const batch = model.runWithCache(ids, { attentionMask: mask, namesFilter: names });
  let worst = 0;
  try {
    rows.forEach((row, b) => {
      const start = mask[b].indexOf(1);
      const length = row.length;
      const alone = model.runWithCache([row], { namesFilter: names });
      try {
        const realSlice = (t: Tensor): Tensor => t.slice([b, start], [1, length]); // [1, length, …]
        const logits = realSlice(batch.logits);
        worst = Math.max(worst, maxDiff(logits, alone.logits));
        logits.dispose();
        for (const name of names) {
          const full = batch.cache.get(name);
          const got = name.endsWith("hook_pattern")
            ? full.slice([b, 0, start, start], [1, -1, length, length]) // [1, heads, length, length]
            : realSlice(full);
          worst = Math.max(worst, maxDiff(got, alone.cache.get(name)));
          got.dispose();
        }
      } finally {
        alone.logits.dispose();
        alone.cache.dispose();
      }
    });
  } finally {
    batch.logits.dispose();
    batch.cache.dispose();
  }
  return worst;
}

describe("padded batches: each row equals its prompt run alone", function () {
  this.timeout(120_000);
  const cases: [string, string][] = [
    ["gpt2-tiny (learned positions)", path.join(FIXTURES, "gpt2-tiny")],
    ["llama-tiny (rotary, GQA)", path.join(FIXTURES, "llama-tiny")],
    ["neox-tiny (partial rotary, parallel)", path.join(FIXTURES, "neox-tiny")],
    ["attn-only-1l (shortformer)", "attn-only-1l"],
  ];
  for (const [label, where] of cases) {
    for (const side of ["left", "right"] as const) {
      it(`${label}, ${side} padding: logits, resid_pre/post and patterns within 1e-4`, async () => {
        const model = await loadModel(where);
        try {
          const { ids, mask } = pad(ROWS, side, 0);
          compareRows(model, ROWS, ids, mask); // warm-up: tfjs kernels allocate once
          const before = tf.memory().numTensors;
          const worst = compareRows(model, ROWS, ids, mask);
          assert.ok(worst <= TOLERANCE, `largest difference ${worst}`);
          assert.equal(tf.memory().numTensors, before, "tensors left after a padded run");
        } finally {
          model.dispose();
        }
      });
    }
  }

  it("forward(ids, { attentionMask }) gives the same logits as runWithCache, whatever id pads", async () => {
    const model = await loadModel(path.join(FIXTURES, "llama-tiny"));
    try {
      const a = pad(ROWS, "left", 0);
      const b = pad(ROWS, "left", 50);
      const mask = tf.tensor2d(a.mask, undefined, "int32");
      const logitsA = model.forward(a.ids, { attentionMask: mask });
      const logitsB = model.forward(b.ids, { attentionMask: a.mask });
      const single = model.forward([ROWS[1]]);
      const start = a.mask[1].indexOf(1);
      const row = logitsB.slice([1, start], [1, ROWS[1].length]);
      const realA = logitsA.slice([1, start], [1, ROWS[1].length]);
      assert.ok(maxDiff(realA, row) <= TOLERANCE, "the pad id changed a real token's logits");
      assert.ok(maxDiff(row, single) <= TOLERANCE, "row 1 differs from its single run");
      tf.dispose([mask, logitsA, logitsB, single, row, realA]);
    } finally {
      model.dispose();
    }
  });
});

describe("padded batches of texts: toTokens, the mask, the cache, the loss", function () {
  this.timeout(60_000);
  let model: HookedTransformer;
  const TEXTS = ["The cat sat on the mat and looked around", "Hello", "Once upon a time"];
  before(async () => {
    model = await loadModel("attn-only-1l");
  });
  after(() => model?.dispose());

  it("toTokens pads on the side paddingSide names (right by default) and toTokensWithMask gives the mask", () => {
    const lengths = TEXTS.map((t) => model.toStrTokens(t).length);
    const width = Math.max(...lengths);
    const padId = model.tokenizer!.padTokenId!;
    for (const side of ["left", "right"] as const) {
      const tokens = model.toTokens(TEXTS, { paddingSide: side });
      const { tokens: again, attentionMask } = model.toTokensWithMask(TEXTS, { paddingSide: side });
      const rows = tokens.arraySync();
      assert.deepEqual(again.arraySync(), rows);
      const mask = attentionMask.arraySync();
      rows.forEach((row, b) => {
        const alone = model.toTokens(TEXTS[b]).arraySync()[0];
        const fill = new Array<number>(width - lengths[b]).fill(padId);
        assert.deepEqual(row, side === "left" ? [...fill, ...alone] : [...alone, ...fill], `${side} row ${b}`);
        const [zeros, ones] = [new Array<number>(width - lengths[b]).fill(0), new Array<number>(lengths[b]).fill(1)];
        assert.deepEqual(mask[b], side === "left" ? [...zeros, ...ones] : [...ones, ...zeros]);
      });
      tf.dispose([tokens, again, attentionMask]);
    }
    const byDefault = model.toTokens(TEXTS);
    const right = model.toTokens(TEXTS, { paddingSide: "right" });
    assert.deepEqual(byDefault.arraySync(), right.arraySync());
    tf.dispose([byDefault, right]);
  });

  it("forward(texts, { paddingSide: 'left' }): the last position of every row is its prompt's last token", () => {
    const logits = model.forward(TEXTS, { paddingSide: "left" });
    TEXTS.forEach((text, b) => {
      const alone = model.forward(text);
      const pos = alone.shape[1]!;
      const last = logits.slice([b, logits.shape[1]! - 1], [1, 1]);
      const aloneLast = alone.slice([0, pos - 1], [1, 1]);
      assert.ok(maxDiff(last, aloneLast) <= TOLERANCE, `row ${b}`);
      tf.dispose([alone, last, aloneLast]);
    });
    logits.dispose();
  });

  it("the cache carries the mask and each row's last real position, for either side", () => {
    const lengths = TEXTS.map((t) => model.toStrTokens(t).length);
    const width = Math.max(...lengths);
    for (const side of ["left", "right"] as const) {
      const { logits, cache } = model.runWithCache(TEXTS, { paddingSide: side, namesFilter: [] });
      const { attentionMask: expected } = model.toTokensWithMask(TEXTS, { paddingSide: side });
      assert.deepEqual(cache.attentionMask!.arraySync(), expected.arraySync());
      const lasts = side === "left" ? lengths.map(() => width - 1) : lengths.map((n) => n - 1);
      assert.deepEqual(cache.lastRealPositions(), lasts);
      tf.dispose([logits, expected]);
      cache.dispose();
    }
    const { logits, cache } = model.runWithCache(TEXTS[2], { namesFilter: [] });
    assert.equal(cache.attentionMask, undefined);
    assert.deepEqual(cache.lastRealPositions(), [logits.shape[1]! - 1]);
    logits.dispose();
    cache.dispose();
  });

  it("loss on a padded batch averages real next-token predictions only, both sides", () => {
    let total = 0;
    let count = 0;
    for (const text of TEXTS) {
      const perToken = model.loss(text, { perToken: true });
      total += perToken.sum().dataSync()[0];
      count += perToken.size;
      perToken.dispose();
    }
    const expected = total / count;
    for (const side of ["left", "right"] as const) {
      const loss = model.loss(TEXTS, { paddingSide: side });
      assert.ok(Math.abs(loss.dataSync()[0] - expected) <= TOLERANCE, `${side}: ${loss.dataSync()[0]} vs ${expected}`);
      loss.dispose();
      const { loss: fromCache, cache } = model.runWithCache(TEXTS, { paddingSide: side, returnType: "loss", namesFilter: [] });
      assert.ok(Math.abs(fromCache!.dataSync()[0] - expected) <= TOLERANCE, `runWithCache ${side}`);
      fromCache!.dispose();
      cache.dispose();
    }
  });

  it("bad padding options get one clear error and leave no tensors", () => {
    throwsCleanly(
      () => model.toTokens(TEXTS, { paddingSide: "middle" as "left" }),
      /paddingSide must be "left" or "right", got a string \("middle"\)/,
    );
    throwsCleanly(() => model.forward(TEXTS, { paddingSide: "LEFT" as "left" }), /paddingSide must be "left" or "right"/);
    const ids = [
      [5, 6, 7],
      [0, 8, 9],
    ];
    throwsCleanly(
      () => model.forward(ids, { attentionMask: [[1, 1, 1]] }),
      /attentionMask must have the tokens' shape \[2, 3\], got \[1,3\]/,
    );
    throwsCleanly(
      () =>
        model.forward(ids, {
          attentionMask: [
            [1, 1, 1],
            [1, 1],
          ],
        }),
      /attentionMask must have the tokens' shape \[2, 3\], got rows of different lengths/,
    );
    const wrong = tf.ones([2, 4], "int32");
    throwsCleanly(
      () => model.runWithCache(ids, { attentionMask: wrong }),
      /attentionMask must have the tokens' shape \[2, 3\], got \[2,4\]/,
    );
    wrong.dispose();
    throwsCleanly(
      () =>
        model.loss(ids, {
          attentionMask: [
            [1, 1, 1],
            [0, 0, 0],
          ],
        }),
      /attentionMask row 1 is all padding: a row needs at least one real token/,
    );
    throwsCleanly(
      () =>
        model.forward(ids, {
          attentionMask: [
            [1, 1, 1],
            [0, 2, 1],
          ],
        }),
      /attentionMask holds only 0 and 1, got a number \(2\) at \[1, 1\]/,
    );
    throwsCleanly(
      () => model.forward(ids, { attentionMask: "all" as unknown as number[][] }),
      /attentionMask must be a \[batch, pos\] tensor/,
    );
    throwsCleanly(
      () => model.runWithHooks(TEXTS, { fwdHooks: [], attentionMask: [[1]] }),
      /attentionMask is for token-id input: a text batch gets its mask from the tokenizer/,
    );
  });
});
