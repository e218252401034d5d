/**
 * Which patches change anything (changes.ts): where the clean and corrupted activations of a layer differ, and the
 * first position each patched run changes, for per-position, all-position and attention-pattern sweeps.
 */
import { strict as assert } from "assert";
import { tf } from "../../src";
import type { Tensor } from "../../src/tensor";
import { firstChange, layerDifferences } from "../../src/analysis/patching/changes";
import { PATCH_KINDS } from "../../src/analysis/patching/kinds";

describe("activation patching: which patches change anything", () => {
  /** `corrupted` with `value` written at `index` (a copy). */
  const withValue = (corrupted: Tensor, index: number[], value: number) =>
    tf.tidy(() => {
      const data = corrupted.arraySync() as unknown;
      let row = data as number[];
      for (const i of index.slice(0, -1)) row = (row as unknown as number[][])[i];
      row[index[index.length - 1]] = value;
      return tf.tensor(data as number[], corrupted.shape);
    });

  it("per position: a run changes its own position only where the activations differ there", () => {
    const corrupted = tf.randomNormal([2, 5, 3], 0, 1, "float32", 1); // [batch, pos, d_model]
    const clean = withValue(withValue(corrupted, [1, 3, 2], 9), [0, 4, 0], NaN); // batch row 1 at 3, row 0 at 4 (NaN)
    const diff = layerDifferences(PATCH_KINDS.resid_pre, clean, corrupted);
    tf.dispose([clean, corrupted]);
    assert.deepEqual(diff.shape, [5]);
    assert.deepEqual(
      [0, 1, 2, 3, 4].map((p) => firstChange(PATCH_KINDS.resid_pre, diff, [p])),
      [undefined, undefined, undefined, 3, 4],
    );
  });

  it("all positions: a head's run starts at its first differing position; an equal head changes nothing", () => {
    const corrupted = tf.randomNormal([1, 6, 3, 2], 0, 1, "float32", 2); // hook_z [batch, pos, head, d_head]
    const clean = withValue(withValue(corrupted, [0, 2, 1, 1], 0.5), [0, 5, 1, 0], 0.5);
    const kind = PATCH_KINDS.attn_head_out_all_pos;
    const diff = layerDifferences(kind, clean, corrupted);
    const byPos = layerDifferences(PATCH_KINDS.attn_head_out_by_pos, clean, corrupted);
    tf.dispose([clean, corrupted]);
    assert.deepEqual(diff.shape, [6, 3]);
    assert.deepEqual(
      [0, 1, 2].map((h) => firstChange(kind, diff, [h])),
      [undefined, 2, undefined],
    );
    // By position: head 1 changes at positions 2 and 5 only.
    assert.deepEqual(
      [0, 1, 2, 3, 4, 5].map((p) => firstChange(PATCH_KINDS.attn_head_out_by_pos, byPos, [p, 1])),
      [undefined, undefined, 2, undefined, undefined, 5],
    );
  });

  it("patterns: rows are query positions; a single weight changes only its own row", () => {
    const corrupted = tf.randomUniform([1, 2, 4, 4], 0, 1, "float32", 3); // [batch, head, dest, src]
    const clean = withValue(corrupted, [0, 1, 2, 0], 0.25);
    for (const [kind, tuples, expected] of [
      [PATCH_KINDS.attn_head_pattern_all_pos, [[0], [1]], [undefined, 2]],
      [
        PATCH_KINDS.attn_head_pattern_by_pos,
        [
          [1, 1],
          [1, 2],
          [0, 2],
          [1, 3],
        ],
        [undefined, 2, undefined, undefined],
      ],
      [
        PATCH_KINDS.attn_head_pattern_dest_src_pos,
        [
          [1, 2, 0],
          [1, 2, 1],
          [1, 3, 0],
        ],
        [2, undefined, undefined],
      ],
    ] as const) {
      const diff = layerDifferences(kind, clean, corrupted);
      assert.deepEqual(
        tuples.map((t) => firstChange(kind, diff, [...t])),
        [...expected],
        kind.hook,
      );
    }
    tf.dispose([clean, corrupted]);
  });
});
