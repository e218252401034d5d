/**
 * PatternImage: a head max-pooled to a thumbnail keeps each block's largest weight and ignores the
 * masked cells; a cell is masked only when every pair under it is (at full resolution exactly the
 * causal mask, queries at the last key positions); pixels take the byte's colour or the masked colour.
 */
import { strict as assert } from "assert";
import { byteColors, paletteOf } from "../../src/common/draw/colors";
import { isMasked } from "../../src/common/draw/pattern";
import { imageMasked, imagePixels, PatternImage, poolHead } from "../../src/common/draw/patternImage";

describe("PatternImage: pooled thumbnails, masking, pixels", () => {
  // 2 heads, 3 queries at key positions 2, 3, 4 of 5 keys; head 1's bytes are 100 + the cell's index.
  const shape = { queries: 3, keys: 5, maskUpper: true };
  const bytes = Uint8Array.from({ length: 2 * 15 }, (_, i) => (i < 15 ? 0 : 100 + (i - 15)));

  it("max-pools a head: each cell the largest unmasked byte of its block (blocks as even as can be)", () => {
    const image = poolHead(bytes, 1, shape, 2, 2);
    // Rows: queries {0} and {1, 2}; columns: keys {0, 1} and {2, 3, 4}. Query q sees keys ≤ q + 2.
    // (0,0): cells 0, 1 → 101; (0,1): key 2 only (3, 4 masked) → 102; (1,0): cells 5, 6, 10, 11 → 111;
    // (1,1): keys 2, 3 of query 1 (cells 7, 8) and 2, 3, 4 of query 2 (12, 13, 14) → 114.
    assert.deepEqual(Array.from(image.bytes), [101, 102, 111, 114]);
    assert.deepEqual([image.rows, image.cols, image.queries, image.keys], [2, 2, 3, 5]);
    assert.deepEqual(Array.from(poolHead(bytes, 0, shape, 2, 2).bytes), [0, 0, 0, 0], "head 0 is all zeros");
  });

  it("at full resolution the mask is the causal mask; pooled, a cell is masked only when all under it are", () => {
    const full: PatternImage = { bytes: bytes.subarray(0, 15), rows: 3, cols: 5, ...shape };
    const p = { bytes, heads: 2, min: 0, max: 1, ...shape };
    for (let q = 0; q < 3; q++)
      for (let k = 0; k < 5; k++) assert.equal(imageMasked(full, q, k), isMasked(p, q, k), `(${q}, ${k})`);
    // Pooled 3 × 3 over 5 keys: columns {0}, {1, 2}, {3, 4}. Query 0 (position 2) sees keys 0–2: column 2 is masked.
    const pooled = poolHead(bytes, 1, shape, 3, 3);
    assert.deepEqual(
      [0, 1, 2].map((r) => [0, 1, 2].map((c) => imageMasked(pooled, r, c))),
      [
        [false, false, true],
        [false, false, false],
        [false, false, false],
      ],
    );
    assert.equal(imageMasked({ ...pooled, maskUpper: false }, 0, 2), false, "no mask, nothing masked");
  });

  it("pixels: the byte's colour on the scale, the theme's masked colour where masked, opaque", () => {
    const image = poolHead(bytes, 1, shape, 3, 3);
    for (const theme of ["light", "dark"] as const) {
      const pixels = imagePixels(image, 0, 1, theme);
      const table = byteColors(0, 1, theme);
      const at = (r: number, c: number) => Array.from(pixels.subarray((r * 3 + c) * 4, (r * 3 + c) * 4 + 4));
      const b = image.bytes[0];
      assert.deepEqual(at(0, 0), [table[b * 3], table[b * 3 + 1], table[b * 3 + 2], 255]);
      assert.deepEqual(at(0, 2), [...paletteOf(theme).masked, 255]);
      assert.equal(pixels.length, 3 * 3 * 4);
    }
  });
});
