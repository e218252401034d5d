/**
 * The attention PNG read as a researcher reads it: a row of thumbnails per layer with the layer written
 * on the row, plain frames (the selected one blue), score badges under the notable heads, and token
 * labels on a long prompt's axes thinned so they stay apart.
 */
import { strict as assert } from "assert";
import { quantise } from "../../common/quantise";
import { decodePng, pixelAt, Pixels } from "../../../tests/widgets/png-pixels";
import { AttentionPicture, attentionLayout, attentionPng } from "./snapshot";

const BLUE = [33, 102, 172];

/** A picture of `heads` given as weights [heads][query][key] on [0, 1]. */
function picture(heads: number[][][], extra: Partial<AttentionPicture>): AttentionPicture {
  const [queries, keys] = [heads[0].length, heads[0][0].length];
  const tokens = Array.from({ length: keys }, (_, i) => `t${i}`);
  return {
    patterns: { bytes: quantise(heads.flat(2), 0, 1), heads: heads.length, queries, keys, min: 0, max: 1, maskUpper: true },
    headNames: heads.map((_, h) => `H${h}`),
    queryTokens: tokens,
    keyTokens: tokens,
    selectedHead: 0,
    ...extra,
  };
}

/** Pixels darker than mid-grey in the rectangle [x0, x1) × [y0, y1). */
function dark(image: Pixels, x0: number, y0: number, x1: number, y1: number): number {
  let count = 0;
  for (let y = Math.round(y0); y < y1; y++)
    for (let x = Math.round(x0); x < x1; x++) {
      const [r, g, b] = pixelAt(image, x, y);
      if (r < 128 && g < 128 && b < 128) count++;
    }
  return count;
}

const diagonal = (n: number) => Array.from({ length: n }, (_, q) => Array.from({ length: n }, (_, k) => Number(k === q)));
const firstToken = (n: number) => Array.from({ length: n }, () => Array.from({ length: n }, (_, k) => Number(k === 0)));
const previous = (n: number) =>
  Array.from({ length: n }, (_, q) => Array.from({ length: n }, (_, k) => Number(k === Math.max(0, q - 1))));

