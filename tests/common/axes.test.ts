import assert from "node:assert/strict";
import { badgeText, headRows, layerOfName, notableBadges, thinnedLabels, topK, windowAround } from "../../src/common/draw/axes";
import { paletteOf } from "../../src/common/draw/colors";
import type { Theme } from "../../src/common/draw/colors";
import { fadeOutside } from "../../src/common/draw/pattern";
import { imagePixels, poolHead } from "../../src/common/draw/patternImage";
import { quantise } from "../../src/common/quantise";
import type { QuantisedPatterns } from "../../src/common/quantise";

/** Quantised patterns of `heads` given as rows [heads][query][key] on [0, 1]. */
function patterns(heads: number[][][], maskUpper = true): QuantisedPatterns {
  const queries = heads[0].length;
  const keys = heads[0][0].length;
  return { bytes: quantise(heads.flat(2), 0, 1), heads: heads.length, queries, keys, min: 0, max: 1, maskUpper };
}

describe("reading a pattern's axes", () => {
  it("thinnedLabels keeps every label that fits and thins dense axes so centres stay minGap apart", () => {
    assert.deepEqual(thinnedLabels(5, 500, 14), [0, 1, 2, 3, 4]);
    const dense = thinnedLabels(240, 480, 14); // 2 px a token
    assert.deepEqual(dense.slice(0, 3), [0, 7, 14]);
    const gaps = dense.slice(1).map((v, i) => ((v - dense[i]) * 480) / 240);
    assert.ok(Math.min(...gaps) >= 14, `smallest gap ${Math.min(...gaps)} px`);
    assert.equal(dense.length, Math.ceil(240 / 7));
  });

  it("thinnedLabels always labels the kept (hovered) position and drops the labels that would touch it", () => {
    const labels = thinnedLabels(240, 480, 14, 100);
    assert.ok(labels.includes(100));
    assert.ok(
      !labels.includes(98) && !labels.includes(105),
      `neighbours of 100 dropped: ${labels.filter((i) => i > 90 && i < 110)}`,
    );
    const sorted = [...labels].sort((a, b) => a - b);
    assert.deepEqual(labels, sorted);
    const gaps = labels.slice(1).map((v, i) => ((v - labels[i]) * 480) / 240);
    assert.ok(Math.min(...gaps) >= 14, `smallest gap ${Math.min(...gaps)} px`);
    assert.deepEqual(thinnedLabels(0, 100, 10), []);
  });

  it("windowAround centres a long axis on the token and stays inside it", () => {
    assert.deepEqual(windowAround(240, 120, 64), [88, 152]);
    assert.deepEqual(windowAround(240, 3, 64), [0, 64]);
    assert.deepEqual(windowAround(240, 239, 64), [176, 240]);
    assert.deepEqual(windowAround(40, 30, 64), [0, 40]);
  });

  it("topK returns the strongest values first, ties by position, skipping masked ones", () => {
    const row = [0.1, 0.5, 0.05, 0.5, 0.9];
    assert.deepEqual(topK(row, 3), [
      { index: 4, value: 0.9 },
      { index: 1, value: 0.5 },
      { index: 3, value: 0.5 },
    ]);
    assert.deepEqual(
      topK(row, 3, (i) => i > 2).map((r) => r.index),
      [1, 0, 2],
    );
    assert.deepEqual(topK([0.2], 3), [{ index: 0, value: 0.2 }]);
  });

  it("headRows groups heads into one row per layer, labelled L{layer}; heads without a layer share a row", () => {
    assert.deepEqual(headRows([1, 1, 2, 2]), [
      { label: "L1", layer: 1, heads: [0, 1] },
      { label: "L2", layer: 2, heads: [2, 3] },
    ]);
    assert.deepEqual(headRows([null, null, null]), [{ label: "", layer: null, heads: [0, 1, 2] }]);
    assert.equal(layerOfName("L10H3"), 10);
    assert.equal(layerOfName("H3"), null);
  });

  it("notableBadges shows scores at or above 0.4, strongest first, at most two; badgeText is compact", () => {
    const badges = notableBadges({ previous: 0.95, self: 0.1, bos: 0.45, induction: null });
    assert.deepEqual(
      badges.map((b) => [b.code, b.value]),
      [
        ["P", 0.95],
        ["B", 0.45],
      ],
    );
    assert.deepEqual(notableBadges({ previous: 0.2, self: 0.39, bos: 0.1, induction: 0.3 }), []);
    assert.deepEqual(
      notableBadges({ previous: 0.5, self: 0.6, bos: 0.7, induction: 0.8 }).map((b) => b.code),
      ["I", "B"],
    );
    assert.equal(badgeText(badges[0]), "P.95");
    assert.equal(badgeText({ ...badges[0], value: 1 }), "P1.0");
  });
});

describe("pattern pixels on focus", () => {
  const prevHead = [
    [1, 0, 0, 0],
    [1, 0, 0, 0],
    [0, 1, 0, 0],
    [0, 0, 1, 0],
  ];

  /** RGBA pixels of head 0 at full size (one cell per pixel), as the view draws it. */
  const headPixels = (p: QuantisedPatterns, theme: Theme = "light") =>
    imagePixels(poolHead(p.bytes, 0, p, p.queries, p.keys), p.min, p.max, theme);

  it("fadeOutside fades masked cells of the focused row too, and leaves its weights as they were", () => {
    const p = patterns([prevHead]);
    const full = headPixels(p);
    const faded = fadeOutside(headPixels(p), p, { row: 1 });
    const at = (px: Uint8ClampedArray, q: number, k: number) => Array.from(px.slice((q * 4 + k) * 4, (q * 4 + k) * 4 + 3));
    assert.deepEqual(at(faded, 1, 0), at(full, 1, 0), "the focused row's weight keeps its colour");
    assert.deepEqual(at(full, 1, 3), paletteOf("light").masked);
    assert.ok(at(faded, 1, 3)[0] > paletteOf("light").masked[0], `a masked cell of the row fades: ${at(faded, 1, 3)}`);
    assert.ok(at(faded, 2, 1)[0] > at(full, 2, 1)[0] + 100, "a weight outside the row fades");
    const column = fadeOutside(headPixels(p), p, { column: 0 });
    assert.deepEqual(at(column, 0, 0), at(full, 0, 0));
    const dark = fadeOutside(headPixels(p, "dark"), p, { row: 1 }, "dark");
    assert.ok(at(dark, 1, 3)[0] < paletteOf("dark").masked[0], "on dark, masked cells fade toward the dark background");
  });
});
