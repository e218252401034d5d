/**
 * featureDashboard on the kernel side (fake host), on the embedded model with a small in-memory SAE whose feature 0
 * reads the embedding of " c": the examples, density and histogram are what the feature's activations over the corpus
 * (computed here from a plain cache and sae.encode) say; the logits are W_dec[0] · W_U's extremes; without a corpus
 * it shows the logits and says why the rest is missing; show() recomputes, and refuses a bad feature leaving the
 * dashboard as it was; the PNG colours the firing token; no tensors left behind.
 */
import { strict as assert } from "assert";
import * as path from "path";
import { featureDashboard, HookedTransformer, loadModel, tf } from "../..";
import { MIME_BUNDLE_KEY } from "../../common/host";
import type { Sae } from "../../sae/sae";
import { REPO_ROOT } from "../../../tests/support/paths";
import { inlineSae } from "../../../tests/support/inlineSae";
import { FakeHost, installFakeHost, removeFakeHost } from "../../../tests/widgets/fake-host";
import { decodePng, pixelAt, recordText } from "../../../tests/widgets/png-pixels";
import { NO_CORPUS } from "./featureDashboard";
import { EXAMPLE_TOKENS_X } from "./snapshot";

const CORPUS = ["def cat(self):\n    return self.cat", "import os\nx = cat(1) + dog(2)", "class Cat:\n    pass"];

