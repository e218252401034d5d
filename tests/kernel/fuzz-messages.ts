/**
 * Hostile Jupyter messages for the kernel fuzz test, drawn from a seeded PRNG
 * so a failing run can be replayed exactly (same seed → same frames).
 */
import { createHmac } from "crypto";
import { DELIMITER } from "../../kernel/wire";

/** A deterministic PRNG (mulberry32) with the helpers the generators need. */
export class Rng {
  private state: number;

  constructor(seed: number) {
    this.state = seed >>> 0;
  }

  /** Uniform in [0, 1). */
  next(): number {
    this.state = (this.state + 0x6d2b79f5) >>> 0;
    let t = this.state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }

  /** Integer in [0, n). */
  int(n: number): number {
    return Math.floor(this.next() * n);
  }

  /** True with probability p. */
  chance(p: number): boolean {
    return this.next() < p;
  }

  /** One element of a list. */
  pick<T>(items: readonly T[]): T {
    return items[this.int(items.length)];
  }

  /** `n` random bytes. */
  bytes(n: number): Buffer {
    return Buffer.from(Array.from({ length: n }, () => this.int(256)));
  }

  /** A short random string, sometimes with control characters, quotes or non-ASCII text. */
  text(max = 12): string {
    const alphabet = "ab_$-.:/\\\"'{}[]<>%\u0000\n\u00e9\u4e2d\ud83d\ude00";
    return Array.from({ length: this.int(max + 1) }, () => this.pick([...alphabet])).join("");
  }
}

/** Names that resolve to something on Object.prototype, Function or Array when used as keys. */
export const PROTOTYPE_NAMES = [
  "__proto__",
  "constructor",
  "prototype",
  "toString",
  "valueOf",
  "hasOwnProperty",
  "isPrototypeOf",
  "propertyIsEnumerable",
  "toLocaleString",
  "__defineGetter__",
  "__defineSetter__",
  "__lookupGetter__",
  "length",
] as const;

/** A JSON value of odd shape: prototype-named keys, wrong types, deep or long values. */
export function oddValue(rng: Rng, depth = 0): unknown {
  const kind = rng.int(depth > 3 ? 6 : 9);
  switch (kind) {
    case 0:
      return null;
    case 1:
      return rng.pick([0, -1, 1.5, 1e308, -0, 2 ** 53 + 1, 2 ** 31]);
    case 2:
      return rng.text();
    case 3:
      return rng.chance(0.5);
    case 4:
      return rng.pick(PROTOTYPE_NAMES);
    case 5:
      return rng.chance(0.9) ? "" : "z".repeat(1 + rng.int(50_000));
    case 6:
      return Array.from({ length: rng.int(4) }, () => oddValue(rng, depth + 1));
    default: {
      const entries = Array.from({ length: 1 + rng.int(4) }, () => [
        rng.chance(0.5) ? rng.pick(PROTOTYPE_NAMES) : rng.text(6),
        oddValue(rng, depth + 1),
      ]);
      return Object.fromEntries(entries);
    }
  }
}

/** JSON text of `value`, or of a deeply nested list/object (built as text: no recursion anywhere). */
export function oddJson(rng: Rng): string {
  if (rng.chance(0.05)) {
    const depth = rng.pick([150, 5_000, 50_000]);
    return rng.chance(0.5)
      ? `{"a":${"[".repeat(depth)}${"]".repeat(depth)}}`
      : `{"a":${'{"b":'.repeat(depth)}1${"}".repeat(depth)}}`;
  }
  const value = oddValue(rng);
  return JSON.stringify(value !== null && typeof value === "object" && !Array.isArray(value) ? value : { value });
}

/** Everything needed to sign frames for one kernel connection. */
export interface Signing {
  key: string;
  session: string;
}

let counter = 0;

/** A fresh request header as JSON text (msg_type may be anything). */
export function headerJson(signing: Signing, msgType: string, msgId = `fuzz-${++counter}-${Date.now()}`): string {
  return JSON.stringify({
    msg_id: msgId,
    msg_type: msgType,
    session: signing.session,
    username: "fuzz",
    date: new Date().toISOString(),
    version: "5.3",
  });
}

