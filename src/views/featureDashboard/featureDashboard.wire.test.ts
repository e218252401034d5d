/**
 * featureDashboard through a real kernel: `await lens.featureDashboard(…)` in a cell shows the view, whose state
 * read as the browser reads it holds the feature's top examples (the firing token " c" for feature 0, along whose
 * embedding it reads), its logits and its histogram — the numbers lens.featureTopExamples gives in the kernel — and
 * whose display bundle carries the PNG and the text fallback.
 */
import assert from "node:assert/strict";
import type { KernelClient } from "../../../tests/kernel/client";
import { inlineSaeCode } from "../../../tests/support/inlineSae";
import { decodePng } from "../../../tests/widgets/png-pixels";
import { showView, viewKernel, WireView, wireFields } from "../../../tests/widgets/view-wire";
import { featureDashboardSpec } from "./spec";

const CORPUS = ["def cat(self):\n    return self.cat", "class Cat:\n    x = cat(1)"];

describe("featureDashboard over the kernel wire", function () {
  this.timeout(120_000);
  let kernel: KernelClient;
  let view: WireView;

  before(async () => {
    kernel = await viewKernel();
    view = await showView(
      kernel,
      featureDashboardSpec,
      `${inlineSaeCode("fdSae")}\nconst fdView = await lens.featureDashboard(model, fdSae, 0, { corpus: ${JSON.stringify(CORPUS)}, examples: 4 });\nfdView`,
    );
  });

  it("the state holds featureTopExamples' examples (firing on ' c'), ten logits each way and the histogram", async () => {
    const read = wireFields(featureDashboardSpec, view.state);
    await kernel.run(
      `const fdTop = await lens.featureTopExamples(model, fdSae, ${JSON.stringify(CORPUS)}, { features: 0, k: 4, progress: false });`,
    );
    const expected = (await kernel.evaluate("fdTop[0].examples.map((e) => [e.row, e.position, e.activation])")) as number[][];
    assert.deepEqual(
      read("exampleRows").map((row, i) => [row, read("examplePositions")[i], read("exampleActs")[i]]),
      expected,
    );
    assert.equal(read("exampleTokens")[0][read("exampleIndex")[0]], " c");
    assert.deepEqual([read("topTokens").length, read("bottomTokens").length, read("histCounts").length], [10, 10, 20]);
    assert.equal(
      read("histCounts").reduce((a, b) => a + b, 0),
      read("nonZero"),
    );
    assert.deepEqual([read("feature"), read("status"), read("notes")], [0, "", []]);
  });

  it("the display bundle: a PNG of the dashboard and a text line with the density and the top activation", async () => {
    const image = await decodePng(view.shown["image/png"] as string);
    assert.equal(image.width, 640);
    assert.ok(image.height > 300, `examples, logits and histogram: ${image.height} px`);
    assert.match(
      String(view.shown["text/plain"]),
      /^FeatureDashboard\(feature 0 of the standard SAE at blocks\.0\.hook_resid_pre \(inline\); fires on \d+ of \d+ tokens \(density 0\.\d{3}\); top activation \d\.\d{3} at " c"; promotes " c" /,
    );
  });
});
