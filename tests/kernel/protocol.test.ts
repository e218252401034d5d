/** Jupyter protocol tests against a real kernel process. */
import assert from "node:assert/strict";
import { randomUUID } from "crypto";
import { encode, Signer } from "../../kernel/wire";
import { KernelClient, Received } from "./client";

const types = (msgs: Received[]) =>
  msgs.map((m) => (m.header.msg_type === "status" ? `status:${m.content.execution_state}` : m.header.msg_type));

/** Asserts the IOPub messages of a request are busy, `middle`…, idle, all parented to it. */
function assertFramed(iopub: Received[], msgId: string, middle: string[]): void {
  assert.deepEqual(types(iopub), ["status:busy", ...middle, "status:idle"]);
  for (const m of iopub) assert.equal(m.parent_header.msg_id, msgId, `${m.header.msg_type} is parented to the request`);
}

/** Frames of a validly framed message, optionally signed with another signer. */
function frames(
  client: KernelClient,
  msgType: string,
  content: Record<string, unknown>,
  signer = client.signer,
): { msgId: string; frames: Buffer[] } {
  const header = client.header(msgType);
  return { msgId: header.msg_id, frames: encode({ header, parent_header: {}, metadata: {}, content }, signer) };
}

describe("kernel protocol", function () {
  this.timeout(120_000);
  let k: KernelClient;

  before(async () => {
    k = await KernelClient.start();
  });

  after(async () => {
    await k?.stop();
  });

  /** Asserts the kernel still answers on shell. */
  async function assertAlive(): Promise<void> {
    const { reply } = await k.roundTrip("shell", "kernel_info_request", {});
    assert.equal(reply?.content.status, "ok");
  }

  describe("kernel_info", () => {
    it("replies ok with protocol 5.3, framed by busy/idle, under one kernel session", async () => {
      const { msgId, iopub, reply } = await k.roundTrip("shell", "kernel_info_request", {});
      assert.ok(reply);
      assert.equal(reply.channel, "shell");
      assert.equal(reply.header.msg_type, "kernel_info_reply");
      assert.equal(reply.content.status, "ok");
      assert.equal(reply.content.protocol_version, "5.3");
      assert.equal(reply.content.implementation, "tslens");
      assert.equal((reply.content.language_info as Record<string, unknown>).name, "typescript");
      assert.equal((reply.content.language_info as Record<string, unknown>).file_extension, ".ts");
      assertFramed(iopub, msgId, []);
      for (const m of [reply, ...iopub]) {
        assert.equal(m.header.session, reply.header.session);
        assert.notEqual(m.header.session, k.clientSession);
        assert.equal(m.header.username, "kernel");
        assert.equal(m.header.version, "5.3");
        assert.match(m.signature, /^[0-9a-f]{64}$/);
      }
    });
  });

  describe("execute", () => {
    it("publishes execute_input, stream and execute_result in order, parented to the request", async () => {
      const code = 'console.log("hi"); 1 + 1';
      const { msgId, iopub, reply } = await k.execute(code);
      assertFramed(iopub, msgId, ["execute_input", "stream", "execute_result"]);
      const [, input, stream, result] = iopub;
      assert.equal(input.content.code, code);
      assert.deepEqual(stream.content, { name: "stdout", text: "hi\n" });
      assert.deepEqual(result.content.data, { "text/plain": "2" });
      assert.ok(reply);
      assert.equal(reply.header.msg_type, "execute_reply");
      assert.equal(reply.content.status, "ok");
      assert.equal(typeof reply.content.execution_count, "number");
      assert.equal(input.content.execution_count, reply.content.execution_count);
      assert.equal(result.content.execution_count, reply.content.execution_count);
    });

    it("counts executions and keeps state between cells", async () => {
      const first = await k.execute("const kept = 41;");
      const second = await k.execute("kept + 1");
      assert.equal(second.reply?.content.execution_count, (first.reply?.content.execution_count as number) + 1);
      assert.deepEqual(types(second.outputs), ["execute_result"]);
      assert.equal((second.outputs[0].content.data as Record<string, unknown>)["text/plain"], "42");
    });

    it("keeps output of an awaiting cell in order and parented to it", async () => {
      const { msgId, iopub, reply } = await k.execute(
        'console.log("a"); await new Promise((r) => setTimeout(r, 50)); console.log("b"); "done"',
      );
      assertFramed(iopub, msgId, ["execute_input", "stream", "stream", "execute_result"]);
      assert.deepEqual(
        iopub.filter((m) => m.header.msg_type === "stream").map((m) => m.content.text),
        ["a\n", "b\n"],
      );
      assert.equal((iopub[4].content.data as Record<string, unknown>)["text/plain"], "'done'");
      assert.equal(reply?.content.status, "ok");
    });

    it("reports a runtime error on IOPub and in the reply, after earlier output", async () => {
      const { msgId, iopub, reply } = await k.execute('console.log("before"); throw new Error("boom")');
      assertFramed(iopub, msgId, ["execute_input", "stream", "error"]);
      const error = iopub[3].content;
      assert.equal(error.ename, "Error");
      assert.equal(error.evalue, "boom");
      assert.ok(Array.isArray(error.traceback) && error.traceback.every((line) => typeof line === "string"));
      assert.equal((error.traceback as string[])[0], "Error: boom");
      assert.ok(reply);
      assert.equal(reply.content.status, "error");
      assert.equal(reply.content.ename, "Error");
      assert.equal(reply.content.evalue, "boom");
      assert.equal(typeof reply.content.execution_count, "number");
    });

    it("reports a compile error without running the cell", async () => {
      const { msgId, iopub, reply } = await k.execute('console.log("ran"); const n: number = "text";');
      assertFramed(iopub, msgId, ["execute_input", "error"]);
      assert.equal(iopub[2].content.ename, "CompileError");
      assert.match(String(iopub[2].content.evalue), /not assignable to type 'number'/);
      assert.equal(reply?.content.status, "error");
      assert.equal(reply?.content.ename, "CompileError");
    });

    it("publishes neither execute_input nor execute_result for a silent cell", async () => {
      const before = await k.execute("1");
      const { msgId, iopub, reply } = await k.execute("2 + 2", { silent: true });
      assertFramed(iopub, msgId, []);
      assert.equal(reply?.content.status, "ok");
      const after = await k.execute("3");
      assert.equal(
        after.reply?.content.execution_count,
        (before.reply?.content.execution_count as number) + 1,
        "silent cells are not counted",
      );
    });

    it("parents output of a timer that fires after the cell ended to that cell", async () => {
      const { msgId, reply } = await k.execute('setTimeout(() => console.log("later"), 50); "now"');
      assert.equal(reply?.content.status, "ok");
      const late = await k.waitForIopub(
        "the timer's output",
        (m) => m.parent_header.msg_id === msgId && m.header.msg_type === "stream",
      );
      assert.deepEqual(late.content, { name: "stdout", text: "later\n" });
      const idleAt = k.received.findIndex((m) => m.parent_header.msg_id === msgId && m.content.execution_state === "idle");
      assert.ok(k.received.indexOf(late) > idleAt, "published after the cell's idle");
    });

    it("reports an exception thrown in a timer to that cell's stderr and keeps running", async () => {
      const mark = k.stderr.length;
      const { msgId } = await k.execute('setTimeout(() => { throw new Error("late boom"); }, 50); "scheduled"');
      const report = await k.waitForIopub(
        "the uncaught exception",
        (m) => m.parent_header.msg_id === msgId && m.header.msg_type === "stream",
      );
      assert.equal(report.content.name, "stderr");
      assert.match(String(report.content.text), /late boom/);
      await k.waitForStderr(/ERROR .*late boom/, mark);
      await assertAlive();
    });

    it("aborts cells queued behind a failing cell, then runs new ones", async () => {
      const failing = await k.request("shell", "execute_request", {
        code: 'await new Promise((r) => setTimeout(r, 3000)); throw new Error("first fails")',
        silent: false,
        stop_on_error: true,
      });
      const queued = [
        await k.request("shell", "execute_request", {
          code: 'console.log("must not run 1")',
          silent: false,
          stop_on_error: true,
        }),
        await k.request("shell", "execute_request", {
          code: 'console.log("must not run 2")',
          silent: false,
          stop_on_error: true,
        }),
      ];
      // Shell messages are received in order: once this reply arrives, both cells are queued.
      const info = await k.roundTrip("shell", "kernel_info_request", {});
      assert.equal(k.replyTo(failing), undefined, "precondition: the first cell is still running when the others are queued");
      assert.equal(info.reply?.content.status, "ok", "kernel_info is answered while a cell runs");

      const first = await k.collectUntilIdle(failing);
      assert.equal(first.reply?.content.status, "error");
      for (const id of queued) {
        const { iopub, reply } = await k.collectUntilIdle(id);
        assertFramed(iopub, id, []);
        assert.equal(reply?.content.status, "aborted");
        assert.equal(reply?.content.execution_count, null);
      }
      const next = await k.execute('console.log("runs again")');
      assert.equal(next.reply?.content.status, "ok");
      assert.deepEqual(
        next.outputs.map((m) => m.content.text),
        ["runs again\n"],
      );
    });

    it("publishes the failing cell's idle before the busy/idle of the cells it aborts", async () => {
      const failing = await k.request("shell", "execute_request", {
        code: 'await new Promise((r) => setTimeout(r, 1000)); throw new Error("fails")',
        silent: false,
        stop_on_error: true,
      });
      const queued = await k.request("shell", "execute_request", { code: "1", silent: false, stop_on_error: true });
      await k.collectUntilIdle(failing);
      await k.collectUntilIdle(queued);
      const statuses = k.received
        .filter((m) => m.header.msg_type === "status" && [failing, queued].includes(String(m.parent_header.msg_id)))
        .map((m) => `${m.parent_header.msg_id === failing ? "failing" : "queued"}:${m.content.execution_state}`);
      assert.deepEqual(statuses, ["failing:busy", "failing:idle", "queued:busy", "queued:idle"]);
    });

    it("runs a cell sent right after a failing cell's reply (only cells already queued are aborted)", async () => {
      const failing = await k.request("shell", "execute_request", {
        code: 'throw new Error("fails")',
        silent: false,
        stop_on_error: true,
      });
      // Send the next cell the moment the error reply arrives, before the failing cell's idle.
      await k.waitFor("the failing cell's reply", () => k.replyTo(failing));
      const next = await k.request("shell", "execute_request", { code: "40 + 2", silent: false, stop_on_error: true });
      const result = await k.collectUntilIdle(next);
      assert.equal(result.reply?.content.status, "ok");
    });

    it("does not abort queued cells when stop_on_error is false", async () => {
      const failing = await k.request("shell", "execute_request", {
        code: 'await new Promise((r) => setTimeout(r, 1000)); throw new Error("fails alone")',
        silent: false,
        stop_on_error: false,
      });
      const queued = await k.request("shell", "execute_request", { code: '"still runs"', silent: false });
      assert.equal((await k.collectUntilIdle(failing)).reply?.content.status, "error");
      const { reply, iopub } = await k.collectUntilIdle(queued);
      assert.equal(reply?.content.status, "ok");
      assert.ok(iopub.some((m) => m.header.msg_type === "execute_result"));
    });
  });

  describe("other shell requests", () => {
    it("complete_request offers matches from the runtime and from earlier cells", async () => {
      const math = await k.roundTrip("shell", "complete_request", { code: "Math.ma", cursor_pos: 7 });
      assertFramed(math.iopub, math.msgId, []);
      assert.equal(math.reply?.header.msg_type, "complete_reply");
      assert.equal(math.reply?.content.status, "ok");
      assert.ok((math.reply?.content.matches as string[]).includes("max"));
      assert.equal(math.reply?.content.cursor_start, 5);
      assert.equal(math.reply?.content.cursor_end, 7);

      await k.execute("const completionTarget = 1;");
      const own = await k.roundTrip("shell", "complete_request", { code: "completionTa", cursor_pos: 12 });
      assert.ok((own.reply?.content.matches as string[]).includes("completionTarget"));
      assert.equal(own.reply?.content.cursor_start, 0);
    });

    it("inspect_request returns type information, or found: false", async () => {
      const hit = await k.roundTrip("shell", "inspect_request", { code: "Math.max", cursor_pos: 7, detail_level: 0 });
      assertFramed(hit.iopub, hit.msgId, []);
      assert.equal(hit.reply?.header.msg_type, "inspect_reply");
      assert.equal(hit.reply?.content.status, "ok");
      assert.equal(hit.reply?.content.found, true);
      assert.match(
        String((hit.reply?.content.data as Record<string, unknown>)["text/plain"]),
        /Math\.max\(\.\.\.values: number\[\]\): number/,
      );

      const miss = await k.roundTrip("shell", "inspect_request", { code: "   ", cursor_pos: 1, detail_level: 0 });
      assert.equal(miss.reply?.content.status, "ok");
      assert.equal(miss.reply?.content.found, false);
      assert.deepEqual(miss.reply?.content.data, {});
    });

    it("is_complete_request tells complete from incomplete code", async () => {
      const open = await k.roundTrip("shell", "is_complete_request", { code: "const a = {" });
      assertFramed(open.iopub, open.msgId, []);
      assert.equal(open.reply?.header.msg_type, "is_complete_reply");
      assert.equal(open.reply?.content.status, "incomplete");
      assert.equal(typeof open.reply?.content.indent, "string");
      const done = await k.roundTrip("shell", "is_complete_request", { code: "1 + 1" });
      assert.equal(done.reply?.content.status, "complete");
    });

    it("history_request replies ok with a list", async () => {
      const { msgId, iopub, reply } = await k.roundTrip("shell", "history_request", {
        output: false,
        raw: true,
        hist_access_type: "tail",
        n: 10,
      });
      assertFramed(iopub, msgId, []);
      assert.equal(reply?.header.msg_type, "history_reply");
      assert.equal(reply?.content.status, "ok");
      assert.ok(Array.isArray(reply?.content.history));
    });

    it("comm_info_request replies ok with a comms map", async () => {
      const { msgId, iopub, reply } = await k.roundTrip("shell", "comm_info_request", {});
      assertFramed(iopub, msgId, []);
      assert.equal(reply?.header.msg_type, "comm_info_reply");
      assert.equal(reply?.content.status, "ok");
      assert.equal(typeof reply?.content.comms, "object");
    });
  });

  describe("robustness", () => {
    it("drops a badly signed message with a log line and no reply", async () => {
      const mark = k.stderr.length;
      const bad = frames(k, "execute_request", { code: 'console.log("forged")', silent: false }, new Signer("wrong key"));
      await k.sendRaw("shell", bad.frames);
      await k.waitForStderr(/\[tslens kernel\] WARN shell: dropped message: invalid message signature/, mark);
      const unsigned = frames(k, "kernel_info_request", {}, new Signer(""));
      await k.sendRaw("shell", unsigned.frames);
      await k.waitForStderr(/invalid message signature[^]*invalid message signature/, mark);
      await assertAlive();
      for (const id of [bad.msgId, unsigned.msgId]) {
        assert.equal(k.replyTo(id), undefined);
        assert.deepEqual(k.iopubFor(id), []);
      }
    });

    const malformed: [string, (c: KernelClient) => Buffer[], RegExp][] = [
      [
        "a message without the delimiter",
        (c) => frames(c, "kernel_info_request", {}).frames.filter((f) => f.toString() !== "<IDS|MSG>"),
        /missing <IDS\|MSG> delimiter/,
      ],
      [
        "a message with too few frames",
        (c) => frames(c, "kernel_info_request", {}).frames.slice(0, 4),
        /expected signature and four JSON frames/,
      ],
      [
        "a validly signed message with invalid JSON",
        (c) => {
          const f = frames(c, "kernel_info_request", {}).frames;
          f[5] = Buffer.from("{oops");
          f[1] = Buffer.from(c.signer.sign(f.slice(2, 6)));
          return f;
        },
        /content frame is not valid JSON/,
      ],
      [
        "a validly signed message whose header lacks msg_type",
        (c) => {
          const { msg_type: _dropped, ...header } = c.header("kernel_info_request");
          void _dropped;
          return encode({ header: header as never, parent_header: {}, metadata: {}, content: {} }, c.signer);
        },
        /header lacks msg_id or msg_type/,
      ],
      ["a single garbage frame", () => [Buffer.from([0xff, 0x00, 0x13])], /missing <IDS\|MSG> delimiter/],
    ];
    for (const [what, build, log] of malformed) {
      it(`logs and drops ${what}, and keeps serving`, async () => {
        const mark = k.stderr.length;
        await k.sendRaw("shell", build(k));
        const line = await k.waitForStderr(/\[tslens kernel\] WARN shell: dropped message: .*/, mark);
        assert.match(line, log);
        await assertAlive();
      });
    }

    it("logs and drops malformed messages on the control channel too", async () => {
      const mark = k.stderr.length;
      await k.sendRaw("control", [Buffer.from("no delimiter here")]);
      await k.waitForStderr(/WARN control: dropped message: missing <IDS\|MSG> delimiter/, mark);
      const { reply } = await k.roundTrip("control", "kernel_info_request", {});
      assert.equal(reply?.content.status, "ok");
    });

    it("answers an unknown msg_type with busy/idle only, and logs it", async () => {
      const mark = k.stderr.length;
      const msgId = await k.request("shell", "tslens_test_unknown_request", { anything: 1 });
      await k.waitForIopub(
        "idle of the unknown request",
        (m) => m.parent_header.msg_id === msgId && m.content.execution_state === "idle",
      );
      await k.waitForStderr(/WARN shell: unknown msg_type "tslens_test_unknown_request" ignored/, mark);
      // Shell replies are sent in order: a reply to the unknown request would precede this one.
      await assertAlive();
      assert.equal(k.replyTo(msgId), undefined);
      assertFramed(k.iopubFor(msgId), msgId, []);
    });

    it("answers comm_msg and comm_close for an unknown comm id with busy/idle, and logs them", async () => {
      const mark = k.stderr.length;
      const msg = await k.roundTrip("shell", "comm_msg", { comm_id: "no-such-comm", data: { method: "update", state: {} } });
      assertFramed(msg.iopub, msg.msgId, []);
      await k.waitForStderr(/WARN comm_msg for unknown comm id "no-such-comm" ignored/, mark);
      const close = await k.roundTrip("shell", "comm_close", { comm_id: "no-such-comm", data: {} });
      assertFramed(close.iopub, close.msgId, []);
      await k.waitForStderr(/WARN comm_close for unknown comm id "no-such-comm" ignored/, mark);
      await assertAlive();
    });

    it("closes a comm opened for an unknown target", async () => {
      const mark = k.stderr.length;
      const commId = randomUUID();
      const { msgId, iopub } = await k.roundTrip("shell", "comm_open", {
        comm_id: commId,
        target_name: "no.such.target",
        data: {},
      });
      assertFramed(iopub, msgId, ["comm_close"]);
      assert.equal(iopub[1].content.comm_id, commId);
      await k.waitForStderr(/WARN comm_open for unknown target "no\.such\.target"/, mark);
      const info = await k.roundTrip("shell", "comm_info_request", {});
      assert.equal((info.reply?.content.comms as Record<string, unknown>)[commId], undefined);
    });
  });

  describe("control channel and heartbeat", () => {
    it("answers kernel_info on control", async () => {
      const { msgId, iopub, reply } = await k.roundTrip("control", "kernel_info_request", {});
      assert.equal(reply?.channel, "control");
      assert.equal(reply?.header.msg_type, "kernel_info_reply");
      assert.equal(reply?.content.protocol_version, "5.3");
      assertFramed(iopub, msgId, []);
    });

    it("answers control requests while a cell is awaiting", async () => {
      const cell = await k.request("shell", "execute_request", {
        code: "await new Promise((r) => setTimeout(r, 1500)); 7",
        silent: false,
      });
      await k.waitForIopub("execute_input", (m) => m.parent_header.msg_id === cell && m.header.msg_type === "execute_input");
      await k.roundTrip("control", "kernel_info_request", {});
      assert.equal(k.replyTo(cell), undefined, "the control reply arrived while the cell was still running");
      assert.equal((await k.collectUntilIdle(cell)).reply?.content.status, "ok");
    });

    it("interrupts an awaiting cell", async () => {
      const code = 'console.log("waiting"); await new Promise((r) => setTimeout(r, 60_000)); console.log("not reached")';
      const cell = await k.request("shell", "execute_request", { code, silent: false, stop_on_error: true });
      await k.waitForIopub("the cell's first output", (m) => m.parent_header.msg_id === cell && m.header.msg_type === "stream");
      const interrupt = await k.roundTrip("control", "interrupt_request", {});
      assert.equal(interrupt.reply?.channel, "control");
      assert.equal(interrupt.reply?.header.msg_type, "interrupt_reply");
      assert.equal(interrupt.reply?.content.status, "ok");
      assertFramed(interrupt.iopub, interrupt.msgId, []);

      const { iopub, reply } = await k.collectUntilIdle(cell);
      assertFramed(iopub, cell, ["execute_input", "stream", "error"]);
      assert.equal(iopub[3].content.ename, "Interrupted");
      assert.equal(reply?.content.status, "error");
      assert.equal(reply?.content.ename, "Interrupted");

      const next = await k.execute('"alive"');
      assert.equal(next.reply?.content.status, "ok");
    });

    it("is not disturbed by interrupts while idle", async () => {
      const interrupt = await k.roundTrip("control", "interrupt_request", {});
      assert.equal(interrupt.reply?.content.status, "ok");
      k.signal("SIGINT");
      const cell = await k.execute('await new Promise((r) => setTimeout(r, 100)); "not interrupted"');
      assert.equal(cell.reply?.content.status, "ok");
      assert.equal((cell.outputs[0]?.content.data as Record<string, unknown>)["text/plain"], "'not interrupted'");
    });

    it("interrupts a busy-looping cell on SIGINT (interrupt_mode signal)", async () => {
      const cell = await k.request("shell", "execute_request", {
        code: "const g = globalThis as { spins?: number };\ng.spins = 0;\nwhile (true) g.spins++;",
        silent: false,
      });
      await k.waitForIopub("execute_input", (m) => m.parent_header.msg_id === cell && m.header.msg_type === "execute_input");
      // The loop may not have started yet when the first signal arrives: repeat until the cell ends.
      const timer = setInterval(() => k.signal("SIGINT"), 250);
      try {
        k.signal("SIGINT");
        const { iopub, reply } = await k.collectUntilIdle(cell);
        assertFramed(iopub, cell, ["execute_input", "error"]);
        assert.equal(iopub[2].content.ename, "Interrupted");
        assert.equal(reply?.content.status, "error");
      } finally {
        clearInterval(timer);
      }
      assert.equal(k.exitCode(), undefined, "the kernel survived SIGINT");
      const next = await k.execute("(globalThis as { spins?: number }).spins! > 0");
      assert.equal((next.outputs[0]?.content.data as Record<string, unknown>)["text/plain"], "true");
    });

    it("interrupts an awaiting cell on SIGINT", async () => {
      const cell = await k.request("shell", "execute_request", {
        code: 'console.log("waiting"); await new Promise((r) => setTimeout(r, 60_000));',
        silent: false,
      });
      await k.waitForIopub("the cell's first output", (m) => m.parent_header.msg_id === cell && m.header.msg_type === "stream");
      k.signal("SIGINT");
      const { iopub, reply } = await k.collectUntilIdle(cell);
      assertFramed(iopub, cell, ["execute_input", "stream", "error"]);
      assert.equal(iopub[3].content.ename, "Interrupted");
      assert.equal(reply?.content.ename, "Interrupted");
    });

    it("echoes heartbeat payloads unchanged", async () => {
      const payload = Buffer.from([0, 1, 2, 250, 255, ...Buffer.from("ping")]);
      const [echo, ...rest] = await k.ping(payload);
      assert.deepEqual(rest, []);
      assert.deepEqual([...echo], [...payload]);
    });

    it("sent every message under one kernel session id", () => {
      assert.deepEqual(k.undecodable, []);
      const sessions = new Set(k.received.map((m) => m.header.session));
      assert.equal(sessions.size, 1);
      assert.ok(k.received.every((m) => m.header.username === "kernel" && m.header.version === "5.3"));
    });
  });

  describe("unsigned kernel (empty key)", () => {
    let u: KernelClient;
    before(async () => {
      u = await KernelClient.start({ key: "" });
    });
    after(async () => {
      await u?.stop();
    });

    it("serves requests and sends empty signatures", async () => {
      const info = await u.roundTrip("shell", "kernel_info_request", {});
      assert.equal(info.reply?.content.status, "ok");
      const run = await u.execute('console.log("unsigned"); 6 * 7');
      assert.equal(run.reply?.content.status, "ok");
      assert.deepEqual(types(run.outputs), ["stream", "execute_result"]);
      assert.ok(u.received.length > 0);
      for (const m of u.received) assert.equal(m.signature, "");
    });
  });

  describe("SIGTERM", () => {
    let t: KernelClient;
    before(async () => {
      t = await KernelClient.start();
    });
    after(async () => {
      await t?.stop();
    });

    it("stops the kernel with exit code 0", async () => {
      t.signal("SIGTERM");
      assert.deepEqual(await t.waitForExit(20_000), { code: 0, signal: null });
    });
  });

  describe("shutdown", () => {
    let s: KernelClient;
    before(async () => {
      s = await KernelClient.start();
    });
    after(async () => {
      await s?.stop();
    });

    it("replies on control, publishes shutdown_reply, and exits with code 0", async () => {
      const msgId = await s.request("control", "shutdown_request", { restart: false });
      const reply = await s.waitFor("shutdown_reply", () => s.replyTo(msgId));
      assert.equal(reply.channel, "control");
      assert.equal(reply.header.msg_type, "shutdown_reply");
      assert.deepEqual(reply.content, { status: "ok", restart: false });
      assert.deepEqual(await s.waitForExit(20_000), { code: 0, signal: null });
      // Everything published before exiting arrives (the kernel flushes IOPub first).
      const { iopub } = await s.collectUntilIdle(msgId);
      assertFramed(iopub, msgId, ["shutdown_reply"]);
      assert.deepEqual(iopub[1].content, { status: "ok", restart: false });
    });
  });
});