describe("attentionPatterns PNG snapshot", () => {
  it("draws one row of thumbnails per layer with the layer's label on the row; frames are grey, the selected one blue", async () => {
    const heads = [diagonal(4), diagonal(4), firstToken(4), firstToken(4)];
    const layered = picture(heads, { headNames: ["L3H0", "L3H1", "L5H0", "L5H1"], headLayers: [3, 3, 5, 5], selectedHead: 1 });
    const image = await decodePng(attentionPng(layered)!);
    const layout = attentionLayout(layered);
    assert.deepEqual(
      layout.rows.map((r) => [r.label, r.heads]),
      [
        ["L3", [0, 1]],
        ["L5", [2, 3]],
      ],
    );
    const [[x0, y0], [x2, y2]] = [layout.thumbAt(0), layout.thumbAt(2)];
    assert.equal(x2, x0, "L5H0 sits under L3H0");
    assert.ok(y2 > y0 + layout.thumb, "in the next row");
    // What each thumbnail shows: L3's heads the diagonal, L5's the first token (cells of thumb/4 px).
    const cell = (h: number, q: number, k: number) => {
      const [x, y] = layout.thumbAt(h);
      return pixelAt(image, x + ((k + 0.5) * layout.thumb) / 4, y + ((q + 0.5) * layout.thumb) / 4);
    };
    assert.deepEqual([cell(0, 3, 3), cell(2, 3, 0), cell(3, 2, 0)], [BLUE, BLUE, BLUE]);
    assert.deepEqual(cell(2, 3, 3), [255, 255, 255]);
    // The row labels are written left of each row; a picture without layers leaves that column empty.
    const labelInk = (img: Pixels, y: number) => dark(img, 0, y, layout.gridLeft - 2, y + layout.thumb);
    assert.ok(labelInk(image, y0) > 20 && labelInk(image, y2) > 20, `labels: ${labelInk(image, y0)}, ${labelInk(image, y2)}`);
    const plain = picture(heads, {});
    const plainImage = await decodePng(attentionPng(plain)!);
    assert.equal(labelInk(plainImage, attentionLayout(plain).thumbAt(0)[1]), 0, "no layer, no label");
    // Frames: grey around a head, blue (thicker) around the selected one — no per-head colours.
    const frameLeft = (h: number) => pixelAt(image, layout.thumbAt(h)[0] - 1, layout.thumbAt(h)[1] + layout.thumb / 2);
    for (const h of [0, 2, 3]) {
      const [r, g, b] = frameLeft(h);
      assert.ok(r === g && g === b && r < 255, `head ${h}'s frame is grey: ${frameLeft(h)}`);
    }
    const [r, , b] = frameLeft(1);
    assert.ok(b > r + 100, `the selected head's frame is blue: ${frameLeft(1)}`);
  });

  it("writes the notable score badges under their thumbnails and a legend of the badges", async () => {
    const heads = [previous(6), diagonal(6)];
    const badges = [
      { previous: 0.95, self: 0.05, bos: 0.2, induction: null },
      { previous: 0.1, self: 0.3, bos: 0.2, induction: null },
    ];
    const withBadges = picture(heads, { headBadges: badges });
    const image = await decodePng(attentionPng(withBadges)!);
    const layout = attentionLayout(withBadges);
    const under = (img: Pixels, h: number) => {
      const [x, y] = layout.thumbAt(h);
      return dark(img, x, y + layout.thumb + 3, x + layout.thumb, y + layout.thumb + 15);
    };
    assert.ok(under(image, 0) > 15, `"P.95" under the previous-token head: ${under(image, 0)} dark pixels`);
    assert.equal(under(image, 1), 0, "no badge under a head with no score ≥ 0.4");
    const none = await decodePng(attentionPng(picture(heads, {}))!);
    assert.equal(under(none, 0), 0, "no badges without scores");
    const legendBand = (img: Pixels) => dark(img, 0, layout.thumbAt(0)[1] + layout.thumb + 16, img.width, layout.zoomTop - 24);
    assert.ok(legendBand(image) > legendBand(none) + 100, "the badges' legend is written");
  });

  it("thins a long prompt's token labels so neighbouring labels never touch", async () => {
    const n = 240;
    const long = picture([diagonal(n)], {});
    const image = await decodePng(attentionPng(long)!);
    const { zoomLeft, zoomTop, zoom } = attentionLayout(long);
    // Rows of the query-label column that hold text, grouped into runs: one run per label when they stay apart.
    const inked = Array.from(
      { length: zoom },
      (_, y) => dark(image, zoomLeft - 100, zoomTop + y, zoomLeft - 3, zoomTop + y + 1) > 0,
    );
    const runs: number[] = [];
    inked.forEach((on, y) => {
      if (on && (y === 0 || !inked[y - 1])) runs.push(0);
      if (on) runs[runs.length - 1]++;
    });
    assert.ok(runs.length >= 20 && runs.length <= 32, `${runs.length} separate labels along 360 px`);
    assert.ok(Math.max(...runs) <= 11, `no two labels merge: tallest run ${Math.max(...runs)} px`);
  });

  it("marks a repeated sequence: the induction diagonal dashed in red from the second copy on, nothing red without it", async () => {
    // 1 + 2×10 positions: the second copy starts at 11; an induction head attends from query t to key t − 9.
    const n = 21;
    const plain = picture([diagonal(n)], {});
    const marked = picture([diagonal(n)], { repeat: { start: 11, length: 10 } });
    const layout = attentionLayout(marked);
    const { zoomLeft: left, zoomTop: top, zoom } = layout;
    const reddish = (image: Pixels, x0: number, y0: number, x1: number, y1: number) => {
      let count = 0;
      for (let y = Math.round(y0); y < y1; y++)
        for (let x = Math.round(x0); x < x1; x++) {
          const [r, g, b] = pixelAt(image, x, y);
          if (r > g + 60 && r > b + 60) count++;
        }
      return count;
    };
    const cell = zoom / n;
    const withMark = await decodePng(attentionPng(marked)!);
    // around the cell (query 15, key 6) on the induction diagonal, and in the first copy's rows (none there)
    assert.ok(reddish(withMark, left + 5.5 * cell, top + 14.5 * cell, left + 7.5 * cell, top + 16.5 * cell) > 3);
    assert.equal(reddish(withMark, left, top, left + zoom, top + 10 * cell), 0);
    const without = await decodePng(attentionPng(plain)!);
    assert.equal(reddish(without, left, top, left + zoom, top + zoom), 0);
  });
});
