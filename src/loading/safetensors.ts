/**
 * Strict safetensors reader.
 *
 * Layout: 8-byte little-endian header length N, N bytes of JSON header
 * ({name: {dtype, shape, data_offsets: [begin, end]}, "__metadata__"?: {...}}),
 * then the data region; offsets are relative to the start of the data region.
 *
 * The header is validated completely before any tensor is read (length within
 * the file, JSON object, known dtypes, integer shapes, offsets in range, sizes
 * matching shapes, no overlaps). Tensors are read one at a time from their
 * ByteSource (a file on disk, or bytes in memory), so a file is never held in
 * memory whole; F32, F16 and BF16 become Float32Array.
 */
import { ByteSource, memorySource } from "./byteSource";
import { openFileSource } from "./fileSource";

/** Bytes per element of each safetensors dtype. */
const DTYPE_BYTES: Record<string, number> = {
  F64: 8,
  F32: 4,
  F16: 2,
  BF16: 2,
  I64: 8,
  I32: 4,
  I16: 2,
  I8: 1,
  U8: 1,
  BOOL: 1,
};
const FLOAT_DTYPES = new Set(["F32", "F16", "BF16"]);
/** Headers above this size are refused (the format's own reference limit is 100 MB). */
const MAX_HEADER_BYTES = 100 * 1024 * 1024;

/** One tensor's entry in the header. */
export interface TensorEntry {
  dtype: string;
  shape: number[];
  /** Absolute byte range in the file. */
  begin: number;
  end: number;
}

/** A malformed file or an unreadable tensor; the message names the file (and tensor). */
export class SafetensorsError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "SafetensorsError";
  }
}

/** Converts IEEE half-precision bits to a number. */
function halfToFloat(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const exponent = (h >> 10) & 0x1f;
  const fraction = h & 0x3ff;
  if (exponent === 0) return sign * 2 ** -14 * (fraction / 1024);
  if (exponent === 0x1f) return fraction ? NaN : sign * Infinity;
  return sign * 2 ** (exponent - 15) * (1 + fraction / 1024);
}

let halfTable: Float32Array | undefined;
/** Every F16 bit pattern's value (65536 entries, built on first use). */
function halfValues(): Float32Array {
  if (!halfTable) {
    halfTable = new Float32Array(65536);
    for (let h = 0; h < 65536; h++) halfTable[h] = halfToFloat(h);
  }
  return halfTable;
}

