/**
 * saeFeatures on the kernel side (fake host), on the embedded model with a small in-memory SAE whose feature 0 reads
 * the embedding of " c": each token's listed features and the chosen feature's colours are the spliced run's
 * hook_sae_acts_post; a feature picked in the view recolours the tokens; a click's dashboard request fills the
 * dashboard; the PNG shows the tokens on their activations' colours; clear errors; no tensors left behind.
 */
import { strict as assert } from "assert";
import * as path from "path";
import { HookedTransformer, loadModel, loadSae, saeFeatures, tf } from "../..";
import { MIME_BUNDLE_KEY } from "../../common/host";
import type { Sae } from "../../sae/sae";
import { REPO_ROOT } from "../../../tests/support/paths";
import { inlineSae } from "../../../tests/support/inlineSae";
import { SAE_FIXTURES } from "../../../tests/sae/support";
import { FakeHost, installFakeHost, removeFakeHost } from "../../../tests/widgets/fake-host";
import { decodePng, pixelAt, recordText } from "../../../tests/widgets/png-pixels";
import { featureDashboardSpec } from "../featureDashboard/spec";
import { DASHBOARD_PROMPT, firingFeatures, topFeaturesPerToken } from "./saeFeatures";

const TEXT = "def cat(self):\n    return self.cat + 1  # <img src=x onerror=alert(1)>";

