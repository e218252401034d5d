/**
 * logitLens on the kernel side (fake host): one row per layer, the last row equal to the model's own
 * predictions (top tokens and their probabilities, computed here from the logits), the PNG's cells
 * on their probabilities' colours, clear errors, and no tensors left behind. It shows a lens result, or reads a run's
 * cache, as it shows a text it runs itself.
 */
import { strict as assert } from "assert";
import * as path from "path";
import { HookedTransformer, loadModel, logitLens, logitLensTopK, tf } from "../..";
import { MIME_BUNDLE_KEY } from "../../common/host";
import { REPO_ROOT } from "../../../tests/support/paths";
import { FakeHost, installFakeHost, removeFakeHost } from "../../../tests/widgets/fake-host";
import { decodePng, inkOf, pixelAt } from "../../../tests/widgets/png-pixels";
import { colorOf, textColorOn } from "../../common/draw/colors";
import type { Rgb } from "../../common/draw/colors";
import { HIT_BAR, LENS_GRID } from "./snapshot";

const isPng = (base64: unknown) => Buffer.from(String(base64), "base64").subarray(1, 4).toString() === "PNG";
const TEXT = "The cat sat on the mat. The cat sat on the";

/** The one-sided scale [0, 1]: white at 0 to blue (33, 102, 172) at 1. */
const rampColour = (p: number) => [255 + (33 - 255) * p, 255 + (102 - 255) * p, 255 + (172 - 255) * p].map(Math.round);

