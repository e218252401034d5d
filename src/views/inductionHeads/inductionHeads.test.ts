/**
 * inductionHeads on the kernel side (fake host): the two grids and the patterns, the best induction
 * head selected in all three, a selection in one moving the others, and a typed prompt recomputing:
 * the grids then hold the scores of that prompt repeated (checked against detectHead run here), the
 * patterns its tokens; a bad prompt is reported, not thrown at the frontend. The snapshot stacks the
 * induction grid's and the patterns' pictures.
 */
import { strict as assert } from "assert";
import * as path from "path";
import {
  AttentionPatterns,
  detectHead,
  HBox,
  HeadScores,
  HookedTransformer,
  inductionHeads,
  loadModel,
  HTML,
  repeatedSequenceScores,
  Textarea,
  tf,
} from "../..";
import { MIME_BUNDLE_KEY } from "../../common/host";
import { REPO_ROOT } from "../../../tests/support/paths";
import { FakeHost, installFakeHost, removeFakeHost } from "../../../tests/widgets/fake-host";
import { decodePng, pixelAt } from "../../../tests/widgets/png-pixels";
import { formatShort } from "../../common/draw/tokens";
import { scoresGrid } from "../headScores/snapshot";
import { repeatLength, unitScale, WEAK_SCORE } from "./inductionHeads";

/** The largest difference between two grids of the same shape. */
function maxDiff(a: number[][], b: number[][]): number {
  return Math.max(...a.flatMap((row, l) => row.map((v, h) => Math.abs(v - b[l][h]))));
}

