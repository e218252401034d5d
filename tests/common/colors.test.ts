import assert from "node:assert/strict";
import { colorOf, contrastRatio, paletteOf, Rgb, scaleStops, symmetricRange, textColorOn } from "../../src/common/draw/colors";
import { formatValue } from "../../src/common/draw/tokens";

describe("colour scales", () => {
  it("start at the theme's background: white on light, dark grey on dark", () => {
    assert.deepEqual(colorOf(0, 0, 1, "light"), [255, 255, 255]);
    assert.deepEqual(colorOf(0, 0, 1, "dark"), paletteOf("dark").zero);
    assert.ok(paletteOf("dark").zero.every((c) => c < 64));
    assert.deepEqual(colorOf(1, 0, 1, "dark"), paletteOf("dark").positive);
  });

  it("give −v and +v equally strong colours on a diverging scale", () => {
    const distance = (c: Rgb) => Math.hypot(...c.map((x) => 255 - x));
    const neg = colorOf(-0.5, -0.94, 4.07);
    const pos = colorOf(0.5, -0.94, 4.07);
    assert.ok(Math.abs(distance(neg) - distance(pos)) / distance(pos) < 0.35, `${neg} vs ${pos}`);
    // a slightly negative value stays pale: far from the saturated red end
    assert.ok(colorOf(-0.1, -0.94, 4.07)[1] > 230);
  });

  it("symmetricRange centres a crossing range on 0 and leaves one-sided ranges alone", () => {
    assert.deepEqual(symmetricRange(-0.94, 4.07), [-4.07, 4.07]);
    assert.deepEqual(symmetricRange(-3, 1), [-3, 3]);
    assert.deepEqual(symmetricRange(0, 1), [0, 1]);
    assert.deepEqual(symmetricRange(-2, -1), [-2, -1]);
  });

  it("put a stop exactly at 0 on a diverging gradient", () => {
    const stops = scaleStops(-1, 3);
    const zero = stops.find(([f]) => f === 0.25);
    assert.ok(zero);
    assert.deepEqual(zero[1], [255, 255, 255]);
  });
});

describe("text on coloured cells", () => {
  it("is black on pale cells and white on dark ones, with at least 4.5:1 contrast across both themes' scales", () => {
    assert.deepEqual(textColorOn([255, 255, 255]), [0, 0, 0]);
    assert.deepEqual(textColorOn(paletteOf("light").positive), [255, 255, 255]);
    assert.deepEqual(textColorOn(paletteOf("dark").zero), [255, 255, 255]);
    for (const theme of ["light", "dark"] as const)
      for (let v = -1; v <= 1; v += 0.05) {
        const cell = colorOf(v, -1, 1, theme);
        assert.ok(contrastRatio(textColorOn(cell), cell) >= 4.5, `${theme} ${v.toFixed(2)}: ${cell}`);
      }
  });

  it("contrast ratio follows WCAG: 21 for black on white, 1 for equal colours", () => {
    assert.ok(Math.abs(contrastRatio([0, 0, 0], [255, 255, 255]) - 21) < 1e-9);
    assert.equal(contrastRatio([90, 90, 90], [90, 90, 90]), 1);
  });
});

describe("formatValue", () => {
  it("writes tiny magnitudes as <0.001 instead of an exponent", () => {
    assert.equal(formatValue(7.54e-14), "<0.001");
    assert.equal(formatValue(-2e-5), ">-0.001");
    assert.equal(formatValue(0), "0");
    assert.equal(formatValue(0.25), "0.250");
    assert.equal(formatValue(-1.2041), "-1.204");
    assert.equal(formatValue(123456.7), "123457");
  });
});
