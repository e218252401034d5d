/**
 * Binary traits: the kernel sends bytes as comm buffers (DataView here); models keep them as
 * Uint8Array views over the same memory.
 */

/** Serializer pair for a bytes trait. */
export const bytesSerializer = {
  deserialize(value: DataView | ArrayBuffer | Uint8Array | null): Uint8Array | null {
    if (value === null || value === undefined) return null;
    if (value instanceof Uint8Array) return value;
    if (value instanceof ArrayBuffer) return new Uint8Array(value);
    return new Uint8Array(value.buffer, value.byteOffset, value.byteLength);
  },
  serialize(value: Uint8Array | null): DataView | null {
    return value === null ? null : new DataView(value.buffer, value.byteOffset, value.byteLength);
  },
};
