/**
 * Where a safetensors file's bytes come from: a file on disk read piece by piece (Node, ./fileSource) or bytes
 * already in memory (a browser page's embedded model). The reader only ever asks for ranges, so a large file on
 * disk is never held whole.
 */

/** Random access to a byte sequence. */
export interface ByteSource {
  /** The total number of bytes. */
  size(): Promise<number>;
  /** Copies bytes from `position` into `into`; returns how many were copied (fewer only at the end, 0 past it). */
  read(into: Uint8Array, position: number): Promise<number>;
  /** Releases what the source holds open (a file handle); reading afterwards is an error. */
  close(): Promise<void>;
}

/** A ByteSource over `bytes` in memory (not copied). */
export function memorySource(bytes: Uint8Array): ByteSource {
  return {
    size: async () => bytes.byteLength,
    read: async (into, position) => {
      const count = Math.max(0, Math.min(into.byteLength, bytes.byteLength - position));
      into.set(bytes.subarray(position, position + count));
      return count;
    },
    close: async () => undefined,
  };
}
