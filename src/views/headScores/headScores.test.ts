/**
 * headScores on the kernel side (fake host): the grid's state and a click in the view reaching the
 * kernel, the PNG's cells, colour scale and frame read back as pixels, and update().
 */
import { strict as assert } from "assert";
import { headScores, tf } from "../..";
import { MIME_BUNDLE_KEY } from "../../common/host";
import { contrastRatio } from "../../common/draw/colors";
import { gridCell } from "../../common/draw/grid";
import { scoreScale } from "./headScores";
import { scoresGrid } from "./snapshot";
import { FakeHost, installFakeHost, removeFakeHost } from "../../../tests/widgets/fake-host";
import { decodePng, inkOf, pixelAt, Rgb } from "../../../tests/widgets/png-pixels";

/** How far apart two colours are (sum over channels). */
function distance(a: Rgb, b: Rgb): number {
  return a.reduce((sum, v, i) => sum + Math.abs(v - b[i]), 0);
}

/** The scale [0, 1]'s colours of 0 and 1. */
const [WHITE, BLUE]: Rgb[] = [
  [255, 255, 255],
  [33, 102, 172],
];

describe("headScores (kernel side)", function () {
  let host: FakeHost;
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
    assert.equal(state.value_min, -state.value_max!, "symmetric about 0: the scores have both signs");
    assert.equal(state.scale_note, "autoscaled: -0.90 … 0.90");
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

  it("headScores PNG: each cell on its score's colour where the live view puts it; the selected head framed in black", async () => {
    const view = headScores({
      scores: [
        [0, 1, 0],
        [1, 0, 0],
      ],
      min: 0,
      max: 1,
      selected: { layer: 1, head: 2 },
    });
    const image = await decodePng(view[MIME_BUNDLE_KEY]().data["image/png"] as string);
    const { left, top, cell } = scoresGrid(2, 3);
    const colour = (l: number, h: number) => pixelAt(image, left + (h + 1) * cell - 4, top + l * cell + 3);
    // Layer 0 on top, heads left to right (as plotly's reversed y axis draws the live grid).
    assert.deepEqual([colour(0, 1), colour(1, 0)], [BLUE, BLUE]);
    assert.deepEqual([colour(0, 0), colour(1, 1), colour(1, 2)], [WHITE, WHITE, WHITE]);
    // The frame: 3 px of black around cell (1, 2), on its top edge (no other cell has one).
    assert.deepEqual(pixelAt(image, left + 2 * cell + cell / 2, top + cell - 1), [0, 0, 0]);
    assert.deepEqual(pixelAt(image, left + cell + cell / 2, top + cell - 1), WHITE);
  });

  it("headScores.update(): the new scores and scale go out in one update, and the PNG follows them", async () => {
    const view = headScores({ scores: [[0.5, 0.5]] });
    view.update(
      [
        [1, 0],
        [0, 2],
      ],
      { min: 0 },
    );
    const last = host.messages(view.modelId).pop()!;
    assert.deepEqual(last.data, {
      method: "update",
      state: {
        scores: [
          [1, 0],
          [0, 2],
        ],
        n_layers: 2,
        value_max: 2,
        scale_note: "autoscaled: max 2.00",
      },
      buffer_paths: [],
    });
    const image = await decodePng(view[MIME_BUNDLE_KEY]().data["image/png"] as string);
    const { left, top, cell } = scoresGrid(2, 2);
    assert.deepEqual(pixelAt(image, left + 2 * cell - 4, top + cell + 3), BLUE, "2 is the top of the new scale");
    assert.throws(() => view.update([[1], [2, 3]]), /scores must be \[layers, heads\]/);
  });

  it("the colour bar's title says what the scale is: fixed ends, or autoscaled and to what", () => {
    assert.deepEqual(scoreScale([0.02, 0.08], { min: 0, max: 1 }), { min: 0, max: 1, note: "fixed 0 … 1" });
    assert.deepEqual(scoreScale([0.02, 0.08], { min: 0 }), { min: 0, max: 0.08, note: "autoscaled: max 0.08" });
    assert.deepEqual(scoreScale([0.5, -0.25]), { min: -0.5, max: 0.5, note: "autoscaled: -0.50 … 0.50" });
    assert.deepEqual(scoreScale([0.5, 0.2], { max: 1 }), { min: 0, max: 1, note: "autoscaled: min 0" });
    assert.deepEqual(scoreScale([0, 0], { min: 0 }), { min: 0, max: 1, note: "every score is 0" });
    const weak = headScores({ scores: [[0, 0]], min: 0 });
    assert.deepEqual([weak.get("value_min"), weak.get("value_max"), weak.get("scale_note")], [0, 1, "every score is 0"]);
  });

  it("headScores PNG: every cell prints its value in black or white, whichever contrasts more with the cell", async () => {
    const scores = [
      [0, 0.3, 0.6, 1],
      [0.05, 0.45, 0.8, 0.95],
    ];
    const image = await decodePng(headScores({ scores, min: 0, max: 1 })[MIME_BUNDLE_KEY]().data["image/png"] as string);
    const { left, top, cell } = scoresGrid(2, 4);
    scores.forEach((row, l) =>
      row.forEach((value, h) => {
        const { background, text } = gridCell(value, 0, 1);
        // The cell's middle band, where the value is written: some of its pixels take the text colour (anti-aliased).
        const band = Array.from({ length: cell - 8 }, (_, x) =>
          pixelAt(image, left + h * cell + 4 + x, top + l * cell + cell / 2),
        );
        const inked = band.filter((p) => distance(p, text) < distance(p, background));
        assert.ok(inked.length >= 2, `L${l}H${h} (${value}) has ${text} text in it: ${inked.length} pixels`);
        assert.ok(contrastRatio(text, background) >= 4.5, `L${l}H${h}: contrast ${contrastRatio(text, background)}`);
      }),
    );
  });
});
