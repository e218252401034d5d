/**
 * coloredTokens through a real kernel: the values arrive as exact float32 in a comm buffer (read
 * through the spec's serialiser), a set chosen in the frontend is `view.selected` in the kernel and
 * a set that does not exist is refused, and the PNG shows the chosen set's colours.
 */
import assert from "node:assert/strict";
import type { KernelClient } from "../../../tests/kernel/client";
import { decodePng, pixelAt } from "../../../tests/widgets/png-pixels";
import {
  frontendUpdate,
  showView,
  shownBundle,
  updatesOn,
  viewKernel,
  WireView,
  wireFields,
} from "../../../tests/widgets/view-wire";
import { coloredTokensSpec, selectedSet } from "./spec";

describe("coloredTokens over the kernel wire", function () {
  this.timeout(120_000);
  let kernel: KernelClient;
  let view: WireView;

  before(async () => {
    kernel = await viewKernel();
    view = await showView(
      kernel,
      coloredTokensSpec,
      `const ctView = lens.coloredTokens({ tokens: ["one", "two"], values: { loss: [0.25, 2.5], gain: lens.tf.tensor1d([-3, 1]) } });
ctView`,
    );
  });

  it("the value sets arrive as float32 [sets, tokens] with a scale each; the first set is shown", () => {
    const read = wireFields(coloredTokensSpec, view.state);
    assert.deepEqual(Array.from(read("values")!), [0.25, 2.5, -3, 1]);
    assert.deepEqual(
      [read("setNames"), read("valueMins"), read("valueMaxs")],
      [
        ["loss", "gain"],
        [0, -3],
        [2.5, 3],
      ],
    );
    const set = selectedSet(read)!;
    assert.deepEqual([set.name, Array.from(set.values), set.min, set.max], ["loss", [0.25, 2.5], 0, 2.5]);
  });

  it("a set chosen in the frontend is view.selected in the kernel; an unknown set is refused and the frontend put back", async () => {
    await frontendUpdate(kernel, view.commId, { selected: "gain" });
    assert.equal(await kernel.evaluate("ctView.selected"), "gain");
    const published = await frontendUpdate(kernel, view.commId, { selected: "nope" });
    assert.deepEqual(
      updatesOn(published, view.commId).map((s) => s.selected),
      ["gain"],
    );
    assert.equal(await kernel.evaluate("ctView.selected"), "gain");
  });

  it("the PNG shows the chosen set: −3 full red in the first token's box", async () => {
    const image = await decodePng(shownBundle((await kernel.run("ctView")).outputs)!["image/png"] as string);
    assert.deepEqual(pixelAt(image, 9, 41), [178, 24, 43], "the first box starts at (8, 40)");
  });
});
