/**
 * Binary values in widget state (ipywidgets protocol 2.1.0, "buffer_paths"):
 * on send, every ArrayBuffer / typed array / DataView is taken out of the state
 * (an object key is deleted, an array element becomes null) and travels as a
 * raw buffer frame; on receive, buffers are put back at their paths.
 */
import type { BinaryData } from "../common/host";

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

/**
 * A frontend message that cannot be applied (bad buffer paths, state of the
 * wrong shape). The kernel logs these as dropped messages, not as handler
 * failures: it recognises them by `name`, so no kernel module is imported here.
 */
export class BadMessageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "BadMessageError";
  }
}

/**
 * `value` as short JSON for an error message: at most `max` characters, and a
 * placeholder where JSON.stringify fails (hostile depth, cycles).
 */
export function describeValue(value: unknown, max = 120): string {
  let text: string;
  try {
    text = JSON.stringify(value) ?? String(value);
  } catch {
    text = Array.isArray(value) ? "[…too deep to show…]" : `<${typeof value} that cannot be shown>`;
  }
  return text.length > max ? `${text.slice(0, max)}…` : text;
}

/** Path segments that would reach a prototype instead of the state's own data. */
const FORBIDDEN_KEYS: ReadonlySet<string> = new Set(["__proto__", "constructor", "prototype"]);

/** True when `node` has `key` as an own property (inherited names such as "constructor" are not keys). */
export function hasOwn(node: object, key: string | number): boolean {
  return Object.prototype.hasOwnProperty.call(node, key);
}

/** A record of `entries` without a prototype, so no key resolves to an Object.prototype member. */
export function bareRecord(entries: Iterable<readonly [string, unknown]> = []): Record<string, unknown> {
  const record = Object.create(null) as Record<string, unknown>;
  for (const [key, value] of entries) record[key] = value;
  return record;
}

/** A segment as an array index, or undefined when it is not a non-negative integer. */
function arrayIndex(key: string | number): number | undefined {
  const index = typeof key === "number" ? key : /^(0|[1-9][0-9]*)$/.test(key) ? Number(key) : NaN;
  return Number.isSafeInteger(index) && index >= 0 ? index : undefined;
}

/**
 * Puts received buffers back into `state` (in place) at `bufferPaths`. Paths
 * walk only the state's own properties; a segment named `__proto__`,
 * `constructor` or `prototype`, a segment that is not a string or number, a
 * missing step and an array index out of range are refused with a
 * BadMessageError naming the path (after `owner`, when given). Every path is
 * checked before any buffer is placed, so a refused message leaves `state` untouched.
 */
export function putBuffers(state: Record<string, unknown>, bufferPaths: unknown, buffers: DataView[], owner?: string): void {
  try {
    if (bufferPaths === undefined || bufferPaths === null) bufferPaths = [];
    if (!Array.isArray(bufferPaths)) throw new BadMessageError("buffer_paths must be a list");
    if (bufferPaths.length !== buffers.length) {
      throw new BadMessageError(
        `buffer_paths lists ${bufferPaths.length} paths but the message carries ${buffers.length} buffers`,
      );
    }
    const places = (bufferPaths as unknown[]).map((path) => placeOf(state, path));
    places.forEach(({ node, key }, i) => {
      node[key] = buffers[i];
    });
  } catch (err) {
    if (owner && err instanceof BadMessageError) err.message = `${owner}: ${err.message}`;
    throw err;
  }
}

/** Where one buffer path points: the container and the own key to set in it. */
function placeOf(
  state: Record<string, unknown>,
  path: unknown,
): { node: Record<string | number, unknown>; key: string | number } {
  const shown = describeValue(path);
  if (!Array.isArray(path) || path.length === 0) throw new BadMessageError(`buffer path ${shown} is not a non-empty list`);
  for (const key of path) {
    if (typeof key !== "string" && typeof key !== "number") {
      throw new BadMessageError(`buffer path ${shown}: segment ${describeValue(key)} is not a string or number`);
    }
    if (FORBIDDEN_KEYS.has(String(key))) {
      throw new BadMessageError(`buffer path ${shown} refused: segment "${key}" would reach an object prototype`);
    }
  }
  const keys = path as (string | number)[];
  let node: Record<string | number, unknown> = state;
  for (let depth = 0; depth < keys.length; depth++) {
    const key = keys[depth];
    const last = depth === keys.length - 1;
    if (Array.isArray(node)) {
      const index = arrayIndex(key);
      if (index === undefined || index >= node.length) {
        throw new BadMessageError(`buffer path ${shown}: ${describeValue(key)} is not an index of the list there`);
      }
      if (last) return { node, key: index };
      node = checkedStep(node[index], shown);
    } else {
      if (last) return { node, key };
      if (!hasOwn(node, key)) throw new BadMessageError(`buffer path ${shown} does not exist in the state`);
      node = checkedStep(node[key], shown);
    }
  }
  throw new BadMessageError(`buffer path ${shown} is not a non-empty list`);
}

/** The next container on a path: a plain object or a list, never binary data. */
function checkedStep(next: unknown, shown: string): Record<string | number, unknown> {
  if (next === null || typeof next !== "object" || isBinary(next)) {
    throw new BadMessageError(`buffer path ${shown} does not exist in the state`);
  }
  return next as Record<string | number, unknown>;
}

/** Deepest nesting accepted in state received from a frontend (real widget state is a few levels deep). */
export const MAX_STATE_DEPTH = 100;

/**
 * Throws a BadMessageError when `value` nests objects or lists deeper than
 * `limit` levels (checked without recursion, so hostile depth cannot exhaust the stack).
 */
export function checkDepth(value: unknown, what: string, limit = MAX_STATE_DEPTH): void {
  const stack: [unknown, number][] = [[value, 0]];
  while (stack.length > 0) {
    const [node, depth] = stack.pop()!;
    if (node === null || typeof node !== "object" || isBinary(node)) continue;
    if (depth >= limit) throw new BadMessageError(`${what} nests deeper than ${limit} levels`);
    for (const child of Object.values(node)) stack.push([child, depth + 1]);
  }
}
