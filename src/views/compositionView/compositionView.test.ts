/**
 * compositionView on the kernel side (fake host): the grid's fields against compositionScores, the Q/K/V switch and
 * the selected edge from the view reaching the kernel (and bad values refused), the text fallback's ranked edges,
 * the PNG's size, cells, masked cells, frame and baseline read back as pixels, bad sources refused with one clear
 * error, no tensors left behind; and the random baseline against closed-form values.
 */
import { strict as assert } from "assert";
import { compositionScores, compositionView, HookedTransformer, loadModel, randomCompositionBaseline, tf } from "../..";
import { MIME_BUNDLE_KEY } from "../../common/host";
import { colorOf, paletteOf } from "../../common/draw/colors";
import { FakeHost, installFakeHost, removeFakeHost } from "../../../tests/widgets/fake-host";
import { decodePng, pixelAt, Rgb } from "../../../tests/widgets/png-pixels";
import { snapshotGeometry, wrapText } from "./snapshot";

/** Scores [L][H][L][H] of one kind: `value(l1, h1, l2, h2)` where l2 > l1, and `masked` elsewhere. */
function fakeScores(
  layers: number,
  heads: number,
  value: (l1: number, h1: number, l2: number, h2: number) => number,
  masked = 0,
): number[][][][] {
  const range = (n: number) => Array.from({ length: n }, (_, i) => i);
  return range(layers).map((l1) =>
    range(heads).map((h1) => range(layers).map((l2) => range(heads).map((h2) => (l2 > l1 ? value(l1, h1, l2, h2) : masked)))),
  );
}

/** The PNG of a view, decoded, with the grid's geometry. */
async function picture(view: { [MIME_BUNDLE_KEY](): { data: Record<string, unknown> } }, layers: number, heads: number) {
  const image = await decodePng(view[MIME_BUNDLE_KEY]().data["image/png"] as string);
  const geometry = snapshotGeometry(layers, heads);
  const { left, top, cell } = geometry.layout;
  /** The colour of cell (row, column), read near its top-left corner (away from the printed value). */
  const cellColour = (row: number, column: number): Rgb =>
    pixelAt(image, left + column * cell + 4, geometry.offsetY + top + row * cell + 4);
  return { image, geometry, cellColour };
}