describe("inductionHeads (kernel side)", function () {
  this.timeout(60_000);
  let host: FakeHost;
  let model: HookedTransformer;
  before(async () => (model = await loadModel(path.join(REPO_ROOT, "models", "attn-only-2l"))));
  after(() => model?.dispose());
  beforeEach(() => (host = installFakeHost()));
  afterEach(() => removeFakeHost());

  it("inductionHeads: prompt box, two grids and the patterns; the best induction head is selected everywhere", () => {
    const view = inductionHeads(model);
    const [prompt, row, caption, patterns] = view.get("children") as [Textarea, HBox, HTML, AttentionPatterns];
    assert.ok(prompt instanceof Textarea && row instanceof HBox && caption instanceof HTML);
    assert.ok(patterns instanceof AttentionPatterns);
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

  it("it shows what repeatedSequenceScores gives for its options (seqLen and seed, or a prompt)", () => {
    for (const options of [{ seqLen: 9, seed: 3 }, { prompt: "x = 1; y = x" }]) {
      const expected = repeatedSequenceScores(model, options);
      const patterns = expected.patterns.map((p) => p.squeeze([0]).arraySync() as number[][][]); // per layer [head, q, k]
      tf.dispose(expected.patterns);
      const before = tf.memory().numTensors;
      const view = inductionHeads(model, options);
      assert.equal(tf.memory().numTensors, before, `${JSON.stringify(options)}: no tensors left behind`);
      assert.deepEqual(view.previousToken.get("scores"), expected.previousToken);
      assert.deepEqual(view.induction.get("scores"), expected.induction);
      // The patterns show display strings: toStrTokens's text, except that pieces of a split character show as <0xNN>.
      const shown = view.patterns.get("tokens") as string[];
      assert.deepEqual(shown, model.tokenizer!.displayStrings(expected.tokens));
      shown.forEach((text, i) => expected.strTokens![i].includes("\uFFFD") || assert.equal(text, expected.strTokens![i]));
      assert.equal(view.prompt.get("value"), options.prompt ?? "");
      // The patterns travel as bytes of [0, 1]: each within half a level of the run's weight.
      const view8 = view.patterns.get("patterns") as DataView;
      const bytes = new Uint8Array(view8.buffer, view8.byteOffset, view8.byteLength);
      const weights = patterns.flat(3);
      assert.equal(bytes.length, weights.length);
      const worst = Math.max(...weights.map((w, i) => Math.abs(bytes[i] / 255 - w)));
      assert.ok(worst <= 0.5 / 255 + 1e-6, `${JSON.stringify(options)}: patterns off by ${worst}`);
    }
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

  it("after a typed prompt both grids hold that prompt's scores (as detectHead gives them) and the wire carries them", async () => {
    const view = inductionHeads(model);
    const randomScores = [view.previousToken.get("scores"), view.induction.get("scores")] as number[][][];
    const prompt = "the cat sat on the mat";
    const ids = (withBos: boolean) => {
      const t = model.toTokens(prompt, { prependBos: withBos });
      const row = (t.arraySync() as number[][])[0];
      t.dispose();
      return row;
    };
    const repeated = tf.tensor2d([[...ids(true), ...ids(false)]], undefined, "int32");
    const expected = [detectHead(model, repeated, "previous_token_head"), detectHead(model, repeated, "induction_head")];
    repeated.dispose();
    const sentBefore = host.sent.length;
    await host.comms.get(view.prompt.modelId)!.receive({ method: "update", state: { value: prompt }, buffer_paths: [] });
    [view.previousToken, view.induction].forEach((grid, i) => {
      const scores = grid.get("scores") as number[][];
      assert.ok(
        maxDiff(scores, expected[i]) < 1e-6,
        `${grid.title}: ${JSON.stringify(scores)} vs ${JSON.stringify(expected[i])}`,
      );
      assert.ok(maxDiff(scores, randomScores[i]) > 0.01, `${grid.title} changed from the random tokens' scores`);
      const pushed = host.sent.slice(sentBefore).filter((m) => m.commId === grid.modelId && m.kind === "msg");
      const sent = pushed.map((m) => (m.data.state as Record<string, unknown>)?.scores).filter(Boolean);
      assert.deepEqual(sent, [scores], `${grid.title}: one update carries the new scores`);
    });
  });

  it("the grids preview their hovered head in the patterns: each is linked to the patterns view", () => {
    const view = inductionHeads(model);
    for (const grid of [view.previousToken, view.induction])
      assert.equal(grid.get("linked_patterns"), `IPY_MODEL_${view.patterns.modelId}`, `${grid.title} links the patterns`);
  });

  it("the caption gives the repeat: BOS + 20 random tokens twice, second copy from position 21, diagonal t − 19", async () => {
    const view = inductionHeads(model);
    assert.equal(view.repeatLength, 20);
    const caption = view.caption.get("value") as string;
    assert.match(caption, /BOS, then 20 tokens twice/);
    assert.match(caption, /second copy starts at position 21/);
    assert.match(caption, /from query t to key t − 19/);
    assert.deepEqual(view.patterns.get("repeat"), { start: 21, length: 20 }, "the pattern marks the repeat");
    await host.comms.get(view.prompt.modelId)!.receive({ method: "update", state: { value: "a b c d e" }, buffer_paths: [] });
    const half = model.toStrTokens("a b c d e", { prependBos: false }).length;
    assert.equal(view.repeatLength, half);
    assert.match(view.caption.get("value") as string, new RegExp(`${half} tokens twice.*position ${half + 1}.*t − ${half - 1}`));
    assert.deepEqual(view.patterns.get("repeat"), { start: half + 1, length: half }, "the mark follows the typed prompt");
    assert.equal(repeatLength([7, 1, 2, 3, 1, 2, 3]), 3);
    assert.equal(repeatLength([1, 2, 1, 2]), 2);
    assert.equal(repeatLength([1, 2, 3, 4]), 0, "not a repeat");
  });

  it("the prompt box is a text area as tall as the prompt: a 300-character prompt is not cut to one line", async () => {
    // About 110 tokens of the embedded vocabulary: twice that fits its context of 256.
    const long = "the cat sat on the mat and ".repeat(12).slice(0, 300);
    const view = inductionHeads(model, { prompt: long });
    assert.ok(view.prompt instanceof Textarea);
    assert.equal(view.prompt.get("value"), long);
    assert.ok((view.prompt.get("rows") as number) >= 3, `rows ${view.prompt.get("rows")} for 300 characters`);
    assert.equal((view.prompt.get("layout") as { get(k: string): unknown }).get("width"), "100%");
    await host.comms.get(view.prompt.modelId)!.receive({ method: "update", state: { value: "short" }, buffer_paths: [] });
    assert.equal(view.prompt.get("rows"), 2, "a short prompt shrinks the box back");
  });

  it("byte tokens show as <0xNN>, not �: a typed prompt with é and ☃ (split into bytes by the embedded vocabulary)", async () => {
    const view = inductionHeads(model);
    await host.comms.get(view.prompt.modelId)!.receive({ method: "update", state: { value: "café ☃ x" }, buffer_paths: [] });
    const tokens = view.patterns.get("tokens") as string[];
    assert.ok(!tokens.some((t) => t.includes("\uFFFD")), JSON.stringify(tokens));
    assert.ok(tokens.join("|").includes("<0xE2>|<0x98>|<0x83>"), JSON.stringify(tokens));
  });

  it("a weak model's grid is autoscaled and says so; a clear one keeps the fixed 0…1 scale", async () => {
    const weak = await loadModel(path.join(REPO_ROOT, "models", "attn-only-1l"));
    try {
      const view = inductionHeads(weak);
      const scores = view.induction.get("scores") as number[][];
      const top = Math.max(...scores.flat());
      assert.ok(top < WEAK_SCORE, `the one-layer model has no induction head: max ${top}`);
      // Before: a fixed 0…1 scale, on which the strongest cell is all but white.
      assert.deepEqual([view.induction.get("value_min"), view.induction.get("value_max")], [0, top]);
      assert.equal(view.induction.get("scale_note"), `autoscaled: max ${formatShort(top)}`);
    } finally {
      weak.dispose();
    }
    const clear = inductionHeads(model);
    assert.deepEqual([clear.induction.get("value_min"), clear.induction.get("value_max")], [0, 1]);
    assert.equal(clear.induction.get("scale_note"), "fixed 0 … 1");
    assert.deepEqual(unitScale([[0.05, 0.19]]), { min: 0 });
    assert.deepEqual(unitScale([[0.05, 0.2]]), { min: 0, max: 1 });
  });

  it("the snapshot is the induction grid's picture with the patterns' picture below it", async () => {
    const view = inductionHeads(model);
    const [whole, grid, patterns] = await Promise.all(
      [view[MIME_BUNDLE_KEY]().data["image/png"] as string, view.induction.png()!, view.patterns.png()!].map((p) => decodePng(p)),
    );
    assert.equal(whole.height, grid.height + patterns.height);
    assert.equal(whole.width, Math.max(grid.width, patterns.width));
    /** Pixels of row `y` of `image` from x = 0 to `width`, and how many are not white. */
    const row = (image: typeof whole, y: number, width: number) => {
      const pixels = Array.from({ length: width }, (_, x) => pixelAt(image, x, y));
      return { pixels, inked: pixels.filter(([r, g, b]) => r + g + b < 765).length };
    };
    const cells = scoresGrid(model.cfg.nLayers, model.cfg.nHeads);
    for (const y of [cells.top + cells.cell / 2, cells.top + 1.5 * cells.cell]) {
      const [mine, part] = [row(whole, y, grid.width), row(grid, y, grid.width)];
      assert.ok(part.inked > 20, `grid row ${y} is drawn`);
      assert.deepEqual(mine.pixels, part.pixels, `grid row ${y}`);
    }
    for (const y of [60, patterns.height / 2]) {
      const [mine, part] = [row(whole, grid.height + y, patterns.width), row(patterns, y, patterns.width)];
      assert.ok(part.inked > 20, `patterns row ${y} is drawn`);
      assert.deepEqual(mine.pixels, part.pixels, `patterns row ${y}`);
    }
  });
});
