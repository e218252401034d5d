/**
 * A file on disk as a ByteSource (Node's file handles). The only module of safetensors reading that touches the
 * file system: the browser build of the engine swaps it for src/live/platform, where bytes come from memory.
 */
import { promises as fs } from "fs";
import type { ByteSource } from "./byteSource";

/** Opens `path` for reading; throws the file system's error when it cannot. */
export async function openFileSource(path: string): Promise<ByteSource> {
  const handle = await fs.open(path, "r");
  return {
    size: async () => (await handle.stat()).size,
    read: async (into, position) => (await handle.read(into, 0, into.byteLength, position)).bytesRead,
    close: () => handle.close(),
  };
}
