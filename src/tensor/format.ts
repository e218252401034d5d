/**
 * Text for a tensor, the way torch and numpy print one: the values (summarised when large), the shape and the dtype.
 *
 *   tensor([[1, 2],
 *           [3, 4]], shape=[2, 2], dtype=int32)
 *
 * Installed as tfjs's Tensor inspector, so a tensor as a cell's last expression, inside an array or object, or
 * passed to console.log prints this way. Only the shown values are downloaded: a large tensor's corners are sliced
 * on the backend first, and every intermediate is disposed.
 */
import { inspect } from "util";
import { tf } from "./tf";

/** How formatTensor lays out values. */
export interface TensorFormatOptions {
  /** Tensors with more elements than this are summarised (default 1000, as torch and numpy). */
  readonly threshold?: number;
  /** Items kept at each end of a summarised axis (default 3). */
  readonly edgeItems?: number;
  /** Rows of values wrap at this width (default 80). */
  readonly lineWidth?: number;
}

const PREFIX = "tensor(";
const GAP = "...";

/** `shape=[2, 3], dtype=float32`. */
function describe(t: tf.Tensor): string {
  return `shape=[${t.shape.join(", ")}], dtype=${t.dtype}`;
}

/** For each axis, the indices shown: all of them, or the first and last `edge` when the axis is summarised. */
function shownIndices(shape: readonly number[], summarise: boolean, edge: number): number[][] {
  return shape.map((dim) => {
    const all = Array.from({ length: dim }, (_, i) => i);
    return summarise && dim > 2 * edge ? [...all.slice(0, edge), ...all.slice(dim - edge)] : all;
  });
}

/** The values at the shown indices, read without downloading the rest of the tensor. */
function readShown(t: tf.Tensor, shown: number[][], edge: number): ArrayLike<number | string> {
  const cut = shown.some((indices, axis) => indices.length < t.shape[axis]);
  if (!cut) return t.dataSync() as ArrayLike<number | string>;
  const corners = tf.tidy(() => {
    let kept = t;
    t.shape.forEach((dim, axis) => {
      if (shown[axis].length === dim) return;
      const begin = t.shape.map(() => 0);
      const size = kept.shape.slice();
      size[axis] = edge;
      const head = tf.slice(kept, begin, size);
      begin[axis] = dim - edge;
      const tail = tf.slice(kept, begin, size);
      kept = tf.concat([head, tail], axis); // [..., 2 * edge (this axis), ...]
    });
    return kept;
  });
  try {
    return corners.dataSync() as ArrayLike<number | string>;
  } finally {
    corners.dispose();
  }
}

/** A float in torch's style for its group's mode: "nan", "inf", "-inf", "2.", "0.1235" or "1.2346e-05". */
function floatText(value: number, mode: "int" | "fixed" | "sci"): string {
  if (Number.isNaN(value)) return "nan";
  if (!Number.isFinite(value)) return value > 0 ? "inf" : "-inf";
  if (mode === "int") return `${value.toFixed(0)}.`;
  if (mode === "fixed") return value.toFixed(4);
  return value.toExponential(4).replace(/e([+-])(\d)$/, "e$10$2");
}

/** How a group of floats is written, chosen over all of them as torch does. */
function floatMode(values: readonly number[]): "int" | "fixed" | "sci" {
  const finite = values.filter((v) => Number.isFinite(v));
  const magnitudes = finite.map(Math.abs).filter((v) => v > 0);
  const integral = finite.every((v) => Number.isInteger(v));
  if (magnitudes.length === 0) return integral ? "int" : "fixed";
  const largest = Math.max(...magnitudes);
  const smallest = Math.min(...magnitudes);
  const wide = largest / smallest > 1000 || largest > 1e8;
  if (integral) return wide ? "sci" : "int";
  return wide || smallest < 1e-4 ? "sci" : "fixed";
}

/** Each value as text; numbers and booleans padded to one width. */
function elementTexts(values: ArrayLike<number | string>, dtype: tf.DataType): string[] {
  const raw = Array.from(values);
  if (dtype === "string") return raw.map((v) => JSON.stringify(String(v)));
  let texts: string[];
  if (dtype === "bool") texts = raw.map((v) => (v ? "true" : "false"));
  else if (dtype === "int32") texts = raw.map((v) => String(v));
  else {
    const numbers = raw as number[];
    const mode = floatMode(numbers);
    texts = numbers.map((v) => floatText(v, mode));
  }
  const width = Math.max(0, ...texts.map((s) => s.length));
  return texts.map((s) => s.padStart(width));
}

/** Lays out the shown values as nested brackets; `gapAfter[axis]` is where "..." goes on a summarised axis. */
function layout(texts: string[], sizes: number[], gapAfter: (number | undefined)[], lineWidth: number): string {
  const strides = sizes.map((_, axis) => sizes.slice(axis + 1).reduce((a, b) => a * b, 1));
  const rank = sizes.length;
  const block = (axis: number, offset: number): string => {
    const indent = PREFIX.length + axis + 1;
    const items: string[] = [];
    for (let i = 0; i < sizes[axis]; i++) {
      items.push(axis === rank - 1 ? texts[offset + i] : block(axis + 1, offset + i * strides[axis]));
      if (gapAfter[axis] === i) items.push(GAP);
    }
    if (axis < rank - 1) return `[${items.join("," + "\n".repeat(rank - axis - 1) + " ".repeat(indent))}]`;
    const lines: string[] = [];
    let line = "";
    for (const item of items) {
      const piece = line === "" ? item : `, ${item}`;
      if (line !== "" && indent + line.length + piece.length + 1 > lineWidth) {
        lines.push(line + ",");
        line = item;
      } else line += piece;
    }
    lines.push(line);
    return `[${lines.join("\n" + " ".repeat(indent))}]`;
  };
  return block(0, 0);
}

/** Text for `t`: values (summarised beyond `threshold` elements), shape and dtype; never throws for a disposed tensor. */
export function formatTensor(t: tf.Tensor, options: TensorFormatOptions = {}): string {
  const { threshold = 1000, edgeItems = 3, lineWidth = 80 } = options;
  if (t.isDisposed) return `${PREFIX}<disposed>, ${describe(t)})`;
  if (t.dtype === "complex64") return `${PREFIX}<complex values not shown>, ${describe(t)})`;
  const summarise = t.size > threshold;
  const shown = shownIndices(t.shape, summarise, edgeItems);
  const texts = elementTexts(readShown(t, shown, edgeItems), t.dtype);
  if (t.rank === 0) return `${PREFIX}${texts[0]}, ${describe(t)})`;
  const sizes = shown.map((indices) => indices.length);
  const gapAfter = shown.map((indices, axis) => (indices.length < t.shape[axis] ? edgeItems - 1 : undefined));
  return `${PREFIX}${layout(texts, sizes, gapAfter, lineWidth)}, ${describe(t)})`;
}

/** The inspector installed on Tensor: formatTensor, a short form beyond the inspection depth, never a throw. */
function inspectTensor(this: tf.Tensor, depth: number): string {
  if (depth < 0) return `${PREFIX}${GAP}, ${describe(this)})`;
  try {
    return formatTensor(this);
  } catch (err) {
    return `${PREFIX}<values unavailable: ${err instanceof Error ? err.message : String(err)}>, ${describe(this)})`;
  }
}

/** Makes Node's util.inspect (cell results, console.log) print tfjs tensors with formatTensor. */
export function installTensorInspector(): void {
  Object.defineProperty(tf.Tensor.prototype, inspect.custom, {
    value: inspectTensor,
    configurable: true,
    writable: true,
    enumerable: false,
  });
}
