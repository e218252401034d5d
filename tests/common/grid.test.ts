/**
 * Score-grid cells (src/common/draw/grid.ts) and their short numbers: text contrast of at least 4.5:1 on every
 * colour of the scale in both themes, values that fit a cell and never print a small score as "0.00".
 */
import { strict as assert } from "assert";
import { contrastRatio } from "../../src/common/draw/colors";
import type { Theme } from "../../src/common/draw/colors";
import { CELL_TEXT_MIN, gridCell, gridCellSize, printsValues } from "../../src/common/draw/grid";
import { formatShort } from "../../src/common/draw/tokens";

describe("score-grid cells", () => {
  it("text on every colour of a sequential and a diverging scale contrasts at least 4.5:1, light and dark", () => {
    for (const theme of ["light", "dark"] as Theme[])
      for (const [min, max] of [
        [0, 1],
        [-1, 1],
      ])
        for (let i = 0; i <= 100; i++) {
          const value = min + ((max - min) * i) / 100;
          const { background, text } = gridCell(value, min, max, theme);
          assert.ok(contrastRatio(text, background) >= 4.5, `${theme} ${value}: ${text} on ${background}`);
        }
    // The ends of the light scale: black on white, white on the full blue.
    assert.deepEqual(gridCell(0, 0, 1).text, [0, 0, 0]);
    assert.deepEqual(gridCell(1, 0, 1).text, [255, 255, 255]);
    assert.deepEqual(gridCell(0, 0, 1, "dark").text, [255, 255, 255], "white on the dark page's zero");
  });

  it("short values: at most 5 characters, small scores not rounded to zero", () => {
    const cases: [number, string][] = [
      [0, "0"],
      [0.912, "0.91"],
      [1, "1.00"],
      [-0.123, "-0.12"],
      [0.004, "<0.01"],
      [-0.004, ">-0.01"],
      [12.34, "12.3"],
      [340.2, "340"],
      [12345, "12k"],
    ];
    for (const [value, text] of cases) assert.equal(formatShort(value), text);
    assert.equal(gridCell(0.004, 0, 1).label, "<0.01");
    for (const [value] of cases.filter(([v]) => Math.abs(v) < 1e4)) assert.ok(formatShort(value).length <= 6);
  });

  it("cells print values when they are at least CELL_TEXT_MIN px: 2 × 4 and 12 × 12 grids do, 32 × 32 does not", () => {
    assert.ok(printsValues(gridCellSize(2, 4)) && printsValues(gridCellSize(12, 12)));
    assert.ok(!printsValues(gridCellSize(32, 32)));
    assert.equal(printsValues(CELL_TEXT_MIN), true);
    assert.equal(printsValues(CELL_TEXT_MIN - 1), false);
  });
});