/** Whether this machine stores numbers little-endian (as safetensors does). */
const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/** Writes the values of little-endian float bytes of `dtype` into `out` from index `at`. */
function decodeInto(bytes: Uint8Array, dtype: string, out: Float32Array, at: number): void {
  const count = bytes.byteLength / DTYPE_BYTES[dtype];
  const aligned = bytes.byteOffset % DTYPE_BYTES[dtype] === 0;
  if (LITTLE_ENDIAN && aligned && (dtype === "F16" || dtype === "BF16")) {
    const halves = new Uint16Array(bytes.buffer, bytes.byteOffset, count);
    if (dtype === "BF16") {
      const words = new Uint32Array(out.buffer, out.byteOffset + at * 4, count);
      for (let i = 0; i < count; i++) words[i] = halves[i] << 16; // BF16 is the upper half of an fp32
    } else {
      const table = halfValues();
      for (let i = 0; i < count; i++) out[at + i] = table[halves[i]];
    }
    return;
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const words = new Uint32Array(out.buffer, out.byteOffset + at * 4, count);
  if (dtype === "F32") for (let i = 0; i < count; i++) out[at + i] = view.getFloat32(i * 4, true);
  else if (dtype === "F16") for (let i = 0; i < count; i++) out[at + i] = halfToFloat(view.getUint16(i * 2, true));
  else if (dtype === "BF16") for (let i = 0; i < count; i++) words[i] = view.getUint16(i * 2, true) << 16;
  else throw new SafetensorsError(`dtype ${dtype} cannot be read as floating point`);
}

/** Decodes little-endian float bytes of `dtype` into a new Float32Array. */
export function decodeFloats(bytes: Uint8Array, dtype: string): Float32Array {
  if (!FLOAT_DTYPES.has(dtype)) throw new SafetensorsError(`dtype ${dtype} cannot be read as floating point`);
  const out = new Float32Array(bytes.byteLength / DTYPE_BYTES[dtype]);
  decodeInto(bytes, dtype, out, 0);
  return out;
}

/** Half-precision tensors are converted through a scratch buffer of at most this many bytes. */
const CONVERT_CHUNK_BYTES = 8 * 1024 * 1024;
/** One read() call returns at most about 2 GB on Linux; larger tensors are read in several calls. */
const MAX_READ_BYTES = 1024 * 1024 * 1024;

/** Makes the Float32Array a tensor's values are written into (so a caller can choose where they live). */
export type Float32Allocator = (length: number) => Float32Array;

/** An open safetensors file (on disk or in memory) whose header has been validated. */
export class SafetensorsFile {
  private constructor(
    /** The file's path, or the name given to bytes in memory: messages name it. */
    readonly path: string,
    readonly tensors: ReadonlyMap<string, TensorEntry>,
    readonly metadata: Record<string, string>,
    private readonly source: ByteSource,
  ) {}

  /** Opens `path` and validates its header; throws SafetensorsError naming the problem. */
  static async open(path: string): Promise<SafetensorsFile> {
    const source = await openFileSource(path).catch((err: Error) => {
      throw new SafetensorsError(`cannot open ${path}: ${err.message}`);
    });
    return SafetensorsFile.fromSource(path, source);
  }

  /** The safetensors file held in `bytes` (not copied); `name` stands for its path in messages. */
  static async fromBytes(name: string, bytes: Uint8Array): Promise<SafetensorsFile> {
    return SafetensorsFile.fromSource(name, memorySource(bytes));
  }

  /** Validates the header of the file `source` reads (closing it when invalid); `name` names it in messages. */
  static async fromSource(name: string, source: ByteSource): Promise<SafetensorsFile> {
    try {
      const { tensors, metadata } = await readHeader(name, source);
      return new SafetensorsFile(name, tensors, metadata, source);
    } catch (err) {
      await source.close();
      throw err;
    }
  }

  /** Tensor names in file order. */
  names(): string[] {
    return [...this.tensors.keys()];
  }

  /**
   * Reads one floating-point tensor as fp32 values, straight from the file into the array `allocate` returns (F32
   * without an intermediate copy; F16 and BF16 converted through a small scratch buffer).
   */
  async readFloat32(
    name: string,
    allocate: Float32Allocator = (n) => new Float32Array(n),
  ): Promise<{ shape: number[]; values: Float32Array }> {
    const entry = this.tensors.get(name);
    if (!entry) throw new SafetensorsError(`${this.path}: no tensor named "${name}"`);
    if (!FLOAT_DTYPES.has(entry.dtype)) {
      throw new SafetensorsError(`${this.path}: tensor "${name}" has dtype ${entry.dtype}; weights must be F32, F16 or BF16`);
    }
    const width = DTYPE_BYTES[entry.dtype];
    const count = (entry.end - entry.begin) / width;
    const values = allocate(count);
    if (entry.dtype === "F32" && LITTLE_ENDIAN) {
      await this.readRange(name, entry.begin, new Uint8Array(values.buffer, values.byteOffset, count * 4));
      return { shape: entry.shape, values };
    }
    const perChunk = Math.max(1, Math.floor(CONVERT_CHUNK_BYTES / width));
    const scratch = new Uint8Array(Math.min(count, perChunk) * width);
    for (let first = 0; first < count; first += perChunk) {
      const n = Math.min(perChunk, count - first);
      const bytes = scratch.subarray(0, n * width);
      await this.readRange(name, entry.begin + first * width, bytes);
      decodeInto(bytes, entry.dtype, values, first);
    }
    return { shape: entry.shape, values };
  }

  /** Fills `into` with the file's bytes from `position`; a short read is a truncated tensor, named with the file. */
  private async readRange(name: string, position: number, into: Uint8Array): Promise<void> {
    let done = 0;
    while (done < into.byteLength) {
      const length = Math.min(MAX_READ_BYTES, into.byteLength - done);
      const bytesRead = await this.source.read(into.subarray(done, done + length), position + done).catch((err: Error) => {
        throw new SafetensorsError(`${this.path}: cannot read tensor "${name}": ${err.message}`);
      });
      if (bytesRead === 0) {
        const entry = this.tensors.get(name)!;
        const total = entry.end - entry.begin;
        const got = position - entry.begin + done;
        throw new SafetensorsError(
          `${this.path}: tensor "${name}" is truncated (the file ends after ${got} of its ${total} bytes)`,
        );
      }
      done += bytesRead;
    }
  }

  /** Reads one integer tensor (I32, or I64 within ±2^53) as an Int32Array, e.g. token ids. */
  async readInt32(name: string): Promise<{ shape: number[]; values: Int32Array }> {
    const entry = this.tensors.get(name);
    if (!entry) throw new SafetensorsError(`${this.path}: no tensor named "${name}"`);
    if (entry.dtype !== "I32" && entry.dtype !== "I64")
      throw new SafetensorsError(`${this.path}: tensor "${name}" has dtype ${entry.dtype}, not I32/I64`);
    const bytes = new Uint8Array(entry.end - entry.begin);
    const bytesRead = await this.source.read(bytes, entry.begin);
    if (bytesRead !== bytes.byteLength) throw new SafetensorsError(`${this.path}: tensor "${name}" is truncated`);
    const view = new DataView(bytes.buffer);
    const count = bytes.byteLength / DTYPE_BYTES[entry.dtype];
    const values = new Int32Array(count);
    for (let i = 0; i < count; i++)
      values[i] = entry.dtype === "I32" ? view.getInt32(i * 4, true) : Number(view.getBigInt64(i * 8, true));
    return { shape: entry.shape, values };
  }

  /** Releases the file handle (nothing for bytes in memory). */
  async close(): Promise<void> {
    await this.source.close();
  }
}

async function readHeader(
  path: string,
  source: ByteSource,
): Promise<{ tensors: Map<string, TensorEntry>; metadata: Record<string, string> }> {
  const fail = (why: string): never => {
    throw new SafetensorsError(`${path}: ${why}`);
  };
  const size = await source.size();
  if (size < 8) fail(`file is ${size} bytes, too short for the 8-byte header length`);
  const lengthBytes = new Uint8Array(8);
  await source.read(lengthBytes, 0);
  const headerLength = new DataView(lengthBytes.buffer).getBigUint64(0, true);
  if (headerLength > BigInt(size - 8)) fail(`header length ${headerLength} runs past the end of the file (${size} bytes)`);
  if (headerLength > BigInt(MAX_HEADER_BYTES)) fail(`header length ${headerLength} exceeds ${MAX_HEADER_BYTES} bytes`);
  const headerBytes = new Uint8Array(Number(headerLength));
  await source.read(headerBytes, 8);
  let header: unknown;
  try {
    header = JSON.parse(new TextDecoder("utf-8", { ignoreBOM: true }).decode(headerBytes));
  } catch (err) {
    fail(`header is not valid JSON (${(err as Error).message})`);
  }
  if (header === null || typeof header !== "object" || Array.isArray(header)) fail("header is not a JSON object");
  const dataStart = 8 + Number(headerLength);
  const dataSize = size - dataStart;
  const tensors = new Map<string, TensorEntry>();
  let metadata: Record<string, string> = {};
  const ranges: [number, number, string][] = [];
  for (const [name, raw] of Object.entries(header as Record<string, unknown>)) {
    if (name === "__metadata__") {
      metadata = (raw ?? {}) as Record<string, string>;
      continue;
    }
    const entry = raw as { dtype?: unknown; shape?: unknown; data_offsets?: unknown };
    if (entry === null || typeof entry !== "object") fail(`entry "${name}" is not an object`);
    const { dtype, shape, data_offsets: offsets } = entry;
    if (typeof dtype !== "string" || !(dtype in DTYPE_BYTES)) fail(`tensor "${name}" has unknown dtype ${JSON.stringify(dtype)}`);
    if (!Array.isArray(shape) || !shape.every((d) => Number.isSafeInteger(d) && d >= 0)) {
      fail(`tensor "${name}" has an invalid shape ${JSON.stringify(shape)}`);
    }
    if (!Array.isArray(offsets) || offsets.length !== 2 || !offsets.every((o) => Number.isSafeInteger(o) && o >= 0)) {
      fail(`tensor "${name}" has invalid data_offsets ${JSON.stringify(offsets)}`);
    }
    const [begin, end] = offsets as [number, number];
    if (end < begin) fail(`tensor "${name}" has data_offsets [${begin}, ${end}] that end before they begin`);
    if (end > dataSize) fail(`tensor "${name}" has data_offsets [${begin}, ${end}] past the end of the data (${dataSize} bytes)`);
    const expected = (shape as number[]).reduce((a, b) => a * b, 1) * DTYPE_BYTES[dtype as string];
    if (end - begin !== expected) {
      fail(`tensor "${name}" has ${end - begin} bytes but its shape ${JSON.stringify(shape)} of ${dtype} needs ${expected}`);
    }
    ranges.push([begin, end, name]);
    tensors.set(name, { dtype: dtype as string, shape: shape as number[], begin: dataStart + begin, end: dataStart + end });
  }
  ranges.sort((a, b) => a[0] - b[0] || a[1] - b[1]);
  for (let i = 1; i < ranges.length; i++) {
    const [prevBegin, prevEnd, prevName] = ranges[i - 1];
    const [begin, , name] = ranges[i];
    if (begin < prevEnd && prevEnd > prevBegin) fail(`tensors "${prevName}" and "${name}" overlap in the data region`);
  }
  return { tensors, metadata };
}
