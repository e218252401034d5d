/**
 * coloredTokens on the kernel side (fake host): exact values on the wire, value sets switched from
 * the view, the PNG's token boxes on their values' colours, clear errors.
 */
import { strict as assert } from "assert";
import { coloredTokens, tf } from "../..";
import { MIME_BUNDLE_KEY } from "../../common/host";
import { FakeHost, installFakeHost, removeFakeHost } from "../../../tests/widgets/fake-host";
import { decodePng, pixelAt, recordText, Rgb } from "../../../tests/widgets/png-pixels";

/** The diverging scale's colours of its bottom, 0 and its top. */
const [RED, WHITE, BLUE]: Rgb[] = [
  [178, 24, 43],
  [255, 255, 255],
  [33, 102, 172],
];

const isPng = (base64: unknown) => Buffer.from(String(base64), "base64").subarray(1, 4).toString() === "PNG";

describe("coloredTokens (kernel side)", function () {
  let host: FakeHost;
  beforeEach(() => (host = installFakeHost()));
  afterEach(() => removeFakeHost());

  it("coloredTokens: float32 values per set on the wire, the scale, a set chosen in the view", async () => {
    const tokens = ["<img src=x onerror=alert(1)>", " a", " b"];
    const view = coloredTokens({ tokens, values: { loss: [0.5, 2, 1], attribution: tf.tensor1d([-1, 0.25, 3]) } });
    const open = host.sent.find((m) => m.kind === "open" && m.commId === view.modelId)!;
    const state = open.data.state as Record<string, unknown>;
    assert.deepEqual(open.data.buffer_paths, [["values"]]);
    assert.deepEqual(Array.from(open.buffers[0] as Float32Array), [0.5, 2, 1, -1, 0.25, 3]);
    assert.deepEqual(
      [state.set_names, state.value_mins, state.value_maxs, state.selected],
      [["loss", "attribution"], [0, -3], [2, 3], "loss"],
    );
    await host.comms.get(view.modelId)!.receive({ method: "update", state: { selected: "attribution" }, buffer_paths: [] });
    assert.equal(view.selected, "attribution");
    assert.throws(() => (view.selected = "nope"), /selected must be one of \["loss","attribution"\]/);
    const bundle = view[MIME_BUNDLE_KEY]();
    assert.equal(bundle.data["text/plain"], 'ColoredTokens(3 tokens, "attribution" of ["loss","attribution"])');
    assert.ok(isPng(bundle.data["image/png"]));
    assert.throws(() => coloredTokens({ tokens, values: [1, 2] }), /values must hold 3 numbers \(one per token\), got 2/);
    assert.throws(() => coloredTokens({ tokens, values: { a: [1, 2, 3], b: [1] } }), /values "b" must hold 3 numbers/);
  });

  it("coloredTokens scale: symmetric about 0 when values have both signs, from 0 when none is negative, given ends kept", () => {
    const scaleOf = (options: { values: number[]; min?: number; max?: number }) => {
      const view = coloredTokens({ tokens: ["a", "b", "c"], ...options });
      const state = host.sent.find((m) => m.kind === "open" && m.commId === view.modelId)!.data.state as Record<string, number[]>;
      return [state.value_mins[0], state.value_maxs[0]];
    };
    assert.deepEqual(scaleOf({ values: [-0.94, 1, 4.07] }), [-4.07, 4.07]);
    assert.deepEqual(scaleOf({ values: [-5, -1, 2] }), [-5, 5]);
    assert.deepEqual(scaleOf({ values: [0.5, 1, 2] }), [0, 2]);
    assert.deepEqual(scaleOf({ values: [-0.94, 1, 4.07], min: -1 }), [-1, 4.07]);
    assert.deepEqual(scaleOf({ values: [-0.94, 1, 4.07], min: -2, max: 8 }), [-2, 8]);
  });

  it("coloredTokens PNG: −0.94 of −0.94…4.07 is pale, text black or white by contrast, legend ticks at −max, 0 and max", async () => {
    const tokens = ["low", "mid", "top"];
    const view = coloredTokens({ tokens, values: [-0.94, 0, 4.07] });
    const { result, texts } = recordText(() => view[MIME_BUNDLE_KEY]().data["image/png"] as string);
    const image = await decodePng(result);
    const box = (t: string) => texts.find((d) => d.text === t)!;
    const [r, g, b] = pixelAt(image, box("low").x - 2, box("low").y - 1);
    assert.ok(r > 230 && g > 190 && b > 190, `−0.94 on ±4.07 is a pale red, not saturated: ${[r, g, b]}`);
    assert.deepEqual(pixelAt(image, box("top").x - 2, box("top").y - 1), BLUE);
    /** The lightest and darkest pixel over the first 20 × 12 px of a token's text. */
    const inkRange = (t: string) => {
      let [light, dark] = [0, 765];
      for (let y = box(t).y; y < box(t).y + 12; y++)
        for (let x = box(t).x; x < box(t).x + 20; x++) {
          const sum = pixelAt(image, x, y).reduce((a, c) => a + c, 0);
          [light, dark] = [Math.max(light, sum), Math.min(dark, sum)];
        }
      return { light, dark };
    };
    assert.ok(inkRange("top").light > 700, "white text on the full blue");
    assert.ok(inkRange("low").dark < 100, "black text on the pale red");
    const legend = texts.filter((d) => d.y < 40 && d.text !== "values").map((d) => d.text);
    assert.deepEqual(legend, ["-4.070", "0", "4.070"]);
  });

  it("coloredTokens PNG: each token's box on its value's colour (diverging scale), recoloured when the set changes", async () => {
    const view = coloredTokens({ tokens: ["zero", "plus", "minus"], values: { first: [0, 1, -1], second: [1, -1, 0] } });
    /** The colour just inside the top-left corner of each token's box (its text starts 3 px in). */
    const boxColours = async () => {
      const { result, texts } = recordText(() => view[MIME_BUNDLE_KEY]().data["image/png"] as string);
      const image = await decodePng(result);
      return ["zero", "plus", "minus"].map((t) => {
        const drawn = texts.find((d) => d.text === t)!;
        return pixelAt(image, drawn.x - 2, drawn.y - 1);
      });
    };
    assert.deepEqual(await boxColours(), [WHITE, BLUE, RED], "0 white, 1 full blue, −1 full red on [−1, 1]");
    await host.comms.get(view.modelId)!.receive({ method: "update", state: { selected: "second" }, buffer_paths: [] });
    assert.deepEqual(await boxColours(), [BLUE, RED, WHITE]);
  });
});
