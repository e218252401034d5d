/**
 * Writes safetensors files for tests, including deliberately broken ones.
 */
import * as fs from "fs";

/** A tensor to write: F32 values (or raw bytes with any dtype label). */
export interface TensorSpec {
  shape: number[];
  values?: Float32Array;
  dtype?: string;
  raw?: Uint8Array;
  /** Override data_offsets (relative to the data region). */
  offsets?: [number, number];
}

/** Builds the bytes of a safetensors file; `headerLength` overrides the 8-byte length field. */
export function safetensorsBytes(tensors: Record<string, TensorSpec>, options: { headerLength?: bigint } = {}): Buffer {
  const header: Record<string, unknown> = {};
  const chunks: Buffer[] = [];
  let offset = 0;
  for (const [name, spec] of Object.entries(tensors)) {
    const data = spec.raw
      ? Buffer.from(spec.raw)
      : Buffer.from((spec.values ?? new Float32Array(spec.shape.reduce((a, b) => a * b, 1))).buffer);
    header[name] = {
      dtype: spec.dtype ?? "F32",
      shape: spec.shape,
      data_offsets: spec.offsets ?? [offset, offset + data.byteLength],
    };
    chunks.push(data);
    offset += data.byteLength;
  }
  const json = Buffer.from(JSON.stringify(header), "utf8");
  const length = Buffer.alloc(8);
  length.writeBigUInt64LE(options.headerLength ?? BigInt(json.byteLength));
  return Buffer.concat([length, json, ...chunks]);
}

/** Writes a safetensors file. */
export function writeSafetensors(
  file: string,
  tensors: Record<string, TensorSpec>,
  options: { headerLength?: bigint } = {},
): void {
  fs.writeFileSync(file, safetensorsBytes(tensors, options));
}
