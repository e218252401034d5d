/**
 * headScores and inductionHeads on the kernel side (fake host): the grid's state and PNG, a click
 * in the view reaching the kernel, the selection linking both grids and the patterns, and a typed
 * prompt recomputing scores and patterns (with bad prompts reported, not thrown at the frontend).
 */
import { strict as assert } from "assert";
import * as path from "path";
import { AttentionPatterns, HBox, HeadScores, headScores, HookedTransformer, inductionHeads, loadModel, Text, tf } from "../..";
import { MIME_BUNDLE_KEY } from "../../common/host";
import { REPO_ROOT } from "../../../tests/support/paths";
import { scoresGrid } from "./snapshot";
import { FakeHost, installFakeHost, removeFakeHost } from "../../../tests/widgets/fake-host";
import { decodePng, inkOf, pixelAt, Rgb } from "../../../tests/widgets/png-pixels";

describe("headScores and inductionHeads (kernel side)", function () {
  this.timeout(60_000);
  let host: FakeHost;
  let model: HookedTransformer;
  before(async () => (model = await loadModel(path.join(REPO_ROOT, "models", "attn-only-2l"))));
  after(() => model?.dispose());
  beforeEach(() => (host = installFakeHost()));
  afterEach(() => removeFakeHost());

  it("headScores: the grid's state, a PNG and a text line; a click in the view sets selected in the kernel", async () => {
    const view = headScores({
      scores: tf.tensor2d([
        [0.1, 0.9],
        [-0.2, 0.4],
      ]),
      title: "<b>induction</b>",
    });
    const state = host.sent.find((m) => m.kind === "open" && m.commId === view.modelId)!.data.state as Record<string, unknown>;
    assert.deepEqual(
      state.scores,
      [
        [0.1, 0.9],
        [-0.2, 0.4],
      ].map((r) => r.map((v) => Math.fround(v))),
    );
    assert.deepEqual([state.n_layers, state.n_heads, state.value_max, state.selected], [2, 2, Math.fround(0.9), null]);
    assert.ok((state.value_min as number) < -0.19, "the scale reaches the negative score");
    const bundle = view[MIME_BUNDLE_KEY]();
    assert.equal(bundle.data["text/plain"], 'HeadScores("<b>induction</b>", 2 layers × 2 heads, selected none)');
    assert.ok(
      Buffer.from(bundle.data["image/png"] as string, "base64")
        .subarray(1, 4)
        .toString() === "PNG",
    );
    await host.comms
      .get(view.modelId)!
      .receive({ method: "update", state: { selected: { layer: 1, head: 0 } }, buffer_paths: [] });
    assert.deepEqual(view.selected, { layer: 1, head: 0 });
    assert.throws(() => (view.selected = { layer: 2, head: 0 }), /selected must be null or \{ layer: 0…1, head: 0…1 \}/);
    assert.throws(() => headScores({ scores: [[1, 2], [3]] }), /scores must be \[layers, heads\]/);
  });

  it("headScores PNG: the scale is centred on 0 and symmetric in magnitude, like the live view", async () => {
    /** The colour of each cell of the grid's snapshot (read at a corner, away from the value written in it). */
    const cellColours = async (scores: number[][]): Promise<Rgb[][]> => {
      const image = await decodePng(headScores({ scores })[MIME_BUNDLE_KEY]().data["image/png"] as string);
      const { left, top, cell } = scoresGrid(scores.length, scores[0].length);
      return scores.map((row, l) => row.map((_, h) => pixelAt(image, left + (h + 1) * cell - 4, top + l * cell + 3)));
    };
    const [[minusOne, minusHalf, zero, plusHalf, plusOne]] = await cellColours([[-1, -0.5, 0, 0.5, 1]]);
    assert.deepEqual(zero, [255, 255, 255], "0 is the scale's midpoint colour (white)");
    assert.ok(minusHalf[0] > minusHalf[2] && plusHalf[2] > plusHalf[0], `−0.5 red, 0.5 blue: ${minusHalf} ${plusHalf}`);
    // Strength: how far a colour is from white, as a share of its side's full colour.
    const [negative, positive] = [inkOf(minusHalf) / inkOf(minusOne), inkOf(plusHalf) / inkOf(plusOne)];
    assert.ok(
      Math.abs(negative - 0.5) < 0.03 && Math.abs(positive - 0.5) < 0.03,
      `−0.5 and 0.5 half strength: ${negative} ${positive}`,
    );
    const [[lopsidedMinusHalf, , lopsidedPlusHalf]] = await cellColours([[-0.5, 0, 0.5, 1]]);
    assert.deepEqual(lopsidedMinusHalf, minusHalf, "−0.5 is half strength when the scale reaches only −0.5 too");
    assert.deepEqual(lopsidedPlusHalf, plusHalf);
    // The reported case: a slightly negative score beside a small positive one, under a large maximum.
    const [[tinyNegative, smallPositive], [zeroToo]] = await cellColours([
      [-0.008, 0.03],
      [0, 0.9],
    ]);
    assert.deepEqual(zeroToo, [255, 255, 255]);
    assert.ok(inkOf(tinyNegative) < 10, `−0.008 is almost white, got ${tinyNegative}`);
    assert.ok(inkOf(tinyNegative) < inkOf(smallPositive), `−0.008 paler than 0.03: ${tinyNegative} vs ${smallPositive}`);
  });

  it("inductionHeads: prompt box, two grids and the patterns; the best induction head is selected everywhere", () => {
    const view = inductionHeads(model);
    const [prompt, row, patterns] = view.get("children") as [Text, HBox, AttentionPatterns];
    assert.ok(prompt instanceof Text && row instanceof HBox && patterns instanceof AttentionPatterns);
    const [previous, induction] = row.children as [HeadScores, HeadScores];
    assert.equal(previous, view.previousToken);
    assert.equal(induction, view.induction);
    // The embedded model's induction head is in layer 1. (TransformerLens's induction score counts every query's
    // attention, so half the rows — the first copy, with nothing to induct from — cap it near 0.5.)
    const best = induction.selected!;
    assert.equal(best.layer, 1);
    const scores = induction.get("scores") as number[][];
    const others = scores.flat().filter((_, i) => i !== best.layer * model.cfg.nHeads + best.head);
    assert.ok(
      scores[1][best.head] > 0.3 && scores[1][best.head] > 2 * Math.max(...others),
      `induction scores ${JSON.stringify(scores)}`,
    );
    assert.deepEqual(previous.selected, best);
    assert.equal(patterns.selectedHead, best.layer * model.cfg.nHeads + best.head);
    assert.equal((patterns.get("tokens") as string[]).length, 41, "BOS + 20 random tokens twice");
    const png = view[MIME_BUNDLE_KEY]().data["image/png"] as string;
    assert.ok(Buffer.from(png, "base64").length > 2000, "a composite snapshot");
  });

  it("selecting a head in one grid or in the patterns selects it in the others", async () => {
    const view = inductionHeads(model);
    await host.comms
      .get(view.previousToken.modelId)!
      .receive({ method: "update", state: { selected: { layer: 0, head: 2 } }, buffer_paths: [] });
    assert.deepEqual(view.induction.selected, { layer: 0, head: 2 });
    assert.equal(view.patterns.selectedHead, 2);
    await host.comms.get(view.patterns.modelId)!.receive({ method: "update", state: { selected_head: 7 }, buffer_paths: [] });
    assert.deepEqual(view.previousToken.selected, { layer: 1, head: 3 });
    assert.deepEqual(view.induction.selected, { layer: 1, head: 3 });
  });

  it("typing a prompt recomputes: new tokens and patterns pushed, scores updated; a too-long prompt is reported", async () => {
    const view = inductionHeads(model);
    const before = tf.memory().numTensors;
    const sentBefore = host.sent.length;
    await host.comms
      .get(view.prompt.modelId)!
      .receive({ method: "update", state: { value: "the cat sat on the mat" }, buffer_paths: [] });
    const tokens = view.patterns.get("tokens") as string[];
    const words = model.toStrTokens("the cat sat on the mat", { prependBos: false });
    assert.deepEqual(tokens, [...model.toStrTokens("the cat sat on the mat"), ...words]);
    const pushed = host.sent.slice(sentBefore).filter((m) => m.commId === view.patterns.modelId && m.kind === "msg");
    assert.ok(
      pushed.some((m) => (m.data.buffer_paths as unknown[][]).some((p) => p[0] === "patterns")),
      "new pattern bytes were sent",
    );
    assert.equal((view.induction.get("scores") as number[][]).length, 2);
    assert.equal(tf.memory().numTensors, before, "no tensors left behind by the recomputation");
    const long = "word ".repeat(50); // fits the context once, not twice
    await host.comms.get(view.prompt.modelId)!.receive({ method: "update", state: { value: long }, buffer_paths: [] });
    assert.match(view.lastError ?? "", /more than the model's context/);
    assert.match(view.prompt.get("placeholder") as string, /^error: the prompt repeated is \d+ tokens/);
    assert.deepEqual(view.patterns.get("tokens"), tokens, "the views keep the last good state");
  });
});
