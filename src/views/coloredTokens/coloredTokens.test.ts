/**
 * coloredTokens and logitLens on the kernel side (fake host): exact values on the wire, value sets
 * switched from the view, the logit lens's last row equal to the model's own predictions, PNG
 * snapshots, clear errors, and no tensors left behind.
 */
import { strict as assert } from "assert";
import * as path from "path";
import { coloredTokens, HookedTransformer, loadModel, logitLens, tf } from "../..";
import { MIME_BUNDLE_KEY } from "../../common/host";
import { REPO_ROOT } from "../../../tests/support/paths";
import { FakeHost, installFakeHost, removeFakeHost } from "../../../tests/widgets/fake-host";

const isPng = (base64: unknown) => Buffer.from(String(base64), "base64").subarray(1, 4).toString() === "PNG";

describe("coloredTokens and logitLens (kernel side)", function () {
  this.timeout(60_000);
  let host: FakeHost;
  let model: HookedTransformer;
  before(async () => (model = await loadModel(path.join(REPO_ROOT, "models", "attn-only-2l"))));
  after(() => model?.dispose());
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

  it("logitLens: one row per layer; the last row's top token is the model's own prediction at every position", () => {
    const text = "The cat sat on the mat. The cat sat on the";
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
});
