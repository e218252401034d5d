/**
 * The attention summaries the model cards print: stripe scores and the offset profile,
 * on hand-built patterns whose answers are known.
 */
import { strict as assert } from "assert";
import { offsetProfile, stripeScores } from "../../training/evaluate";

/** A causal [1][1][n][n] pattern where each query q ≥ 1 puts `near` on q − offset (if it exists) and the rest on BOS. */
function pattern(n: number, offset: number, near: number): number[][][][] {
  const rows = Array.from({ length: n }, (_, q) => {
    const row = new Array<number>(n).fill(0);
    if (q - offset >= 1) {
      row[q - offset] = near;
      row[0] = 1 - near;
    } else row[0] = 1;
    return row;
  });
  return [[rows]];
}

describe("training evaluation summaries", () => {
  it("stripeScores averages the diagonal `offset` below the main one", () => {
    // Queries 3…9 on offset 3: q = 3 looks at BOS (1.0), q = 4…9 put 0.8 on q − 3.
    const [score] = stripeScores(pattern(10, 3, 0.8), 3);
    assert.ok(Math.abs(score - (1 + 6 * 0.8) / 7) < 1e-12, `${score}`);
  });

  it("offsetProfile ranks offsets and keeps BOS apart", () => {
    const [head] = offsetProfile(pattern(10, 3, 0.8), 5);
    assert.deepEqual(
      head.map((s) => s.offset),
      [3, "BOS"],
    );
    assert.ok(Math.abs(head[0].share - 0.8) < 1e-12 && Math.abs(head[1].share - 0.2) < 1e-12, JSON.stringify(head));
  });
});
