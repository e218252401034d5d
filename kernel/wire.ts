/**
 * Jupyter wire codec: turns ZeroMQ multipart frames into messages and back.
 *
 *   [ident…] "<IDS|MSG>" signature header parent_header metadata content [buffer…]
 *
 * The signature is an HMAC over exactly the four JSON frames; buffers are raw bytes,
 * neither signed nor JSON-encoded. An empty key means "unsigned".
 */
import { createHmac, getHashes, timingSafeEqual } from "crypto";

export const DELIMITER = "<IDS|MSG>";

/** The header every Jupyter message carries. */
export interface MessageHeader {
  msg_id: string;
  msg_type: string;
  session: string;
  username: string;
  date: string;
  version: string;
  [extra: string]: unknown;
}

/** A decoded Jupyter message. `parent_header` is `{}` when there is no parent. */
export interface JupyterMessage {
  identities: Buffer[];
  header: MessageHeader;
  parent_header: MessageHeader | Record<string, never>;
  metadata: Record<string, unknown>;
  content: Record<string, unknown>;
  buffers: Buffer[];
}

/** Why a frame list could not be decoded. */
export class WireError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "WireError";
  }
}

/** Computes and checks HMAC signatures for one connection key. */
export class Signer {
  private readonly key: Buffer;
  private readonly algorithm: string;

  /** `scheme` is the connection file's `signature_scheme`, e.g. "hmac-sha256". */
  constructor(key: string, scheme = "hmac-sha256") {
    this.key = Buffer.from(key, "utf8");
    const digest = scheme.startsWith("hmac-") ? scheme.slice("hmac-".length) : "";
    if (!getHashes().includes(digest)) {
      throw new WireError(`unsupported signature_scheme "${scheme}" (expected hmac-<digest>, e.g. hmac-sha256)`);
    }
    this.algorithm = digest;
  }

  /** True when messages are signed at all (non-empty key). */
  get enabled(): boolean {
    return this.key.length > 0;
  }

  /** Lower-case hex signature over the four JSON frames, or "" without a key. */
  sign(jsonFrames: Buffer[]): string {
    if (!this.enabled) return "";
    const hmac = createHmac(this.algorithm, this.key);
    for (const frame of jsonFrames) hmac.update(frame);
    return hmac.digest("hex");
  }

  /** Constant-time check of a received signature. Always true without a key. */
  verify(signature: string, jsonFrames: Buffer[]): boolean {
    if (!this.enabled) return true;
    const expected = Buffer.from(this.sign(jsonFrames), "utf8");
    const actual = Buffer.from(signature, "utf8");
    return expected.length === actual.length && timingSafeEqual(expected, actual);
  }
}

/** Copies a frame so later pooled-buffer reuse by the socket cannot change it. */
function ownBytes(frame: Buffer): Buffer {
  return Buffer.from(frame.buffer.slice(frame.byteOffset, frame.byteOffset + frame.byteLength));
}

function parseJsonFrame(frame: Buffer, name: string): Record<string, unknown> {
  let value: unknown;
  try {
    value = JSON.parse(frame.toString("utf8"));
  } catch (err) {
    throw new WireError(`${name} frame is not valid JSON: ${(err as Error).message}`);
  }
  if (value === null || typeof value !== "object" || Array.isArray(value)) {
    throw new WireError(`${name} frame must be a JSON object`);
  }
  return value as Record<string, unknown>;
}

/** Where a receiver remembers signatures it has seen (see DigestHistory in session.ts). */
export interface SignatureHistory {
  /** Records a signature; false when it was seen before. */
  add(signature: string): boolean;
}

/** A client-chosen string quoted for an error message, cut to a readable length. */
function quoted(text: string, max = 100): string {
  return JSON.stringify(text.length > max ? `${text.slice(0, max)}…` : text);
}

/**
 * Decodes frames received on a socket; throws WireError on malformed input or a
 * bad signature. With `history` and a signing key, a message whose signature
 * was already received is rejected as a replay (the error names its msg_id and type).
 */
export function decode(frames: Buffer[], signer: Signer, history?: SignatureHistory): JupyterMessage {
  const delimiterIndex = frames.findIndex((f) => f.length === DELIMITER.length && f.toString("latin1") === DELIMITER);
  if (delimiterIndex < 0) throw new WireError("missing <IDS|MSG> delimiter");
  if (frames.length < delimiterIndex + 6) {
    throw new WireError(
      `expected signature and four JSON frames after the delimiter, got ${frames.length - delimiterIndex - 1} frames`,
    );
  }
  const signature = frames[delimiterIndex + 1].toString("utf8");
  const jsonFrames = frames.slice(delimiterIndex + 2, delimiterIndex + 6);
  if (!signer.verify(signature, jsonFrames)) throw new WireError("invalid message signature");
  const header = parseJsonFrame(jsonFrames[0], "header");
  if (typeof header.msg_type !== "string" || typeof header.msg_id !== "string") {
    throw new WireError("header lacks msg_id or msg_type");
  }
  if (history && signer.enabled && !history.add(signature)) {
    throw new WireError(
      `replayed message: signature already seen (msg_id ${quoted(header.msg_id)}, msg_type ${quoted(header.msg_type)})`,
    );
  }
  return {
    identities: frames.slice(0, delimiterIndex).map(ownBytes),
    header: header as MessageHeader,
    parent_header: parseJsonFrame(jsonFrames[1], "parent_header") as JupyterMessage["parent_header"],
    metadata: parseJsonFrame(jsonFrames[2], "metadata"),
    content: parseJsonFrame(jsonFrames[3], "content"),
    buffers: frames.slice(delimiterIndex + 6).map(ownBytes),
  };
}

/** Bytes that may travel as a buffer frame. */
export type BufferLike = ArrayBuffer | ArrayBufferView;

/** Tightly packed bytes of any buffer-like value (no pooled offsets leak out). */
export function toBuffer(data: BufferLike): Buffer {
  if (data instanceof ArrayBuffer) return Buffer.from(data);
  return Buffer.from(data.buffer, data.byteOffset, data.byteLength);
}

/** Encodes a message into frames, signing the four JSON frames. */
export function encode(
  msg: Omit<JupyterMessage, "buffers" | "identities"> & { identities?: Buffer[]; buffers?: BufferLike[] },
  signer: Signer,
): Buffer[] {
  const jsonFrames = [msg.header, msg.parent_header, msg.metadata, msg.content].map((part) =>
    Buffer.from(JSON.stringify(part), "utf8"),
  );
  return [
    ...(msg.identities ?? []),
    Buffer.from(DELIMITER, "latin1"),
    Buffer.from(signer.sign(jsonFrames), "utf8"),
    ...jsonFrames,
    ...(msg.buffers ?? []).map(toBuffer),
  ];
}
