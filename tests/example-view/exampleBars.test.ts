/**
 * The example view round-trips through a real kernel: its spec's fields arrive in the comm_open
 * (values through the spec's float32 serialiser), a bar clicked in the frontend is `selectedBar` in
 * the kernel (an out-of-range bar is refused), update() sends new values, and the PNG draws the bars
 * to scale with the selected one red.
 */
import assert from "node:assert/strict";
import * as path from "path";
import type { KernelClient } from "../kernel/client";
import { REPO_ROOT } from "../support/paths";
import { decodePng, pixelAt } from "../widgets/png-pixels";
import { frontendUpdate, showView, shownBundle, updatesOn, viewKernel, WireView, wireFields } from "../widgets/view-wire";
import { BARS } from "./snapshot";
import { exampleBarsSpec } from "./spec";

/** What a cell imports to get the example view (its build in dist/, beside the tests). */
const EXAMPLE_MODULE = path.join(REPO_ROOT, "dist", "tests", "example-view", "exampleBars");

/** The colour at the middle of bar `i`, `up` px above the base. */
const barColour = (image: Awaited<ReturnType<typeof decodePng>>, i: number, up: number) =>
  pixelAt(image, BARS.left + i * BARS.pitch + BARS.width / 2, BARS.base - up);

describe("example view (a view in one folder) over the kernel wire", function () {
  this.timeout(120_000);
  let kernel: KernelClient;
  let view: WireView;

  before(async () => {
    kernel = await viewKernel();
    view = await showView(
      kernel,
      exampleBarsSpec,
      `import { exampleBars } from ${JSON.stringify(EXAMPLE_MODULE)};
const exView = exampleBars({ labels: ["a", "b", "c"], values: [1, 4, 2] });
exView`,
    );
  });

  it("its fields arrive as the spec declares them", () => {
    const read = wireFields(exampleBarsSpec, view.state);
    assert.deepEqual([read("labels"), Array.from(read("values")!), read("selectedBar")], [["a", "b", "c"], [1, 4, 2], -1]);
    assert.equal(view.shown["text/plain"], "ExampleBars(3 bars, selected -1)");
  });

  it("a bar clicked in the frontend is selectedBar in the kernel; a bar that does not exist is refused", async () => {
    await frontendUpdate(kernel, view.commId, { selected_bar: 2 });
    assert.equal(await kernel.evaluate("exView.selectedBar"), 2);
    const published = await frontendUpdate(kernel, view.commId, { selected_bar: 3 });
    assert.deepEqual(
      updatesOn(published, view.commId).map((s) => s.selected_bar),
      [2],
    );
  });

  it("update() sends the new values as float32; the PNG draws them to scale, the selected bar red", async () => {
    const { outputs } = await kernel.run("exView.update([4, 2, 1]);\nexView");
    const [update] = updatesOn(outputs, view.commId);
    assert.deepEqual(Array.from(exampleBarsSpec.fields.values.serializer!.deserialize(update.values)!), [4, 2, 1]);
    const image = await decodePng(shownBundle(outputs)!["image/png"] as string);
    const [blue, red, white] = [
      [0, 0, 200],
      [200, 0, 0],
      [255, 255, 255],
    ];
    assert.deepEqual([barColour(image, 0, 95), barColour(image, 1, 45), barColour(image, 2, 20)], [blue, blue, red]);
    assert.deepEqual(
      [barColour(image, 1, 55), barColour(image, 2, 30)],
      [white, white],
      "bars 1 and 2 are half and a quarter high",
    );
  });
});
