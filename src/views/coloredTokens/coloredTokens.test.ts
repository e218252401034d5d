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
      [["loss", "attribution"], [0, -1], [2, 3], "loss"],
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
