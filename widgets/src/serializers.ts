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

/** Serializer pair for a float32 trait (copied out of the message, so the array is aligned). */
export const floatsSerializer = {
  deserialize(value: DataView | null): Float32Array | null {
    if (!value) return null;
    return new Float32Array(value.buffer.slice(value.byteOffset, value.byteOffset + value.byteLength));
  },
  serialize(value: Float32Array | null): DataView | null {
    return value ? new DataView(value.buffer, value.byteOffset, value.byteLength) : null;
  },
};