describe("featureDashboard (kernel side)", function () {
  this.timeout(60_000);
  let host: FakeHost;
  let model: HookedTransformer;
  let sae: Sae;
  /** Feature `f`'s activation at every real token of each corpus text, from a plain run and sae.encode. */
  let actsOf: (f: number) => number[][];
  before(async () => {
    model = await loadModel(path.join(REPO_ROOT, "models", "attn-only-2l"));
    const [c] = (model.toTokens(" c", { prependBos: false }).arraySync() as number[][])[0]!;
    sae = inlineSae(model, { tokenId: c! });
    const all = CORPUS.map((text) => {
      const { cache } = model.runWithCache(text, { namesFilter: ["blocks.0.hook_resid_pre"], returnType: "none" });
      const encoded = sae.encode(cache.get("blocks.0.hook_resid_pre")); // [1, pos, d_sae]
      const rows = (encoded.arraySync() as number[][][])[0]!;
      tf.dispose([encoded]);
      cache.dispose();
      return rows;
    });
    actsOf = (f) => all.map((rows) => rows.map((row) => row[f]!));
  });
  after(() => {
    sae?.dispose();
    model?.dispose();
  });
  beforeEach(() => (host = installFakeHost()));
  afterEach(() => removeFakeHost());

  const stateOf = (modelId: string) =>
    host.sent.find((m) => m.kind === "open" && m.commId === modelId)!.data.state as Record<string, unknown>;

  it("examples, density and histogram are the feature's activations over the corpus; logits W_dec[0] · W_U's extremes", async () => {
    const view = await featureDashboard(model, sae, 0, { corpus: CORPUS, examples: 4, contextTokens: 2, logits: 3, bins: 5 });
    const state = stateOf(view.modelId);
    const acts = actsOf(0);
    const firing = acts
      .flat()
      .filter((a) => a > 0)
      .sort((a, b) => b - a);
    assert.deepEqual([state.non_zero, state.tokens_seen], [firing.length, acts.flat().length]);
    assert.ok(Math.abs((state.density as number) - firing.length / acts.flat().length) < 1e-12);
    const shown = state.example_acts as number[];
    assert.equal(shown.length, 4);
    shown.forEach((a, i) => assert.ok(Math.abs(a - firing[i]!) < 1e-4, `example ${i}: ${a} vs ${firing[i]}`));
    (state.example_rows as number[]).forEach((row, i) => {
      const position = (state.example_positions as number[])[i]!;
      assert.ok(Math.abs(acts[row]![position]! - shown[i]!) < 1e-4, `example ${i} sits at row ${row}, position ${position}`);
      const window = (state.example_tokens as string[][])[i]!;
      if (i === 0) assert.equal(window[(state.example_index as number[])[i]!], " c", "feature 0 fires hardest on ' c'");
      assert.ok(window.length <= 5);
    });
    const counts = state.hist_counts as number[];
    assert.equal(counts.length, 5);
    assert.equal(
      counts.reduce((a, b) => a + b, 0),
      firing.length,
    );
    const edges = state.hist_edges as number[];
    assert.ok(Math.abs(edges[0]! - firing[firing.length - 1]!) < 1e-5 && Math.abs(edges[5]! - firing[0]!) < 1e-5);
    const effect = tf.tidy(
      () => sae.weight("W_dec").slice([0, 0], [1, -1]).matMul(model.W_U).reshape([-1]).arraySync() as number[],
    );
    const ranked = effect.map((v, id) => [v, id]).sort((a, b) => b[0]! - a[0]!);
    const text = (id: number) => model.tokenizer!.displayStrings([id])[0];
    assert.deepEqual(
      state.top_tokens,
      ranked.slice(0, 3).map(([, id]) => text(id!)),
    );
    assert.deepEqual(
      state.bottom_tokens,
      ranked
        .slice(-3)
        .reverse()
        .map(([, id]) => text(id!)),
    );
    (state.top_values as number[]).forEach((v, i) => assert.ok(Math.abs(v - ranked[i]![0]!) < 1e-4));
    assert.deepEqual(state.notes, []);
    assert.match(
      String(view),
      /^FeatureDashboard\(feature 0 of the standard SAE at blocks\.0\.hook_resid_pre \(inline\); fires on \d+ of \d+ tokens \(density 0\.\d{3}\); top activation \d\.\d{3} at " c"; promotes " c" /,
    );
  });

  it("without a corpus: the logits, and a note saying what the corpus would add", async () => {
    const view = await featureDashboard(model, sae, 5);
    const state = stateOf(view.modelId);
    assert.deepEqual(state.notes, [NO_CORPUS]);
    assert.equal((state.top_tokens as string[]).length, 10);
    assert.deepEqual([state.example_acts, state.hist_counts, state.tokens_seen], [[], [], 0]);
    const png = await decodePng(view.png()!);
    assert.ok(png.height > 100);
  });

  it("show(feature) recomputes and pushes; a bad feature is refused, the view says why and keeps what it showed", async () => {
    const view = await featureDashboard(model, sae, 0, { corpus: CORPUS });
    await view.show(7);
    const pushed = host.sent
      .filter((m) => m.kind === "msg" && m.commId === view.modelId)
      .map((m) => m.data.state as Record<string, unknown>);
    assert.deepEqual(pushed[0], { status: "computing feature 7 …" });
    const filled = pushed[pushed.length - 1]!;
    assert.equal(filled.feature, 7);
    assert.equal(
      filled.non_zero,
      actsOf(7)
        .flat()
        .filter((a) => a > 0).length,
    );
    await assert.rejects(
      view.show(48),
      /feature must be an integer in 0 … 47 \(the standard SAE .* has d_sae = 48\), got a number \(48\)/,
    );
    assert.equal(view.feature, 7);
    assert.match(String(view), /; error: feature must be an integer/);
    await assert.rejects(featureDashboard(model, sae, 2.5), /feature must be an integer in 0 … 47 .*got a number \(2\.5\)/);
    await assert.rejects(
      featureDashboard(model, sae, 1, { corpus: [] }),
      /inputs must be a non-empty list of texts or of token-id rows/,
    );
    const comm = host.comms.get(view.modelId)!;
    await comm.receive({ method: "update", state: { feature: 3 }, buffer_paths: [] });
    assert.equal(view.feature, 7, "the view cannot change the feature without a recomputation");
  });

  it("the PNG: the top example's firing token on the full colour with white text, the density line", async () => {
    const view = await featureDashboard(model, sae, 0, { corpus: CORPUS, examples: 3 });
    const { result, texts } = recordText(() => view[MIME_BUNDLE_KEY]().data["image/png"] as string);
    const image = await decodePng(result);
    const firing = texts.find((d) => d.text === "·c" && d.x > EXAMPLE_TOKENS_X)!;
    assert.deepEqual(pixelAt(image, firing.x - 2, firing.y - 2), [33, 102, 172]);
    const other = texts.find((d) => d.text === "def" && d.x > EXAMPLE_TOKENS_X)!;
    assert.deepEqual(pixelAt(image, other.x - 2, other.y - 2), [255, 255, 255], "context tokens are not coloured");
    assert.ok(texts.some((d) => /^fires on \d+ of \d+ tokens \(density 0\.\d{3}\)$/.test(d.text)));
  });

  it("no tensors left behind: repeated dashboards, recomputations and errors", async () => {
    const round = async () => {
      const view = await featureDashboard(model, sae, 0, { corpus: CORPUS });
      await view.show(3);
      await view.show(99).catch(() => undefined);
      await featureDashboard(model, sae, 1, { corpus: [[1, 2, 99999]] }).catch(() => undefined);
      view.png();
    };
    await round();
    const before = tf.memory().numTensors;
    for (let i = 0; i < 3; i++) await round();
    assert.equal(tf.memory().numTensors, before);
  });
});
