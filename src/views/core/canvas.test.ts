/** Kernel-side drawing helpers: the vertical legend of the PNG snapshots. */
import { strict as assert } from "assert";
import { drawLegend, renderPng } from "./canvas";
import { decodePng, pixelAt, recordText } from "../../../tests/widgets/png-pixels";

describe("snapshot canvas helpers", function () {
  it("drawLegend: max at the top, min at the bottom, and a tick marked 0 where a diverging scale crosses it", async () => {
    const draw = (min: number, max: number) =>
      recordText(() => renderPng(60, 140, (ctx) => drawLegend(ctx, min, max, 4, 10, 120))!);
    const diverging = draw(-1, 3);
    assert.deepEqual(
      diverging.texts.map((t) => t.text),
      ["3.000", "-1.000", "0"],
    );
    const zero = diverging.texts.find((t) => t.text === "0")!;
    assert.ok(Math.abs(zero.y + 6 - (10 + 0.75 * 120)) <= 1, `"0" centred three quarters down the ramp: y ${zero.y}`);
    const image = await decodePng(diverging.result);
    assert.deepEqual(pixelAt(image, 17, 10 + 0.75 * 120), [0, 0, 0], "the tick mark beside the ramp at 0");
    assert.deepEqual(
      draw(0, 1).texts.map((t) => t.text),
      ["1.000", "0"],
      "a sequential scale: only its ends",
    );
  });
});
