/**
 * saeFeatures through a real kernel, with an SAE built in the kernel on the embedded model (feature 0 reads the
 * embedding of " c"): the cell opens the token view and an empty dashboard; a click in the frontend (the custom
 * message `{ request: "dashboard", feature }`) makes the kernel compute that feature's dashboard and push it to the
 * dashboard's comm within that comm_msg — the same numbers lens.featureHistogram and lens.featureLogits give in the
 * kernel; a feature picked in the frontend is recoloured with the spliced run's activations; repeated requests leave
 * no tensors behind; the PNG then carries the dashboard under the tokens.
 */
import assert from "node:assert/strict";
import type { KernelClient, Received } from "../../../tests/kernel/client";
import { inlineSaeCode } from "../../../tests/support/inlineSae";
import { decodePng } from "../../../tests/widgets/png-pixels";
import { frontendUpdate, openedState, shownBundle, updatesOn, viewKernel } from "../../../tests/widgets/view-wire";
import { featureDashboardSpec } from "../featureDashboard/spec";
import { DASHBOARD_PROMPT } from "./saeFeatures";
import { saeFeatureTokensSpec } from "./spec";

const TEXT = "def cat(self):\n    return self.cat + 1";

/** Kernel code: `sfSae`, a standard SAE of 32 features at blocks.0.hook_resid_pre, feature 0 along the embedding of " c". */
const MAKE_SAE = inlineSaeCode("sfSae");

describe("saeFeatures over the kernel wire", function () {
  this.timeout(120_000);
  let kernel: KernelClient;
  let tokensId: string;
  let dashboardId: string;

  before(async () => {
    kernel = await viewKernel();
    const { outputs } = await kernel.run(
      `${MAKE_SAE}\nconst sfView = lens.saeFeatures(model, sfSae, ${JSON.stringify(TEXT)});\nsfView`,
    );
    const opens = outputs.filter((m) => m.header.msg_type === "comm_open");
    const named = (name: string) =>
      opens.find((m) => (m.content.data as { state: { _model_name: string } }).state._model_name === name)!;
    const idOf = (m: Received) => String(m.content.comm_id);
    tokensId = idOf(named(saeFeatureTokensSpec.modelName));
    dashboardId = idOf(named(featureDashboardSpec.modelName));
    assert.equal(openedState(named(featureDashboardSpec.modelName)).status, DASHBOARD_PROMPT);
  });

  it("a click asks for feature 0's dashboard: the kernel pushes it within the comm_msg, with featureHistogram's and featureLogits' numbers", async () => {
    const { iopub } = await kernel.roundTrip("shell", "comm_msg", {
      comm_id: tokensId,
      data: { method: "custom", content: { request: "dashboard", feature: 0 } },
    });
    const pushed = updatesOn(iopub, dashboardId);
    assert.equal(pushed[0]?.status, "computing feature 0 …");
    const filled = pushed.find((s) => "example_acts" in s)!;
    assert.ok(filled, `the dashboard arrives within the click's comm_msg: ${JSON.stringify(pushed.map(Object.keys))}`);
    await kernel.run(
      `const sfHistogram = await lens.featureHistogram(model, sfSae, [${JSON.stringify(TEXT)}], 0, { progress: false });`,
    );
    const expected = (await kernel.evaluate(`(() => {
      const l = lens.featureLogits(model, sfSae, 0);
      return { nonZero: sfHistogram.nonZero, tokens: sfHistogram.tokens, top: l.top.map((t) => t.value), bottom: l.bottom.map((t) => t.value) };
    })()`)) as { nonZero: number; tokens: number; top: number[]; bottom: number[] };
    assert.deepEqual(
      [filled.feature, filled.non_zero, filled.tokens_seen, filled.status],
      [0, expected.nonZero, expected.tokens, ""],
    );
    assert.deepEqual(filled.top_values, expected.top);
    assert.deepEqual(filled.bottom_values, expected.bottom);
    const tokens = (filled.example_tokens as string[][])[0]!;
    assert.equal(tokens[(filled.example_index as number[])[0]!], " c");
    assert.deepEqual(await kernel.evaluate("[sfView.dashboard.feature, sfView.feature, sfView.lastError ?? null]"), [0, 0, null]);
  });

  it("a feature picked in the frontend: the kernel pushes its activations, the spliced run's hook_sae_acts_post", async () => {
    const published = await frontendUpdate(kernel, tokensId, { feature: 4 });
    const update = updatesOn(published, tokensId).find((s) => s.feature_acts);
    assert.ok(update, "feature_acts pushed within the update's comm_msg");
    assert.equal(update.acts_feature, 4, "the pushed activations name their feature (the view's title waits for it)");
    const view = update.feature_acts as DataView;
    const sent = Array.from(new Float32Array(view.buffer.slice(view.byteOffset, view.byteOffset + view.byteLength)));
    const truth = (await kernel.evaluate(`(() => {
      const { logits, cache } = model.runWithCacheWithSaes(${JSON.stringify(TEXT)}, [sfSae], { namesFilter: "blocks.0.hook_resid_pre.hook_sae_acts_post" });
      const acts = (cache.get("blocks.0.hook_resid_pre.hook_sae_acts_post").arraySync() as number[][][])[0].map((row) => row[4]);
      logits.dispose(); cache.dispose();
      return acts;
    })()`)) as number[];
    assert.equal(sent.length, truth.length);
    sent.forEach((a, p) => assert.ok(Math.abs(a - truth[p]!) < 1e-5, `position ${p}: ${a} vs ${truth[p]}`));
    assert.equal(await kernel.evaluate("sfView.feature"), 4);
  });

  it("an out-of-range request: the dashboard says why and keeps its feature; repeated requests leave no tensors behind", async () => {
    const { iopub } = await kernel.roundTrip("shell", "comm_msg", {
      comm_id: tokensId,
      data: { method: "custom", content: { request: "dashboard", feature: 32 } },
    });
    assert.match(String(updatesOn(iopub, dashboardId).pop()?.status), /^error: feature must be an integer in 0 … 31/);
    assert.equal(await kernel.evaluate("sfView.dashboard.feature"), 0);
    const count = async () => (await kernel.evaluate("lens.tf.memory().numTensors")) as number;
    const request = (feature: number) =>
      kernel.roundTrip("shell", "comm_msg", {
        comm_id: tokensId,
        data: { method: "custom", content: { request: "dashboard", feature } },
      });
    await request(3);
    const before = await count();
    for (const feature of [5, 40, 3, 0]) await request(feature);
    assert.equal(await count(), before);
  });

  it("the display bundle's PNG has the dashboard under the tokens; its text names the opened feature", async () => {
    const shown = shownBundle((await kernel.run("sfView")).outputs)!;
    const image = await decodePng(shown["image/png"] as string);
    assert.ok(image.height > 400, `tokens and a dashboard: ${image.height} px`);
    assert.match(
      String(shown["text/plain"]),
      /^SaeFeatures\(\d+ tokens at blocks\.0\.hook_resid_pre; feature 0: .*dashboard: feature 0\)$/,
    );
  });
});