describe("saeFeatures (kernel side)", function () {
  this.timeout(60_000);
  let host: FakeHost;
  let model: HookedTransformer;
  let sae: Sae;
  /** hook_sae_acts_post of TEXT from the spliced run [pos][d_sae]. */
  let truth: number[][];
  before(async () => {
    model = await loadModel(path.join(REPO_ROOT, "models", "attn-only-2l"));
    const [c] = (model.toTokens(" c", { prependBos: false }).arraySync() as number[][])[0]!;
    sae = inlineSae(model, { tokenId: c! });
    const { logits, cache } = model.runWithCacheWithSaes(TEXT, [sae], {
      namesFilter: "blocks.0.hook_resid_pre.hook_sae_acts_post",
    });
    truth = (cache.get("blocks.0.hook_resid_pre.hook_sae_acts_post").arraySync() as number[][][])[0]!;
    tf.dispose([logits]);
    cache.dispose();
  });
  after(() => {
    sae?.dispose();
    model?.dispose();
  });
  beforeEach(() => (host = installFakeHost()));
  afterEach(() => removeFakeHost());

  const openState = (modelId: string) =>
    host.sent.find((m) => m.kind === "open" && m.commId === modelId)!.data.state as Record<string, unknown>;
  /** The last update on `modelId` that carried `key` (a JSON value in its state, or a binary one at its buffer path). */
  const lastUpdate = (modelId: string, key: string) =>
    host.sent
      .filter(
        (m) =>
          m.kind === "msg" &&
          m.commId === modelId &&
          (key in ((m.data.state ?? {}) as object) || ((m.data.buffer_paths ?? []) as string[][]).some((bp) => bp[0] === key)),
      )
      .pop();

  it("each token's listed features are its strongest firing ones in the spliced run's hook_sae_acts_post", () => {
    const view = saeFeatures(model, sae, TEXT, { topK: 3 });
    const state = openState(view.tokens.modelId);
    const listed = state.top_features as number[][];
    assert.equal(listed.length, truth.length);
    truth.forEach((row, p) => {
      const expected = row
        .map((a, f) => [a, f])
        .filter(([a]) => a > 0)
        .sort((x, y) => y[0]! - x[0]!)
        .slice(0, 3)
        .map(([, f]) => f);
      assert.deepEqual(listed[p], expected, `position ${p}`);
    });
    assert.deepEqual(state.tokens, model.tokenizer!.displayStrings((model.toTokens(TEXT).arraySync() as number[][])[0]!));
    const peak = Math.max(...truth.map((row) => row[0]!));
    assert.equal(view.feature, 0, "feature 0 (the embedding of ' c') is the strongest on the text and shown first");
    assert.ok(Math.abs((state.feature_max as number) - peak) < 1e-4);
    view.tokens.featureActs.forEach((a, p) => assert.ok(Math.abs(a - truth[p]![0]!) < 1e-4, `position ${p}: ${a}`));
    assert.equal(
      (state.choices as number[]).length,
      new Set(truth.flatMap((row) => row.flatMap((a, f) => (a > 0 ? [f] : [])))).size,
    );
  });

  it("topFeaturesPerToken and firingFeatures: strongest first, ties by index, silent features left out", () => {
    const acts = new Float32Array([0, 2, 1, 2, /* p1 */ 0, 0, 0, 0, /* p2 */ 3, 0, 0.5, 0]);
    const { features, values } = topFeaturesPerToken(acts, 4, 2);
    assert.deepEqual(features, [[1, 3], [], [0, 2]]);
    assert.deepEqual(Array.from(values), [2, 2, 0, 0, 3, 0.5]);
    assert.deepEqual(firingFeatures(acts, 4, 3), { features: [0, 1, 3], maxes: [3, 2, 2] });
  });

  it("a feature picked in the view recolours the tokens; one out of range is refused and the view put back", async () => {
    const view = saeFeatures(model, sae, TEXT);
    const comm = host.comms.get(view.tokens.modelId)!;
    await comm.receive({ method: "update", state: { feature: 5 }, buffer_paths: [] });
    assert.equal(view.feature, 5);
    const update = lastUpdate(view.tokens.modelId, "feature_acts")!;
    const sent = update.buffers[0] as Float32Array;
    truth.forEach((row, p) => assert.ok(Math.abs(sent[p]! - row[5]!) < 1e-4, `position ${p}`));
    await comm.receive({ method: "update", state: { feature: 48 }, buffer_paths: [] });
    assert.equal(view.feature, 5);
    assert.throws(() => (view.feature = -1), /feature must be an integer in 0 … 47, got a number \(-1\)/);
  });

  it("a dashboard request from the view fills the dashboard with that feature's examples, logits and histogram", async () => {
    const view = saeFeatures(model, sae, TEXT);
    assert.equal(openState(view.dashboard.modelId).status, DASHBOARD_PROMPT);
    assert.equal(view.dashboard.png(), undefined, "no dashboard picture before a feature is opened");
    await host.comms.get(view.tokens.modelId)!.receive({ method: "custom", content: { request: "dashboard", feature: 0 } });
    const pushed = host.sent
      .filter((m) => m.kind === "msg" && m.commId === view.dashboard.modelId)
      .map((m) => m.data.state as Record<string, unknown>);
    assert.equal(pushed[0]!.status, "computing feature 0 …");
    const filled = pushed.find((s) => featureDashboardSpec.fields.exampleActs.wire in s)!;
    assert.equal(filled.feature, 0);
    assert.equal(filled.status, "");
    const firing = truth.map((row) => row[0]!).filter((a) => a > 0);
    assert.deepEqual([filled.non_zero, filled.tokens_seen], [firing.length, truth.length], "the corpus is the text itself");
    assert.ok(Math.abs((filled.example_acts as number[])[0]! - Math.max(...firing)) < 1e-4);
    const first = (filled.example_tokens as string[][])[0]!;
    assert.equal(first[(filled.example_index as number[])[0]!], "·c".replace("·", " "), "feature 0 fires hardest on ' c'");
    assert.equal((filled.top_tokens as string[])[0], " c", "and its decoder direction promotes ' c' most");
    assert.equal(view.dashboard.feature, 0);
    assert.equal(view.feature, 0);
    // A bad request: the dashboard says why and keeps feature 0.
    await host.comms.get(view.tokens.modelId)!.receive({ method: "custom", content: { request: "dashboard", feature: 99 } });
    assert.match(view.lastError!, /feature must be an integer in 0 … 47 .*got a number \(99\)/);
    const status = (lastUpdate(view.dashboard.modelId, "status")!.data.state as { status: string }).status;
    assert.match(status, /^error: feature must be/);
    assert.equal(view.dashboard.feature, 0);
  });

  it("the PNG: tokens on feature 0's colours (' c' full blue), the dashboard stacked under them once opened; text fallback", async () => {
    const view = saeFeatures(model, sae, TEXT);
    const { result, texts } = recordText(() => view[MIME_BUNDLE_KEY]().data["image/png"] as string);
    const image = await decodePng(result);
    const drawn = texts.filter((d) => d.y >= 40); // the tokens, in order, under the title and legend
    assert.equal(drawn.length, truth.length);
    const acts = truth.map((row) => row[0]!);
    const peak = drawn[acts.indexOf(Math.max(...acts))]!;
    assert.equal(peak.text, "·c");
    assert.deepEqual(pixelAt(image, peak.x - 2, peak.y - 1), [33, 102, 172], "the strongest activation is the top of the scale");
    const silent = drawn[acts.indexOf(0)]!;
    assert.deepEqual(pixelAt(image, silent.x - 2, silent.y - 1), [255, 255, 255], `feature 0 is silent on ${silent.text}`);
    assert.ok(
      drawn
        .map((d) => d.text)
        .join("")
        .endsWith("#·<img·src=x·onerror=alert(1)>"),
      "markup is drawn as the token text",
    );
    const height = image.height;
    await view.openDashboard(0);
    const stacked = await decodePng(view.png()!);
    assert.ok(stacked.height > height + 200, `the dashboard is drawn under the tokens: ${height} → ${stacked.height}`);
    assert.match(
      String(view),
      /^SaeFeatures\(\d+ tokens at blocks\.0\.hook_resid_pre; feature 0: max \d\.\d{3} at ·c \(\d+\); strongest: #0 /,
    );
    assert.match(String(view), /dashboard: feature 0\)$/);
  });

  it("clear errors: an SAE of another width, a hook the model lacks, bad text or options", () => {
    const narrow = inlineSae(model, { tokenId: 0, dIn: 64 });
    const elsewhere = inlineSae(model, { tokenId: 0, hookName: "blocks.7.hook_resid_pre" });
    try {
      assert.throws(
        () => saeFeatures(model, narrow, TEXT),
        /its d_in is 64, but blocks\.0\.hook_resid_pre of this model has width 128/,
      );
      assert.throws(() => saeFeatures(model, elsewhere, TEXT), /the model has no hook point "blocks\.7\.hook_resid_pre"/);
      assert.throws(() => saeFeatures(model, sae, [] as number[]), /text must be a string or a non-empty list of token ids/);
      assert.throws(() => saeFeatures(model, sae, TEXT, { topK: 0 }), /topK must be an integer ≥ 1, got a number \(0\)/);
      assert.throws(() => saeFeatures(model, sae, TEXT, { feature: 48 }), /feature must be an integer in 0 … 47/);
      assert.throws(() => saeFeatures(model, {} as Sae, TEXT), /sae must be an SAE from lens\.loadSae/);
    } finally {
      narrow.dispose();
      elsewhere.dispose();
    }
  });

  it("SAELens fixtures on gpt2-tiny (no tokenizer): token ids as text; a hook_z SAE's dashboard says why it has no logits", async () => {
    const tiny = await loadModel(path.join(REPO_ROOT, "tests", "fixtures", "models", "gpt2-tiny"), { processWeights: false });
    const hookZ = await loadSae(path.join(SAE_FIXTURES, "hook-z"));
    const transcoder = await loadSae(path.join(SAE_FIXTURES, "transcoder"));
    try {
      const ids = [5, 17, 3, 42, 8, 17, 3];
      const view = saeFeatures(tiny, hookZ, ids, { corpus: [ids, [1, 2, 3, 4]] });
      assert.deepEqual(openState(view.tokens.modelId).tokens, ids.map(String));
      const feature = view.feature;
      await view.openDashboard(feature);
      const filled = (dashboardId: string) => lastUpdate(dashboardId, "notes")!.data.state as Record<string, unknown>;
      const state = filled(view.dashboard.modelId);
      assert.equal((state.notes as string[]).length, 1);
      assert.match(
        (state.notes as string[])[0]!,
        /^no logits: featureLogits needs an SAE that writes the residual stream .* writes blocks\.0\.attn\.hook_z/,
      );
      assert.equal(state.tokens_seen, ids.length + 4);
      assert.doesNotMatch(String(view.dashboard), /promotes/);
      assert.ok((state.example_acts as number[]).length > 0, "the hook_z feature shown first fires somewhere");
      const spliced = saeFeatures(tiny, transcoder, ids);
      await spliced.openDashboard(spliced.feature);
      const logits = (lastUpdate(spliced.dashboard.modelId, "top_tokens")!.data.state as { top_tokens: string[] }).top_tokens;
      assert.equal(logits.length, 10, "a transcoder writing hook_mlp_out has logits");
      assert.ok(
        logits.every((t) => /^\d+$/.test(t)),
        "token ids as text",
      );
    } finally {
      hookZ.dispose();
      transcoder.dispose();
      tiny.dispose();
    }
  });

  it("no tensors left behind: repeated views, picks, dashboard requests and errors", async () => {
    const round = async () => {
      const view = saeFeatures(model, sae, TEXT);
      const comm = host.comms.get(view.tokens.modelId)!;
      await comm.receive({ method: "update", state: { feature: 3 }, buffer_paths: [] });
      await comm.receive({ method: "custom", content: { request: "dashboard", feature: 3 } });
      await comm.receive({ method: "custom", content: { request: "dashboard", feature: -2 } });
      assert.throws(() => saeFeatures(model, sae, TEXT, { feature: 1000 }));
      view.png();
    };
    await round(); // the first forward builds the model's fused weights, which it keeps
    const before = tf.memory().numTensors;
    for (let i = 0; i < 3; i++) await round();
    assert.equal(tf.memory().numTensors, before);
  });
});