/** HMAC-SHA256 of the four JSON frames. */
export function sign(key: string, jsonFrames: Buffer[]): string {
  const hmac = createHmac("sha256", key);
  for (const frame of jsonFrames) hmac.update(frame);
  return hmac.digest("hex");
}

/** Wire frames from JSON texts, signed with `key` (or carrying `signature` as given). */
export function framesOf(
  parts: { header: string; parent?: string; metadata?: string; content: string },
  key: string,
  options: { buffers?: Buffer[]; signature?: string; identities?: Buffer[] } = {},
): Buffer[] {
  const json = [parts.header, parts.parent ?? "{}", parts.metadata ?? "{}", parts.content].map((t) => Buffer.from(t, "utf8"));
  return [
    ...(options.identities ?? []),
    Buffer.from(DELIMITER, "latin1"),
    Buffer.from(options.signature ?? sign(key, json), "utf8"),
    ...json,
    ...(options.buffers ?? []),
  ];
}

/** Frames that are not a valid message: garbage, no delimiter, too few frames, broken or unsigned JSON. */
export function brokenFrames(rng: Rng, signing: Signing): Buffer[] {
  const good = () => framesOf({ header: headerJson(signing, "kernel_info_request"), content: "{}" }, signing.key);
  switch (rng.int(7)) {
    case 0:
      return Array.from({ length: 1 + rng.int(6) }, () => rng.bytes(rng.int(48)));
    case 1: {
      const frames = Array.from({ length: rng.int(8) }, () => rng.bytes(rng.int(24)));
      frames.splice(rng.int(frames.length + 1), 0, Buffer.from(DELIMITER));
      return frames;
    }
    case 2:
      return good().slice(0, 1 + rng.int(5));
    case 3: {
      const frames = good();
      frames[1] = rng.pick([Buffer.alloc(0), rng.bytes(32), Buffer.from(sign("wrong key", frames.slice(2, 6)))]);
      return frames;
    }
    case 4: {
      // Validly signed, but one JSON frame is broken or not an object.
      const texts = ["{}", "{}", "{}", "{}"];
      texts[0] = headerJson(signing, "kernel_info_request");
      texts[rng.int(4)] = rng.pick(["{oops", "null", "[]", '"text"', "7", "", '{"a":', "\u0000"]);
      return framesOf({ header: texts[0], parent: texts[1], metadata: texts[2], content: texts[3] }, signing.key);
    }
    case 5:
      // A header without msg_id or msg_type (or with the wrong types).
      return framesOf(
        {
          header: JSON.stringify(rng.pick([{}, { msg_type: 5, msg_id: "x" }, { msg_id: null, msg_type: "kernel_info_request" }])),
          content: "{}",
        },
        signing.key,
      );
    default: {
      // Content altered after signing.
      const frames = good();
      frames[5] = Buffer.from(oddJson(rng));
      return frames;
    }
  }
}

/** A buffer_paths value of odd shape, and a buffer count that may not match it. */
export function oddBufferPaths(rng: Rng): { paths: unknown; buffers: Buffer[] } {
  const segment = () => rng.pick<unknown>([...PROTOTYPE_NAMES, "value", "payload", 0, -1, 1.5, 99, null, {}, [], true]);
  const path = () => Array.from({ length: rng.int(5) }, segment);
  const paths = rng.pick<() => unknown>([
    () => [["__proto__", "polluted"]],
    () => [["constructor", "prototype", "polluted"]],
    () => [["payload", "__proto__", "polluted"]],
    () => Array.from({ length: 1 + rng.int(3) }, path),
    () => rng.pick([null, "payload", 5, {}, [null], [[]], [{ a: 1 }]]),
    () => [["payload"]],
  ])();
  const count = Array.isArray(paths) && rng.chance(0.6) ? paths.length : rng.int(4);
  return { paths, buffers: Array.from({ length: count }, () => rng.bytes(rng.int(16))) };
}
