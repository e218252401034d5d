/**
 * The browser twin of src/loading/fileSource.ts (see ../seams.js): a page has no file system, so opening a
 * safetensors file by path is an error that says what to do instead.
 */
import type { ByteSource } from "../../src/loading/byteSource";

/** Always rejects: a page reads safetensors from bytes (SafetensorsFile.fromBytes), never from a path. */
export async function openFileSource(path: string): Promise<ByteSource> {
  throw new Error(`cannot read the file ${path} in a browser page: load the model from its bytes (tslensLive.loadModel)`);
}
