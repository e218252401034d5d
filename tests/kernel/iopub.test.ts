/** IOPub stream coalescing, in process: what reaches the socket, in which order, under which parent. */
import assert from "node:assert/strict";
import { runInContext } from "../../kernel/context";
import { IOPub, STREAM_CHUNK_CHARS } from "../../kernel/iopub";
import { SendQueue, Session } from "../../kernel/session";
import { decode, MessageHeader, Signer } from "../../kernel/wire";

/** A socket that records decoded messages and can announce each arrival. */
class RecordingSocket {
  readonly sent: { type: string; parent: string | undefined; content: Record<string, unknown> }[] = [];
  private waiters: (() => void)[] = [];
  constructor(private readonly signer: Signer) {}
  async send(frames: Buffer[]): Promise<void> {
    const msg = decode(frames, this.signer);
    this.sent.push({ type: msg.header.msg_type, parent: msg.parent_header.msg_id, content: msg.content });
    this.waiters.splice(0).forEach((wake) => wake());
  }
  /** Resolves at the next message. */
  next(): Promise<void> {
    return new Promise((resolve) => this.waiters.push(resolve));
  }
}

function request(id: string): MessageHeader {
  return { msg_id: id, msg_type: "execute_request", session: "s", username: "u", date: "", version: "5.3" };
}

describe("kernel/iopub stream coalescing", () => {
  let socket: RecordingSocket;
  let queue: SendQueue;
  let iopub: IOPub;
  const cell = request("cell-1");

  beforeEach(() => {
    const signer = new Signer("k");
    socket = new RecordingSocket(signer);
    queue = new SendQueue(socket, (err) => assert.fail(String(err)));
    iopub = new IOPub(new Session(signer), queue);
    iopub.lastExecuteRequest = cell;
  });

  afterEach(() => iopub.flush());

  it("joins consecutive writes to one stream into one message", async () => {
    for (let i = 0; i < 1000; i++) iopub.stream("stdout", `${i}\n`);
    await queue.flush();
    assert.equal(socket.sent.length, 0, "nothing is sent while output keeps coming");
    await iopub.flush();
    assert.equal(socket.sent.length, 1);
    assert.deepEqual(socket.sent[0].content, {
      name: "stdout",
      text: Array.from({ length: 1000 }, (_, i) => `${i}\n`).join(""),
    });
    assert.equal(socket.sent[0].parent, "cell-1");
  });

  it("keeps the order of stdout and stderr writes", async () => {
    iopub.stream("stdout", "a\n");
    iopub.stream("stdout", "b\n");
    iopub.stream("stderr", "c\n");
    iopub.stream("stdout", "d\n");
    await iopub.flush();
    assert.deepEqual(
      socket.sent.map((m) => m.content),
      [
        { name: "stdout", text: "a\nb\n" },
        { name: "stderr", text: "c\n" },
        { name: "stdout", text: "d\n" },
      ],
    );
  });

  it("sends output of different requests separately, each under its own parent", async () => {
    iopub.stream("stdout", "cell\n");
    runInContext({ parent: request("comm-1") }, () => iopub.stream("stdout", "callback\n"));
    iopub.stream("stdout", "cell again\n");
    await iopub.flush();
    assert.deepEqual(
      socket.sent.map((m) => [m.parent, m.content.text]),
      [
        ["cell-1", "cell\n"],
        ["comm-1", "callback\n"],
        ["cell-1", "cell again\n"],
      ],
    );
  });

  it("publishes pending output before any other message", async () => {
    iopub.stream("stdout", "first\n");
    await iopub.publish("display_data", { data: {}, metadata: {} });
    iopub.stream("stderr", "second\n");
    await iopub.status("idle", cell);
    assert.deepEqual(
      socket.sent.map((m) => m.type),
      ["stream", "display_data", "stream", "status"],
    );
  });

  it("sends a chunk as soon as it reaches the size limit; a single large write stays whole", async () => {
    const line = "x".repeat(999) + "\n";
    const writes = Math.ceil(STREAM_CHUNK_CHARS / line.length) + 10;
    for (let i = 0; i < writes; i++) iopub.stream("stdout", line);
    await queue.flush();
    assert.equal(socket.sent.length, 1, "the full chunk went out without waiting");
    assert.equal(socket.sent[0].content.text, line.repeat(Math.ceil(STREAM_CHUNK_CHARS / line.length)));
    await iopub.flush();
    assert.equal(socket.sent[1].content.text, line.repeat(10));
    const big = "y".repeat(5 * STREAM_CHUNK_CHARS);
    iopub.stream("stdout", big);
    await queue.flush();
    assert.equal(socket.sent[2].content.text, big);
  });

  it("publishes pending output by itself shortly after the write", async () => {
    const arrived = socket.next();
    iopub.stream("stdout", "later\n");
    await arrived;
    assert.deepEqual(socket.sent[0].content, { name: "stdout", text: "later\n" });
  });

  it("publishes nothing without a parent (stdio sends such writes to the real stream)", async () => {
    iopub.lastExecuteRequest = undefined;
    iopub.stream("stdout", "nowhere\n");
    await iopub.flush();
    assert.equal(socket.sent.length, 0);
  });
});
