/**
 * Position and batch slices for the cache helpers, as TransformerLens's `Slice`: a number picks one
 * index (negative counts from the end) and drops the axis; a list of indices keeps the axis; a
 * `{ start, stop }` range keeps it too; null/undefined keeps everything.
 */
import type { Tensor } from "@tensorflow/tfjs-core";
import { tf } from "../tensor";

/** One index (axis dropped), a list of indices, a half-open range, or everything. */
export type Slice = number | number[] | { start?: number; stop?: number } | null | undefined;

/** The indices `slice` selects along an axis of length `size`; `drop` when the axis goes away. */
export function sliceIndices(slice: Slice, size: number, what = "position"): { indices: number[] | null; drop: boolean } {
  const resolve = (i: number) => {
    const j = i < 0 ? size + i : i;
    if (!Number.isInteger(i) || j < 0 || j >= size) throw new Error(`${what} ${i} is out of range for length ${size}`);
    return j;
  };
  if (slice === null || slice === undefined) return { indices: null, drop: false };
  if (typeof slice === "number") return { indices: [resolve(slice)], drop: true };
  if (Array.isArray(slice)) return { indices: slice.map(resolve), drop: false };
  const clamp = (i: number) => Math.min(size, Math.max(0, i < 0 ? size + i : i));
  const start = clamp(slice.start ?? 0);
  const stop = clamp(slice.stop ?? size);
  return { indices: Array.from({ length: Math.max(0, stop - start) }, (_, k) => start + k), drop: false };
}

/** `t` restricted to `slice` along `axis` (negative counts from the end). Returns a new tensor. */
export function applySlice(t: Tensor, slice: Slice, axis: number, what = "position"): Tensor {
  const ax = axis < 0 ? t.rank + axis : axis;
  const { indices, drop } = sliceIndices(slice, t.shape[ax], what);
  if (indices === null) return t.clone();
  return tf.tidy(() => {
    const picked = tf.gather(t, tf.tensor1d(indices, "int32"), ax);
    return drop ? picked.squeeze([ax]) : picked;
  });
}
