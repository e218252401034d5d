/**
 * Reading a Hugging Face tokenizer folder from disk: which files exist and
 * their parsed JSON, with errors that name the folder and the file. The only
 * module of the tokenizer that touches the file system: the browser build of
 * the engine swaps it for src/live/platform, and builds tokenizers from files
 * held in memory (./json parses them the same way).
 */
import * as fs from "fs";
import * as path from "path";
import { TokenizerLoadError } from "./errors";
import { isJsonObject, parseJsonObject, type JsonObject } from "./json";

export { isJsonObject, type JsonObject };

/** Throws a TokenizerLoadError unless `dir` exists and is a directory. */
export function checkFolder(dir: string): void {
  let stat: fs.Stats;
  try {
    stat = fs.statSync(dir);
  } catch {
    throw new TokenizerLoadError(dir, null, "folder does not exist");
  }
  if (!stat.isDirectory()) throw new TokenizerLoadError(dir, null, "not a folder");
}

/** True when `dir/name` exists as a regular file. */
export function hasFile(dir: string, name: string): boolean {
  try {
    return fs.statSync(path.join(dir, name)).isFile();
  } catch {
    return false;
  }
}

/** Reads `dir/name` as UTF-8 text; a read failure becomes a TokenizerLoadError. */
export function readText(dir: string, name: string): string {
  try {
    return fs.readFileSync(path.join(dir, name), "utf8");
  } catch (err) {
    throw new TokenizerLoadError(dir, name, `cannot be read (${(err as Error).message})`);
  }
}

/** Reads and parses `dir/name`, which must hold a JSON object. */
export function readJsonObject(dir: string, name: string): JsonObject {
  return parseJsonObject(dir, name, readText(dir, name));
}

/** Parses `dir/name` when it exists, else returns null. */
export function readOptionalJsonObject(dir: string, name: string): JsonObject | null {
  return hasFile(dir, name) ? readJsonObject(dir, name) : null;
}