describe("compositionView (kernel side)", function () {
  this.timeout(60_000);
  let host: FakeHost;
  let model: HookedTransformer;
  before(async () => (model = await loadModel()));
  after(() => model.dispose());
  beforeEach(() => (host = installFakeHost()));
  afterEach(() => removeFakeHost());

  it("compositionView(model): scores [Q, K, V][earlier head][later head] as compositionScores gives them, K shown, no tensors left", () => {
    const before = tf.memory().numTensors;
    const view = compositionView(model);
    assert.equal(tf.memory().numTensors, before, "the view frees the scores it computed");
    const state = host.sent.find((m) => m.kind === "open" && m.commId === view.modelId)!.data.state as Record<string, unknown>;
    assert.deepEqual([state.n_layers, state.n_heads, state.kind, state.selected], [2, 4, "K", null]);
    const reference = compositionScores(model);
    const expected = (["Q", "K", "V"] as const).flatMap((kind) => {
      const all = reference[kind].arraySync() as number[][][][];
      return [0, 1, 2, 3].flatMap((h1) => [0, 1, 2, 3].map((h2) => all[0][h1][1][h2])); // layer 0 into layer 1
    });
    reference.dispose();
    assert.deepEqual(Array.from(view.get("scores") as Float32Array), expected.map(Math.fround));
    const top = Math.max(...expected);
    assert.deepEqual([state.value_min, state.value_max], [0, Math.fround(top)], "one scale 0 … max over the three kinds");
    assert.equal(state.scale_note, `autoscaled: max ${top.toFixed(2)}`);
  });

  it("text fallback: the strongest edges of the shown kind, ranked, as 'L0H1 → L1H1  K 0.151'", () => {
    const K = fakeScores(3, 2, (l1, h1, l2, h2) => 0.01 * (10 * l1 + 4 * h1 + 2 * l2 + h2), 0.9); // 0.9 in the masked cells
    const view = compositionView(
      { Q: fakeScores(3, 2, () => 0.5), K, V: fakeScores(3, 2, () => 0) },
      { top: 3, title: "<i>toy</i>" },
    );
    // Edges (l1 < l2) ranked by 10·l1 + 4·h1 + 2·l2 + h2: L1H1 → L2H1 = 0.19, L1H1 → L2H0 = 0.18, L1H0 → L2H1 = 0.15.
    assert.equal(
      view[MIME_BUNDLE_KEY]().data["text/plain"],
      [
        'CompositionView("<i>toy</i>", K-composition of 4 earlier × 4 later heads, selected none)',
        "strongest K-composition:",
        "  L1H1 → L2H1  K 0.190",
        "  L1H1 → L2H0  K 0.180",
        "  L1H0 → L2H1  K 0.150",
      ].join("\n"),
    );
    assert.deepEqual(view.strongest("V", 1), ["L0H0 → L1H0  V 0"]);
    assert.deepEqual(view.strongest("Q", 2), ["L0H0 → L1H0  Q 0.500", "L0H0 → L1H1  Q 0.500"]);
    const tiny = compositionView({ Q: K, K, V: fakeScores(3, 2, () => 0.0002) }, { kind: "v", top: 1 });
    assert.deepEqual(tiny.strongest(), ["L0H0 → L1H0  V <0.001"], "values printed as the other views print them");
  });

  it("kind and selected: set from the view they reach the kernel; values outside the grid are refused naming the option", async () => {
    const view = compositionView(model, { kind: "q", selected: { from: { layer: 0, head: 1 }, to: { layer: 1, head: 1 } } });
    assert.equal(view.kind, "Q", "lower case is read as the kind");
    assert.match(view.toString(), /selected L0H1 → L1H1/);
    const comm = host.comms.get(view.modelId)!;
    await comm.receive({ method: "update", state: { kind: "V" }, buffer_paths: [] });
    assert.equal(view.kind, "V");
    await comm.receive({
      method: "update",
      state: { selected: { from: { layer: 0, head: 3 }, to: { layer: 1, head: 0 } } },
      buffer_paths: [],
    });
    assert.deepEqual(view.selected, { from: { layer: 0, head: 3 }, to: { layer: 1, head: 0 } });
    assert.throws(() => (view.kind = "O" as never), /compositionView: kind must be "Q", "K" or "V", got "O"/);
    assert.throws(
      () => (view.selected = { from: { layer: 1, head: 0 }, to: { layer: 1, head: 2 } }),
      /selected must be null or \{ from, to \} with from in layers 0…0, to in a later layer/,
    );
    assert.throws(() => (view.selected = { from: { layer: 0, head: 4 }, to: { layer: 1, head: 0 } }), /heads 0…3/);
    assert.equal(view.kind, "V");
  });

  it("bad sources and options: one clear error each, and no tensors left", () => {
    const before = tf.memory().numTensors;
    const one = fakeScores(1, 2, () => 0);
    assert.throws(
      () => compositionView({ Q: one, K: one, V: one }),
      /scores\.Q must be \[n_layers ≥ 2, n_heads, n_layers, n_heads\]/,
    );
    const ragged = fakeScores(2, 2, () => 0.1);
    ragged[1].pop();
    const fine = fakeScores(2, 2, () => 0.1);
    assert.throws(
      () => compositionView({ Q: fine, K: ragged, V: fine }),
      /scores\.K must be .* got ragged or non-numeric arrays/,
    );
    const flat = tf.zeros([2, 4]);
    assert.throws(() => compositionView({ Q: fine, K: fine, V: flat }), /scores\.V must be .* got \[2,4\]/);
    flat.dispose();
    assert.throws(
      () => compositionView({ Q: fine, K: fine, V: fakeScores(3, 2, () => 0) }),
      /scores\.V is \[3, 2, …\], scores\.Q \[2, 2, …\]/,
    );
    assert.throws(() => compositionView("gpt2" as never), /expects a model or lens\.compositionScores\(model\)'s result/);
    assert.throws(() => compositionView(model, { kind: "O" as never }), /kind must be "Q", "K" or "V", got "O"/);
    assert.throws(
      () => compositionView({ Q: fine, K: fine, V: fine }, { baseline: "random" }),
      /baseline "random" needs the model, or dims/,
    );
    assert.throws(() => compositionView(model, { baseline: "chance" as never }), /baseline must be a score or "random"/);
    assert.throws(() => compositionView(model, { min: 0.5, max: 0.2 }), /colour scale needs max > min/);
    assert.throws(() => compositionView(model, { top: -1 }), /top must be a whole number ≥ 0/);
    assert.equal(tf.memory().numTensors, before);
  });

  it("PNG: the snapshot's size; each edge on its score's colour, non-edges masked grey, layer lines, the selected edge framed", async () => {
    // 3 layers × 2 heads: rows L0H0 L0H1 L1H0 L1H1, columns L1H0 L1H1 L2H0 L2H1; rows of layer 1 into layer 1 are masked.
    const K = fakeScores(3, 2, (l1, h1, l2, h2) => (l1 === 0 && h1 === 1 && l2 === 2 && h2 === 0 ? 1 : 0.5));
    const view = compositionView(
      { Q: K, K, V: K },
      { min: 0, max: 1, selected: { from: { layer: 1, head: 1 }, to: { layer: 2, head: 1 } } },
    );
    const { image, geometry, cellColour } = await picture(view, 3, 2);
    assert.equal(image.width, geometry.width);
    assert.ok(image.height >= geometry.height, `${image.height} px tall, the geometry needs ${geometry.height}`);
    const light = paletteOf("light");
    assert.deepEqual(cellColour(1, 2), light.positive, "L0H1 → L2H0 (1) in the scale's top colour");
    assert.deepEqual(cellColour(0, 0), colorOf(0.5, 0, 1), "L0H0 → L1H0 (0.5) half way");
    assert.deepEqual(cellColour(2, 0), light.masked, "L1H0 → L1H0 is no edge: masked");
    assert.deepEqual(cellColour(3, 1), light.masked, "L1H1 → L1H1 is no edge: masked");
    const { left, top, cell } = geometry.layout;
    const y0 = geometry.offsetY + top;
    // The line between layers 1 and 2 of the columns (after 2 columns), and between layers 0 and 1 of the rows.
    assert.deepEqual(pixelAt(image, left + 2 * cell - 1, y0 + cell / 2), light.guide, "a line between column layers");
    assert.deepEqual(pixelAt(image, left + cell / 2, y0 + 2 * cell - 1), light.guide, "a line between row layers");
    // The frame: the selected cell's edge (row 3, column 3) is drawn in the text colour; its neighbour's is not.
    assert.deepEqual(pixelAt(image, left + 3 * cell + cell / 2, y0 + 3 * cell + 1), light.text);
    assert.notDeepEqual(pixelAt(image, left + 2 * cell + cell / 2, y0 + 3 * cell + 1), light.text);
  });

  it("PNG with a baseline: the baseline score is white, scores below it red and above it blue on one slope; the bar runs from 0", async () => {
    const K = fakeScores(2, 3, (_l1, h1, _l2, h2) => [0.05, 0.1, 0.3][(h1 + h2) % 3]);
    const view = compositionView({ Q: K, K, V: K }, { baseline: 0.1 });
    // From 0 (no score is negative) to the highest score; the baseline is not the middle of the bar, but its colour is neutral.
    assert.deepEqual([view.get("value_min"), view.get("value_max")], [0, Math.fround(0.3)]);
    assert.equal(view.get("scale_note"), "autoscaled: 0 … 0.300");
    assert.equal(view.get("baseline_note"), "neutral colour at the baseline 0.100: bluer above it, redder below");
    const { cellColour } = await picture(view, 2, 3);
    const [below, at, above] = [cellColour(0, 0), cellColour(0, 1), cellColour(0, 2)]; // 0.05, 0.1, 0.3
    assert.deepEqual(at, [255, 255, 255], "the baseline's colour is the page's");
    assert.ok(below[0] > below[2], `0.05 (below the baseline) is red: ${below}`);
    // One slope both sides: 0.05 is 0.05 below the baseline, a quarter of the 0.2 that 0.3 is above it.
    assert.deepEqual(below, colorOf(-0.05, -0.2, 0.2), "a quarter strength of red");
    assert.deepEqual(above, paletteOf("light").positive, "0.3 is the top of the scale");
  });

  it("baseline 'random' on the model: random weights' mean score for d_model 128, d_head 32 (≈ 1/√128)", () => {
    const before = tf.memory().numTensors;
    const view = compositionView(model, { baseline: "random" });
    const baseline = view.get("baseline") as number;
    assert.ok(Math.abs(baseline - 1 / Math.sqrt(128)) < 0.002, `baseline ${baseline}`);
    assert.match(
      view.get("baseline_note") as string,
      /^neutral colour at random weights' mean score 0\.08\d \(d_model 128, d_head 32, 61 draws\): bluer above it, redder below$/,
    );
    assert.equal(tf.memory().numTensors, before);
  });

  it("a GPT-2-sized grid (12 layers × 12 heads): 132 × 132 cells of 6 px, labelled by layer, strongest edge found", async () => {
    const K = fakeScores(12, 12, (l1, h1, l2, h2) => (l1 === 4 && h1 === 11 && l2 === 5 && h2 === 6 ? 0.5 : 0.05));
    const view = compositionView({ Q: K, K, V: K });
    const { image, geometry, cellColour } = await picture(view, 12, 12);
    assert.deepEqual([geometry.layout.side, geometry.layout.cell, geometry.layout.headLabels], [132, 6, false]);
    assert.equal(image.width, geometry.width);
    assert.deepEqual(cellColour(4 * 12 + 11, 4 * 12 + 6), paletteOf("light").positive, "L4H11 → L5H6 at the top of the scale");
    assert.deepEqual(view.strongest("K", 1), ["L4H11 → L5H6  K 0.500"]);
  });

  it("PNG notes: a long baseline note wraps under the grid instead of being cut", async () => {
    assert.deepEqual(wrapText("a bb ccc dddd", 6), ["a bb", "ccc", "dddd"]);
    const view = compositionView(model, { baseline: "random" });
    const { image, geometry } = await picture(view, 2, 4);
    // Three lines under the grid: the scale's note, then the baseline's note on two lines.
    const thirdLine = geometry.offsetY + geometry.layout.height + 4 + 28;
    let ink = 0;
    for (let y = thirdLine; y < thirdLine + 12; y++) for (let x = 8; x < 200; x++) if (pixelAt(image, x, y)[0] < 128) ink++;
    assert.ok(image.height >= thirdLine + 12, `the picture is ${image.height} px tall`);
    assert.ok(ink > 20, `the third line under the grid has text: ${ink} dark pixels`);
  });
});

describe("randomCompositionBaseline", function () {
  this.timeout(60_000);

  it("with d_head 1 a score is |cos| of two random directions: mean 1/2 in 3 dimensions and 2/π in 2", () => {
    // W_A = x yᵀ, W_B = z wᵀ: ‖W_A W_B‖ = |yᵀz| ‖x‖ ‖w‖, so the score is |cos(y, z)| — uniform on [0, 1] in 3 dimensions.
    assert.ok(Math.abs(randomCompositionBaseline(3, 1, { samples: 4000, seed: 3 }) - 0.5) < 0.02);
    assert.ok(Math.abs(randomCompositionBaseline(2, 1, { samples: 4000, seed: 3 }) - 2 / Math.PI) < 0.02);
  });

  it("is the same for the same seed, different for another; bad sizes refused by name; no tensors left", () => {
    const before = tf.memory().numTensors;
    assert.equal(randomCompositionBaseline(16, 4), randomCompositionBaseline(16, 4), "the default seed too");
    assert.equal(randomCompositionBaseline(16, 4, { seed: 1 }), randomCompositionBaseline(16, 4, { seed: 1 }));
    assert.notEqual(randomCompositionBaseline(16, 4, { seed: 1 }), randomCompositionBaseline(16, 4, { seed: 2 }));
    assert.throws(() => randomCompositionBaseline(0, 4), /dModel must be a positive integer, got 0/);
    assert.throws(() => randomCompositionBaseline(16, 4, { samples: 1.5 }), /samples must be a positive integer, got 1.5/);
    assert.throws(() => randomCompositionBaseline(16, 4, { seed: -1 }), /seed must be a whole number ≥ 0, got -1/);
    assert.equal(tf.memory().numTensors, before);
  });
});
