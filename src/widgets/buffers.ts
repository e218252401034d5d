/**
 * Binary values in widget state (ipywidgets protocol 2.1.0, "buffer_paths"):
 * on send, every ArrayBuffer / typed array / DataView is taken out of the state
 * (an object key is deleted, an array element becomes null) and travels as a
 * raw buffer frame; on receive, buffers are put back at their paths.
 */
import type { BinaryData } from "../../kernel/host-api";

/** A path into nested state: object keys and array indices. */
export type BufferPath = (string | number)[];

/** True for values that travel as buffers. */
export function isBinary(value: unknown): value is BinaryData {
  return value instanceof ArrayBuffer || ArrayBuffer.isView(value);
}

/** Splits binary values out of `state`; the input is not modified. */
export function removeBuffers(state: Record<string, unknown>): {
  state: Record<string, unknown>;
  bufferPaths: BufferPath[];
  buffers: BinaryData[];
} {
  const bufferPaths: BufferPath[] = [];
  const buffers: BinaryData[] = [];
  const walk = (value: unknown, path: BufferPath): unknown => {
    if (Array.isArray(value)) {
      return value.map((item, i) => {
        if (!isBinary(item)) return walk(item, [...path, i]);
        bufferPaths.push([...path, i]);
        buffers.push(item);
        return null;
      });
    }
    if (value !== null && typeof value === "object" && !isBinary(value)) {
      const out: Record<string, unknown> = {};
      for (const [key, item] of Object.entries(value)) {
        if (isBinary(item)) {
          bufferPaths.push([...path, key]);
          buffers.push(item);
        } else {
          out[key] = walk(item, [...path, key]);
        }
      }
      return out;
    }
    return value;
  };
  return { state: walk(state, []) as Record<string, unknown>, bufferPaths, buffers };
}

/** Puts received buffers back into `state` (in place) at `bufferPaths`; errors name the bad path. */
export function putBuffers(state: Record<string, unknown>, bufferPaths: unknown, buffers: DataView[]): void {
  if (bufferPaths === undefined || bufferPaths === null) bufferPaths = [];
  if (!Array.isArray(bufferPaths)) throw new Error("buffer_paths must be a list");
  if (bufferPaths.length !== buffers.length) {
    throw new Error(`buffer_paths lists ${bufferPaths.length} paths but the message carries ${buffers.length} buffers`);
  }
  bufferPaths.forEach((path, i) => {
    if (!Array.isArray(path) || path.length === 0) throw new Error(`buffer path ${JSON.stringify(path)} is not a non-empty list`);
    let node: Record<string | number, unknown> = state;
    for (const key of path.slice(0, -1)) {
      const next = node[key];
      if (next === null || typeof next !== "object")
        throw new Error(`buffer path ${JSON.stringify(path)} does not exist in the state`);
      node = next as Record<string | number, unknown>;
    }
    node[path[path.length - 1]] = buffers[i];
  });
}
