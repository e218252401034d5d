/**
 * Compact payloads for the views, the same code on the kernel and in the browser: float values
 * travel as bytes with a scale (≤ 1 byte per value), byte b standing for min + b/255·(max − min),
 * or as exact float32; both as binary comm buffers, read back by the serialisers below.
 */

/** Quantised values [heads, queries, keys] (attention patterns) and their scale. */
export interface QuantisedPatterns {
  bytes: Uint8Array;
  heads: number;
  queries: number;
  keys: number;
  min: number;
  max: number;
  /** Grey out keys after the query (causal mask); queries are the last `queries` of the keys' positions. */
  maskUpper: boolean;
}

/** Quantises `values` to bytes on the scale [min, max] (values outside are clamped; NaN becomes 0). */
export function quantise(values: ArrayLike<number>, min: number, max: number): Uint8Array {
  if (!(max > min)) throw new Error(`the value range must have max > min, got [${min}, ${max}]`);
  const out = new Uint8Array(values.length);
  const scale = 255 / (max - min);
  for (let i = 0; i < values.length; i++) {
    // Rounded to the nearest level: +0.5, then the byte store truncates (3× faster than Math.round on 12 M values).
    const b = (values[i] - min) * scale + 0.5;
    out[i] = b >= 255 ? 255 : b > 0 ? b : 0;
  }
  return out;
}

/** The value byte `b` stands for on the scale [min, max]. */
export function byteValue(b: number, min: number, max: number): number {
  return min + (b / 255) * (max - min);
}

/** The value of a cell of quantised patterns, from its byte. */
export function cellValue(p: QuantisedPatterns, head: number, q: number, k: number): number {
  return byteValue(p.bytes[(head * p.queries + q) * p.keys + k], p.min, p.max);
}

/** The smallest and largest finite value ([0, 1] when there is none or they are equal). */
export function valueRange(values: ArrayLike<number>): [number, number] {
  let [min, max] = [Infinity, -Infinity];
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (!Number.isFinite(v)) continue;
    if (v < min) min = v;
    if (v > max) max = v;
  }
  if (!(max > min)) return Number.isFinite(min) ? [min - 0.5, min + 0.5] : [0, 1];
  return [min, max];
}

/** A colour scale for `values`: `given` bounds where set, else the values' range widened to include 0. */
export function scaleWithZero(values: ArrayLike<number>, given: { min?: number; max?: number } = {}): [number, number] {
  const [low, high] = valueRange(values);
  return [given.min ?? Math.min(0, low), given.max ?? Math.max(0, high)];
}

/**
 * Reads and writes one binary field: `deserialize` takes what arrives (a DataView from a comm
 * buffer, an ArrayBuffer, a typed array as the kernel holds it, or null), `serialize` gives the
 * view to send. Same shape as ipywidgets' serializers, so the browser models use them directly.
 */
export interface Serializer<T> {
  deserialize(value: unknown): T;
  serialize(value: T): DataView | null;
}

/** The bytes of `value` (DataView, ArrayBuffer or typed array) as a DataView, or null. */
function asView(value: unknown): DataView | null {
  if (value instanceof DataView) return value;
  if (value instanceof ArrayBuffer) return new DataView(value);
  if (ArrayBuffer.isView(value)) return new DataView(value.buffer, value.byteOffset, value.byteLength);
  return null;
}

/** Quantised bytes: kept as a Uint8Array over the received memory. */
export const bytesSerializer: Serializer<Uint8Array | null> = {
  deserialize(value) {
    if (value instanceof Uint8Array) return value;
    const view = asView(value);
    return view ? new Uint8Array(view.buffer, view.byteOffset, view.byteLength) : null;
  },
  serialize(value) {
    return asView(value);
  },
};

/** Exact float32 values: copied out of the message, so the array is aligned. */
export const floatsSerializer: Serializer<Float32Array | null> = {
  deserialize(value) {
    if (value instanceof Float32Array) return value;
    const view = asView(value);
    if (!view) return null;
    if (view.byteLength % 4 !== 0) throw new Error(`float32 data must be a multiple of 4 bytes, got ${view.byteLength}`);
    return new Float32Array(view.buffer.slice(view.byteOffset, view.byteOffset + view.byteLength));
  },
  serialize(value) {
    return asView(value);
  },
};
