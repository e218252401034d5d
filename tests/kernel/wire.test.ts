/** Unit tests of the Jupyter wire codec (kernel/wire.ts). */
import assert from "node:assert/strict";
import { createHmac } from "crypto";
import { decode, DELIMITER, encode, JupyterMessage, MessageHeader, Signer, WireError } from "../../kernel/wire";

const KEY = "0123456789abcdef";

function header(msgType = "execute_request"): MessageHeader {
  return {
    msg_id: "m-1",
    msg_type: msgType,
    session: "s-1",
    username: "tests",
    date: "2024-01-01T00:00:00.000Z",
    version: "5.3",
  };
}

function message(extra: Partial<Parameters<typeof encode>[0]> = {}): Parameters<typeof encode>[0] {
  return { header: header(), parent_header: {}, metadata: { m: 1 }, content: { code: "1 + 1" }, ...extra };
}

/** Index of the delimiter frame. */
function delimiterAt(frames: Buffer[]): number {
  const i = frames.findIndex((f) => f.toString("latin1") === DELIMITER);
  assert.ok(i >= 0, "frames contain the delimiter");
  return i;
}

/** Replaces one JSON frame (0 = header … 3 = content) keeping the old signature. */
function withJsonFrame(frames: Buffer[], which: number, value: unknown): Buffer[] {
  const copy = [...frames];
  copy[delimiterAt(frames) + 2 + which] = Buffer.from(JSON.stringify(value));
  return copy;
}

function assertWireError(fn: () => unknown, pattern: RegExp): void {
  assert.throws(fn, (err: unknown) => {
    assert.ok(err instanceof WireError, `expected WireError, got ${String(err)}`);
    assert.match(err.message, pattern);
    return true;
  });
}