describe("logitLens (kernel side)", function () {
  this.timeout(60_000);
  let host: FakeHost;
  let model: HookedTransformer;
  before(async () => (model = await loadModel(path.join(REPO_ROOT, "models", "attn-only-2l"))));
  after(() => model?.dispose());
  beforeEach(() => (host = installFakeHost()));
  afterEach(() => removeFakeHost());

  it("logitLens: one row per layer; the last row's top token is the model's own prediction at every position", () => {
    const text = TEXT;
    logitLens(model, text); // the first forward builds the model's fused weights, which it keeps
    const before = tf.memory().numTensors;
    const view = logitLens(model, text, { topK: 3 });
    assert.equal(tf.memory().numTensors, before, "no tensors left behind");
    const state = host.sent.find((m) => m.kind === "open" && m.commId === view.modelId)!.data.state as Record<string, unknown>;
    const labels = state.layer_labels as string[];
    assert.deepEqual(labels, ["0_pre", "1_pre", "final_post"]);
    const top = state.top_tokens as string[][][];
    const logits = model.forward(text); // [1, pos, vocab]
    const argMax = logits.argMax(-1); // [1, pos]
    const best = (argMax.arraySync() as number[][])[0];
    tf.dispose([logits, argMax]);
    assert.deepEqual(
      top[2].map((cells) => cells[0]),
      best.map((id) => model.toStrTokens([id])[0]),
    );
    const probs = host.sent.find((m) => m.kind === "open" && m.commId === view.modelId)!.buffers[0] as Float32Array;
    assert.equal(probs.length, 3 * top[0].length * 3);
    for (let i = 0; i < probs.length; i += 3)
      assert.ok(probs[i] <= 1 && probs[i] >= probs[i + 1] && probs[i + 1] >= probs[i + 2]);
    // On the repeated half, the induction head makes the final row predict the actual next token; the embedding
    // row ("0_pre") predicts the current one.
    const strs = model.toStrTokens(text);
    const hits = (layer: number) => strs.slice(13, -1).filter((_, i) => top[layer][13 + i][0] === strs[14 + i]).length;
    assert.ok(hits(2) >= hits(0) + 2, `next-token hits on the second copy: final ${hits(2)}, embedding ${hits(0)}`);
    assert.ok(isPng(view[MIME_BUNDLE_KEY]().data["image/png"]));
    assert.throws(() => logitLens(model, text, { topK: 0 }), /topK must be an integer in 1…/);
    assert.throws(() => logitLens(model, ["a b", "c d"]), /logitLens shows one sequence, got a batch of 2/);
    assert.equal(tf.memory().numTensors, before, "no tensors left behind after errors");
  });

  it("the last row's probabilities are the model's own next-token probabilities (softmax of its logits, top k)", () => {
    const view = logitLens(model, TEXT, { topK: 3 });
    const probs = view.get("top_probs") as Float32Array;
    const positions = (view.get("tokens") as string[]).length;
    const logits = model.forward(TEXT); // [1, pos, vocab]
    const top = tf.tidy(() => tf.topk(tf.softmax(logits.squeeze([0])), 3)); // [pos, 3]
    const expected = top.values.dataSync();
    tf.dispose([logits, top.values, top.indices]);
    const lastRow = probs.subarray(2 * positions * 3, 3 * positions * 3);
    const worst = Math.max(...Array.from(lastRow, (p, i) => Math.abs(p - expected[i])));
    assert.ok(worst < 1e-5, `final_post probabilities differ from the model's by ${worst}`);
  });

  it("logitLens(model, cache) and logitLens(lens result) show what logitLens(model, text) shows, running nothing", () => {
    const opened = (view: { modelId: string }) =>
      host.sent.find((m) => m.kind === "open" && m.commId === view.modelId)!.data.state as Record<string, unknown>;
    const fields = (view: { modelId: string; get(key: string): unknown }) => {
      const { tokens, layer_labels, top_tokens, top_k } = opened(view);
      return { tokens, layer_labels, top_tokens, top_k, top_probs: Array.from(view.get("top_probs") as Float32Array) };
    };
    const fromText = fields(logitLens(model, TEXT, { topK: 3 }));
    const { cache } = model.runWithCache(TEXT, { returnType: "none" });
    const run = model.runWithCache;
    let runs = 0;
    Object.assign(model, { runWithCache: (...args: Parameters<typeof run>) => (runs++, run.apply(model, args)) });
    try {
      const before = tf.memory().numTensors;
      assert.deepEqual(fields(logitLens(model, cache, { topK: 3 })), fromText);
      assert.deepEqual(fields(logitLens(logitLensTopK(model, cache, { topK: 3 }), model)), fromText);
      // Without the model, a bare result shows its own strTokens (decoded one id at a time, so split characters are �).
      const bare = logitLensTopK(model, cache, { topK: 3 });
      assert.deepEqual(fields(logitLens(bare)).top_tokens, bare.topStrTokens);
      assert.equal(runs, 0, "the model was not run again");
      assert.equal(tf.memory().numTensors, before, "no tensors left behind");
      assert.deepEqual(fromText.tokens, model.tokenizer!.displayStrings(cache.tokens.arraySync()[0]));
    } finally {
      delete (model as unknown as Record<string, unknown>).runWithCache;
      cache.dispose();
    }
  });

  it("a batch: batchIndex picks the sequence shown; a lens without token text or of mismatched shapes is refused", () => {
    const texts = ["The cat sat on the mat.", "The dog ran to the car."];
    const { cache } = model.runWithCache(texts, { returnType: "none" });
    try {
      assert.throws(() => logitLens(model, cache), /logitLens shows one sequence, got a batch of 2: pass batchIndex/);
      const second = logitLens(model, cache, { batchIndex: 1, topK: 2 });
      assert.deepEqual(second.get("tokens"), model.toStrTokens(texts[1]));
      assert.deepEqual(second.get("top_tokens"), logitLens(model, texts[1], { topK: 2 }).get("top_tokens"));
      const ids = { ...logitLensTopK(model, cache, { batchIndex: 0 }), strTokens: undefined, topStrTokens: undefined };
      assert.throws(() => logitLens(ids), /logitLens shows token text, and this lens has none \(its model has no tokenizer\)/);
      const first = logitLensTopK(model, cache, { batchIndex: 0 });
      assert.throws(
        () => logitLens({ ...first, labels: ["0_pre"] }),
        /a logit lens needs topTokens, topStrTokens and topProbs of \[1 labels/,
      );
    } finally {
      cache.dispose();
    }
  });

  it("the PNG: a row per layer, each cell on its top prediction's probability colour", async () => {
    const view = logitLens(model, TEXT, { topK: 2 });
    const image = await decodePng(view[MIME_BUNDLE_KEY]().data["image/png"] as string);
    const probs = view.get("top_probs") as Float32Array;
    const positions = (view.get("tokens") as string[]).length;
    const { left, top, cellWidth, cellHeight } = LENS_GRID;
    for (const [l, p] of [
      [0, 0],
      [1, 5],
      [2, 3],
      [2, positions - 1],
    ]) {
      const best = probs[(l * positions + p) * 2];
      const colour = pixelAt(image, left + p * cellWidth + 1, top + l * cellHeight + 1); // left of the cell's text
      assert.deepEqual(colour, rampColour(best), `layer ${l}, position ${p}: probability ${best}`);
    }
  });

  it("the next-token row holds the token after each position; each cell's rank of it matches the lens's ids", () => {
    const { cache } = model.runWithCache(TEXT, { returnType: "none" });
    try {
      const result = logitLensTopK(model, cache, { topK: 3 });
      const view = logitLens(model, cache, { topK: 3 });
      const tokens = view.get("tokens") as string[];
      assert.deepEqual(view.get("next_tokens"), [...tokens.slice(1), ""]);
      const ranks = view.get("next_rank") as number[][];
      result.topTokens.forEach((layer, l) =>
        layer.forEach((ids, p) => {
          const next = result.tokens[p + 1];
          assert.equal(ranks[l][p], next === undefined ? -1 : ids.indexOf(next), `layer ${l}, position ${p}`);
        }),
      );
      // The second copy: the final row predicts the next token at more positions than the embedding row.
      const hits = (l: number) => ranks[l].slice(13).filter((r) => r === 0).length;
      assert.ok(hits(2) >= 2 && hits(2) >= hits(0) + 2, `top-1 hits: final ${hits(2)}, embedding ${hits(0)}`);
    } finally {
      cache.dispose();
    }
  });

  it("token text is for display: split characters show as <0xNN>, not �, in the columns and the predictions", () => {
    const view = logitLens(model, "café ☃ snow", { topK: 5 });
    const tokens = view.get("tokens") as string[];
    assert.ok(tokens.join("|").includes("<0xE2>|<0x98>|<0x83>"), JSON.stringify(tokens));
    const all = [...tokens, ...(view.get("top_tokens") as string[][][]).flat(2), ...(view.get("next_tokens") as string[])];
    assert.ok(!all.some((t) => t.includes("\uFFFD")), "no � anywhere");
  });

  it("the PNG: a next-token row, cell text in black or white by its cell, and a bar under each correct top prediction", async () => {
    const view = logitLens(model, TEXT, { topK: 2 });
    const image = await decodePng(view[MIME_BUNDLE_KEY]().data["image/png"] as string);
    const probs = view.get("top_probs") as Float32Array;
    const ranks = view.get("next_rank") as number[][];
    const positions = (view.get("tokens") as string[]).length;
    const { left, top, cellWidth, cellHeight } = LENS_GRID;
    let [hitsSeen, missesSeen] = [0, 0];
    ranks.forEach((row, l) =>
      row.forEach((rank, p) => {
        const background = colorOf(probs[(l * positions + p) * 2], 0, 1).map(Math.round);
        const bar = pixelAt(image, left + p * cellWidth + cellWidth / 2, top + (l + 1) * cellHeight - 1 - HIT_BAR / 2 - 0.5);
        if (rank === 0) {
          hitsSeen++;
          assert.deepEqual(bar, textColorOn(background as Rgb), `L${l} p${p}: the bar is the text colour`);
        } else {
          missesSeen++;
          assert.deepEqual(bar, background, `L${l} p${p}: no bar`);
        }
      }),
    );
    assert.ok(hitsSeen >= 2 && missesSeen > 3, `${hitsSeen} hits, ${missesSeen} misses`);
    // The next-token row: text in each of the first positions' cells, below the last layer.
    const rowY = top + ranks.length * cellHeight;
    for (let p = 0; p < 5; p++) {
      let ink = 0;
      for (let x = 0; x < cellWidth - 4; x++)
        for (let y = 2; y < cellHeight - 2; y++) ink += inkOf(pixelAt(image, left + p * cellWidth + x, rowY + y)) > 300 ? 1 : 0;
      assert.ok(ink > 5, `next token at ${p} is written (${ink} dark pixels)`);
    }
  });
});
