/**
 * attributionVsPatching: two linked heatmaps of one sweep on one colour scale, the correlation in the title.
 */
import { strict as assert } from "assert";
import * as lens from "../../src";
import { tf } from "../../src";
import { MIME_BUNDLE_KEY } from "../../src/common/host";
import { installFakeHost, removeFakeHost } from "../widgets/fake-host";

describe("attributionVsPatching", () => {
  beforeEach(() => installFakeHost());
  afterEach(() => removeFakeHost());

  it("shows the change of the metric beside the attribution, linked, with their correlation (worked by hand)", () => {
    // change = patched − 1 = [0, 1, 2, 3]; attribution [0, 2, 4, 6.5]: r = 10.75 / √(5 · 23.1875) = 0.99838…
    const view = lens.attributionVsPatching(
      [
        [1, 2],
        [3, 4],
      ],
      [
        [0, 2],
        [4, 6.5],
      ],
      { corruptedValue: 1, yLabel: "layer", xLabel: "position" },
    );
    const [act, attr] = view.figureData as { z: number[][]; coloraxis: string; xaxis: string }[];
    assert.deepEqual(act.z, [
      [0, 1],
      [2, 3],
    ]);
    assert.deepEqual(attr.z, [
      [0, 2],
      [4, 6.5],
    ]);
    assert.equal(act.coloraxis, attr.coloraxis);
    assert.deepEqual([act.xaxis, attr.xaxis], ["x", "x2"]);
    const rowAxes = view.figureLayout as Record<string, { dtick?: number; tick0?: number }>;
    assert.deepEqual([rowAxes.yaxis.tick0, rowAxes.yaxis.dtick, rowAxes.yaxis2.dtick], [0, 1, 1]); // ticks at whole rows
    const layout = view.figureLayout as Record<string, { matches?: string; text?: string; cmin?: number; cmax?: number }>;
    assert.equal(layout.xaxis2.matches, "x");
    assert.equal(layout.yaxis2.matches, "y");
    assert.deepEqual([layout.coloraxis.cmin, layout.coloraxis.cmax], [-6.5, 6.5]);
    assert.match(layout.title.text!, /correlation r = 0\.998\)/);
    assert.match(String(view[MIME_BUNDLE_KEY]().data["image/png"]), /^iVBOR/); // the PNG fallback draws it
  });

  it("flattens a grid's last two axes into labelled columns, and names a shape mismatch", () => {
    const byPos = tf.tensor3d([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12], [2, 3, 2]); // [layer, pos, head]
    const other = tf.zeros([2, 6]);
    try {
      const view = lens.attributionVsPatching(byPos, byPos);
      const [act] = view.figureData as { x: string[]; z: number[][] }[];
      assert.deepEqual(act.x, ["0:0", "0:1", "1:0", "1:1", "2:0", "2:1"]);
      assert.deepEqual(act.z[1], [7, 8, 9, 10, 11, 12]);
      assert.match((view.figureLayout as { title: { text: string } }).title.text, /r = 1\.000/);
      assert.throws(
        () => lens.attributionVsPatching(byPos, other),
        /the grids must have one shape: activation patching \[2,3,2\], attribution \[2,6\]/,
      );
    } finally {
      tf.dispose([byPos, other]);
    }
  });
});
