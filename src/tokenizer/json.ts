/**
 * The JSON objects of a tokenizer folder's files, parsed from their text with errors that name the folder and the
 * file. Platform-free: ./files reads the text from disk (Node); the browser build reads it from memory.
 */
import { TokenizerLoadError } from "./errors";

/** A JSON object as parsed from a file (keys to unknown values). */
export type JsonObject = Record<string, unknown>;

/** True when `value` is a plain JSON object (not null, not an array). */
export function isJsonObject(value: unknown): value is JsonObject {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** Parses `text`, the contents of `dir/name`, which must hold a JSON object; throws a TokenizerLoadError otherwise. */
export function parseJsonObject(dir: string, name: string, text: string): JsonObject {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    throw new TokenizerLoadError(dir, name, `invalid JSON (${(err as Error).message})`);
  }
  if (!isJsonObject(value)) {
    const got = value === null ? "null" : Array.isArray(value) ? "a list" : `a ${typeof value}`;
    throw new TokenizerLoadError(dir, name, `invalid: expected a JSON object, got ${got}`);
  }
  return value;
}
