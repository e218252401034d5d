/** Send queue backpressure and the replay guard (digest history), in process. */
import assert from "node:assert/strict";
import { DIGEST_HISTORY_SIZE, DigestHistory, SendQueue, Session } from "../../kernel/session";
import { decode, encode, Signer } from "../../kernel/wire";

/** An EAGAIN error as zeromq.js gives it when a non-dropping socket is at its high-water mark. */
function eagain(): Error {
  return Object.assign(new Error("Operation was not possible or timed out"), { code: "EAGAIN", errno: 11 });
}

describe("kernel/session", () => {
  describe("SendQueue", () => {
    it("sends again what a full peer refused (EAGAIN), keeping order and dropping nothing", async () => {
      const delivered: string[] = [];
      const refused = new Map<string, number>();
      let refusals = 0;
      const socket = {
        closed: false,
        async send(frames: Buffer[]) {
          // Every third message is refused twice before it fits.
          const name = frames[0].toString();
          if (Number(name) % 3 === 1 && (refused.get(name) ?? 0) < 2) {
            refused.set(name, (refused.get(name) ?? 0) + 1);
            refusals++;
            throw eagain();
          }
          delivered.push(name);
        },
      };
      const errors: unknown[] = [];
      const queue = new SendQueue(socket, (err) => errors.push(err));
      for (let i = 0; i < 30; i++) void queue.send([Buffer.from(String(i))]);
      await queue.flush();
      assert.equal(refusals, 20);
      assert.deepEqual(
        delivered,
        Array.from({ length: 30 }, (_, i) => String(i)),
      );
      assert.deepEqual(errors, []);
    });

    it("reports other errors and goes on with the next message", async () => {
      const delivered: string[] = [];
      const socket = {
        async send(frames: Buffer[]) {
          if (frames[0].toString() === "bad") throw Object.assign(new Error("Host unreachable"), { code: "EHOSTUNREACH" });
          delivered.push(frames[0].toString());
        },
      };
      const errors: string[] = [];
      const queue = new SendQueue(socket, (err) => errors.push((err as Error).message));
      void queue.send([Buffer.from("a")]);
      void queue.send([Buffer.from("bad")]);
      await queue.send([Buffer.from("b")]);
      assert.deepEqual(delivered, ["a", "b"]);
      assert.deepEqual(errors, ["Host unreachable"]);
    });

    it("stops waiting for a peer that reads nothing: sends past it until sends go through again", async () => {
      // A publisher whose one subscriber is full: with noDrop on, sends fail; off, they pass (that subscriber misses them).
      let noDrop = true;
      let subscriberFull = true;
      const delivered: string[] = [];
      const socket = {
        async send(frames: Buffer[]) {
          if (noDrop && subscriberFull) throw eagain();
          delivered.push(`${frames[0]}${noDrop ? "" : " (skipped the full subscriber)"}`);
        },
      };
      const events: string[] = [];
      const queue = new SendQueue(socket, (err) => assert.fail(String(err)), {
        patienceMs: 30,
        setNoDrop: (on) => (noDrop = on),
        onStall: () => events.push("stall"),
        onRecover: (passed) => events.push(`recover after ${passed}`),
      });
      for (const name of ["a", "b", "c"]) void queue.send([Buffer.from(name)]);
      await queue.flush();
      assert.deepEqual(delivered, [
        "a (skipped the full subscriber)",
        "b (skipped the full subscriber)",
        "c (skipped the full subscriber)",
      ]);
      assert.equal(noDrop, true, "noDrop is back on after each send");
      subscriberFull = false;
      await queue.send([Buffer.from("d")]);
      assert.equal(delivered.at(-1), "d");
      assert.deepEqual(events, ["stall", "recover after 3"]);
    });

    it("gives up on a closed socket instead of retrying forever", async () => {
      const socket = { closed: true, send: async () => Promise.reject(eagain()) };
      const errors: unknown[] = [];
      await new SendQueue(socket, (err) => errors.push(err)).send([Buffer.from("x")]);
      assert.equal(errors.length, 1);
    });
  });

  describe("DigestHistory", () => {
    it("holds as many signatures as jupyter_client's digest_history_size (2**16)", () => {
      assert.equal(DIGEST_HISTORY_SIZE, 65536);
      assert.equal(new DigestHistory().limit, 65536);
    });

    it("refuses a signature it has seen and forgets the oldest beyond its limit", () => {
      const history = new DigestHistory(3);
      for (const sig of ["a", "b", "c"]) assert.equal(history.add(sig), true);
      assert.equal(history.add("b"), false);
      assert.equal(history.add("d"), true);
      assert.equal(history.size, 3);
      assert.equal(history.add("a"), true, "the oldest was forgotten");
      assert.equal(history.add("d"), false);
    });
  });

  describe("decode with a digest history", () => {
    const frames = (signer: Signer, msgId = "m-1") =>
      encode(
        {
          header: { msg_id: msgId, msg_type: "execute_request", session: "s", username: "u", date: "", version: "5.3" },
          parent_header: {},
          metadata: {},
          content: { code: "1" },
        },
        signer,
      );

    it("rejects a replayed signed message, naming it", () => {
      const session = new Session(new Signer("key"));
      const first = frames(session.signer);
      decode(first, session.signer, session.digests);
      assert.throws(
        () => decode(first, session.signer, session.digests),
        /replayed message: signature already seen \(msg_id "m-1", msg_type "execute_request"\)/,
      );
      decode(frames(session.signer, "m-2"), session.signer, session.digests);
    });

    it("does not record messages with a bad signature", () => {
      const session = new Session(new Signer("key"));
      const forged = frames(new Signer("other"));
      const withRealSignature = frames(session.signer);
      forged[1] = withRealSignature[1];
      forged[2] = Buffer.from(forged[2].toString().replace("m-1", "m-9"));
      assert.throws(() => decode(forged, session.signer, session.digests), /invalid message signature/);
      assert.equal(session.digests.size, 0);
      decode(withRealSignature, session.signer, session.digests);
    });

    it("tracks nothing on an unsigned session (empty key)", () => {
      const session = new Session(new Signer(""));
      const unsigned = frames(session.signer);
      decode(unsigned, session.signer, session.digests);
      decode(unsigned, session.signer, session.digests);
      assert.equal(session.digests.size, 0);
    });
  });
});