describe("kernel/wire", () => {
  describe("signing", () => {
    it("signs the four JSON frames with HMAC-SHA256 in lower-case hex", () => {
      const signer = new Signer(KEY, "hmac-sha256");
      const frames = encode(message(), signer);
      const d = delimiterAt(frames);
      const expected = createHmac("sha256", KEY);
      for (const f of frames.slice(d + 2, d + 6)) expected.update(f);
      assert.equal(frames[d + 1].toString(), expected.digest("hex"));
      assert.equal(signer.enabled, true);
    });

    it("leaves the signature empty without a key and accepts any signature then", () => {
      const signer = new Signer("");
      assert.equal(signer.enabled, false);
      const frames = encode(message(), signer);
      const d = delimiterAt(frames);
      assert.equal(frames[d + 1].length, 0);
      const forged = [...frames];
      forged[d + 1] = Buffer.from("not-a-signature");
      assert.deepEqual(decode(forged, signer).content, { code: "1 + 1" });
    });

    it("supports other HMAC digests named by the scheme", () => {
      const signer = new Signer(KEY, "hmac-sha512");
      const frames = encode(message(), signer);
      const d = delimiterAt(frames);
      const expected = createHmac("sha512", KEY);
      for (const f of frames.slice(d + 2, d + 6)) expected.update(f);
      assert.equal(frames[d + 1].toString(), expected.digest("hex"));
      assert.deepEqual(decode(frames, signer).content, { code: "1 + 1" });
      assertWireError(() => decode(frames, new Signer(KEY, "hmac-sha256")), /signature/);
    });

    it("rejects an unsupported signature scheme", () => {
      assert.throws(() => new Signer(KEY, "sha256"), WireError);
      assert.throws(() => new Signer(KEY, "hmac-nope"), /unsupported signature_scheme "hmac-nope"/);
    });

    it("round-trips a signed message", () => {
      const signer = new Signer(KEY);
      const msg = message({ parent_header: header("parent"), buffers: [new Uint8Array([9, 8, 7])] });
      const decoded = decode(encode(msg, signer), signer);
      assert.deepEqual(decoded.header, msg.header);
      assert.deepEqual(decoded.parent_header, msg.parent_header);
      assert.deepEqual(decoded.metadata, msg.metadata);
      assert.deepEqual(decoded.content, msg.content);
      assert.deepEqual(decoded.identities, []);
      assert.deepEqual(decoded.buffers, [Buffer.from([9, 8, 7])]);
    });

    it("rejects an altered header", () => {
      const signer = new Signer(KEY);
      const frames = withJsonFrame(encode(message(), signer), 0, { ...header(), msg_type: "shutdown_request" });
      assertWireError(() => decode(frames, signer), /signature/);
    });

    it("rejects altered content", () => {
      const signer = new Signer(KEY);
      const frames = withJsonFrame(encode(message(), signer), 3, { code: "process.exit()" });
      assertWireError(() => decode(frames, signer), /signature/);
    });

    it("rejects a message signed with another key, a truncated signature and an empty one", () => {
      const signer = new Signer(KEY);
      const other = encode(message(), new Signer("another key"));
      assertWireError(() => decode(other, signer), /signature/);
      const frames = encode(message(), signer);
      const d = delimiterAt(frames);
      for (const signature of [
        frames[d + 1].subarray(0, 10),
        Buffer.alloc(0),
        Buffer.from(frames[d + 1].toString().toUpperCase()),
      ]) {
        const forged = [...frames];
        forged[d + 1] = signature;
        assertWireError(() => decode(forged, signer), /signature/);
      }
    });

    it("does not sign buffers: altering a buffer keeps the signature valid", () => {
      const signer = new Signer(KEY);
      const frames = encode(message({ buffers: [new Uint8Array([1, 2, 3])] }), signer);
      const plain = encode(message(), signer);
      // Same signature with and without the buffer.
      assert.equal(frames[delimiterAt(frames) + 1].toString(), plain[delimiterAt(plain) + 1].toString());
      const altered = [...frames];
      altered[altered.length - 1] = Buffer.from([3, 2, 1, 0]);
      const decoded = decode(altered, signer);
      assert.deepEqual(decoded.buffers, [Buffer.from([3, 2, 1, 0])]);
    });
  });

  describe("encode", () => {
    it("lays out identities, delimiter, signature, four JSON frames and raw buffers", () => {
      const signer = new Signer(KEY);
      const view = new Uint8Array([0, 1, 2, 3, 4, 5]).subarray(2, 5);
      const frames = encode(
        message({
          identities: [Buffer.from("id-a")],
          buffers: [view, new Uint16Array([1]).buffer, new DataView(new ArrayBuffer(2))],
        }),
        signer,
      );
      assert.equal(frames.length, 1 + 1 + 1 + 4 + 3);
      assert.equal(frames[0].toString(), "id-a");
      assert.equal(frames[1].toString(), DELIMITER);
      assert.deepEqual(JSON.parse(frames[3].toString()), header());
      assert.deepEqual(JSON.parse(frames[4].toString()), {});
      assert.deepEqual(JSON.parse(frames[5].toString()), { m: 1 });
      assert.deepEqual(JSON.parse(frames[6].toString()), { code: "1 + 1" });
      // A view is sent as exactly its own bytes, not its whole backing buffer.
      assert.deepEqual([...frames[7]], [2, 3, 4]);
      assert.deepEqual([...frames[8]], [1, 0]);
      assert.deepEqual([...frames[9]], [0, 0]);
    });
  });

  describe("decode", () => {
    const signer = new Signer(KEY);

    it("returns every identity before the delimiter", () => {
      const ids = [Buffer.from("router-a"), Buffer.from([0, 1, 2, 255]), Buffer.from("router-c")];
      const decoded: JupyterMessage = decode(encode(message({ identities: ids }), signer), signer);
      assert.deepEqual(decoded.identities, ids);
      assert.equal(decoded.header.msg_type, "execute_request");
    });

    it("returns owned copies of identities and buffers", () => {
      const frames = encode(message({ identities: [Buffer.from("id")], buffers: [new Uint8Array([5, 6])] }), signer);
      const decoded = decode(frames, signer);
      frames[0].fill(0);
      frames[frames.length - 1].fill(0);
      assert.equal(decoded.identities[0].toString(), "id");
      assert.deepEqual([...decoded.buffers[0]], [5, 6]);
    });

    it("rejects frames without the delimiter", () => {
      const frames = encode(message(), signer).filter((f) => f.toString() !== DELIMITER);
      assertWireError(() => decode(frames, signer), /delimiter/);
    });

    it("rejects too few frames after the delimiter", () => {
      const frames = encode(message(), signer);
      const d = delimiterAt(frames);
      for (let keep = d + 1; keep < d + 6; keep++) {
        assertWireError(() => decode(frames.slice(0, keep), signer), /expected signature and four JSON frames/);
      }
    });

    for (const [which, name] of [
      [0, "header"],
      [1, "parent_header"],
      [2, "metadata"],
      [3, "content"],
    ] as const) {
      it(`rejects invalid JSON in the ${name} frame (validly signed)`, () => {
        const frames = encode(message(), signer);
        const d = delimiterAt(frames);
        frames[d + 2 + which] = Buffer.from("{not json");
        frames[d + 1] = Buffer.from(signer.sign(frames.slice(d + 2, d + 6)));
        assertWireError(() => decode(frames, signer), new RegExp(`${name} frame is not valid JSON`));
      });
    }

    it("rejects JSON frames that are not objects", () => {
      for (const value of ["[]", "null", "42", '"text"']) {
        const frames = encode(message(), signer);
        const d = delimiterAt(frames);
        frames[d + 4] = Buffer.from(value);
        frames[d + 1] = Buffer.from(signer.sign(frames.slice(d + 2, d + 6)));
        assertWireError(() => decode(frames, signer), /metadata frame must be a JSON object/);
      }
    });

    it("rejects a header without msg_id or msg_type", () => {
      for (const bad of [{ ...header(), msg_type: undefined }, { ...header(), msg_id: 7 }, {}]) {
        const frames = encode(message({ header: bad as unknown as MessageHeader }), signer);
        assertWireError(() => decode(frames, signer), /msg_id or msg_type/);
      }
    });
  });
});
