/**
 * The browser twin of src/tokenizer/files.ts (see ../seams.js): the same JSON helpers, and the folder readers as
 * errors that say what to do instead (a page has no folders: ../src/loadModel.ts builds the tokenizer from its
 * files' contents).
 */
import { TokenizerLoadError } from "../../src/tokenizer/errors";

export { isJsonObject, type JsonObject } from "../../src/tokenizer/json";

/** The error of every folder read in a page. */
function noFolders(dir: string): never {
  throw new TokenizerLoadError(
    dir,
    null,
    "a browser page cannot read folders: load the model and its tokenizer from their bytes (tslensLive.loadModel)",
  );
}

/** Always throws (see noFolders). */
export function checkFolder(dir: string): void {
  noFolders(dir);
}

/** Always throws (see noFolders). */
export function hasFile(dir: string, _name: string): boolean {
  return noFolders(dir);
}

/** Always throws (see noFolders). */
export function readText(dir: string, _name: string): string {
  return noFolders(dir);
}

/** Always throws (see noFolders). */
export function readJsonObject(dir: string, _name: string): never {
  return noFolders(dir);
}

/** Always throws (see noFolders). */
export function readOptionalJsonObject(dir: string, _name: string): never {
  return noFolders(dir);
}
