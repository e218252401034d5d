/**
 * The parts of a file path that loading messages name, without Node's "path" module (the browser build of the
 * engine has none). Both separators count, as on Windows.
 */

/** Index of the last separator in `file`, or −1. */
function lastSeparator(file: string): number {
  return Math.max(file.lastIndexOf("/"), file.lastIndexOf("\\"));
}

/** The last part of `file` ("model.safetensors" of "/models/x/model.safetensors"). */
export function baseName(file: string): string {
  return file.slice(lastSeparator(file) + 1);
}

/** The folder part of `file` ("/models/x" of "/models/x/model.safetensors"; "." without a folder, "/" at the root). */
export function dirName(file: string): string {
  const at = lastSeparator(file);
  return at < 0 ? "." : at === 0 ? file[0] : file.slice(0, at);
}
