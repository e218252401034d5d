/**
 * Hostile and heavy traffic against a real kernel process: prototype pollution
 * through widget buffer paths, replayed signed messages, message types named
 * like Object.prototype members, and output floods that must arrive whole.
 */
import assert from "node:assert/strict";
import * as zmq from "zeromq";
import { encode } from "../../kernel/wire";
import { KernelClient, Received, streamText } from "./client";
import { Tally } from "./tally";

const WIDGET_VIEW = "application/vnd.jupyter.widget-view+json";

const types = (msgs: Received[]) =>
  msgs.map((m) => (m.header.msg_type === "status" ? `status:${m.content.execution_state}` : m.header.msg_type));

describe("kernel hardening", function () {
  this.timeout(180_000);
  let k: KernelClient;

  before(async () => {
    k = await KernelClient.start();
  });

  after(async () => {
    await k?.stop();
  });

  const run = (code: string) => k.run(code);
  const evaluate = (expression: string) => k.evaluate(expression);

  /** Model id of the widget a cell shows. */
  function shownModelId(outputs: Received[]): string {
    const shown = outputs.find((m) => WIDGET_VIEW in ((m.content.data as Record<string, unknown>) ?? {}));
    assert.ok(shown, `the cell shows a widget: ${types(outputs)}`);
    return String(((shown.content.data as Record<string, unknown>)[WIDGET_VIEW] as Record<string, unknown>).model_id);
  }

  describe("prototype pollution through widget messages", () => {
    let sliderId: string;
    before(async () => {
      await run('import { IntSlider } from "tslens";');
      sliderId = shownModelId((await run("const target = new IntSlider({ value: 2 });\ntarget")).outputs);
    });

    it("refuses a buffer path through __proto__, logs it naming the path, and Object.prototype stays clean", async () => {
      const mark = k.stderr.length;
      const { iopub } = await k.roundTrip(
        "shell",
        "comm_msg",
        { comm_id: sliderId, data: { method: "update", state: {}, buffer_paths: [["__proto__", "polluted"]] } },
        { buffers: [Buffer.from([1, 2, 3])] },
      );
      assert.deepEqual(types(iopub), ["status:busy", "status:idle"], "the message is dropped: no echo, no update");
      const line = await k.waitForStderr(/WARN comm_msg dropped: .*/, mark);
      assert.match(line, /buffer path \["__proto__","polluted"\]/);
      assert.match(line, /"__proto__"/);
      assert.equal(await evaluate("({} as Record<string, unknown>).polluted === undefined"), true);
      assert.equal(await evaluate("'polluted' in Object.prototype"), false);
      assert.doesNotMatch(k.stderr.slice(mark), /handler failed/);
    });

    it("refuses constructor/prototype paths and keeps serving the widget", async () => {
      const mark = k.stderr.length;
      await k.roundTrip(
        "shell",
        "comm_msg",
        {
          comm_id: sliderId,
          data: { method: "update", state: { value: 5 }, buffer_paths: [["constructor", "prototype", "polluted2"]] },
        },
        { buffers: [Buffer.from([1])] },
      );
      const line = await k.waitForStderr(/WARN comm_msg dropped: .*/, mark);
      assert.match(line, /buffer path \["constructor","prototype","polluted2"\]/);
      assert.deepEqual(await evaluate("[target.value, 'polluted2' in Object.prototype]"), [2, false]);
      const ok = await k.roundTrip("shell", "comm_msg", {
        comm_id: sliderId,
        data: { method: "update", state: { value: 7 }, buffer_paths: [] },
      });
      assert.ok(
        ok.iopub.some((m) => m.header.msg_type === "comm_msg"),
        "the next good update is echoed",
      );
      assert.equal(await evaluate("target.value"), 7);
    });

    it("treats state keys named like Object.prototype members as unknown properties", async () => {
      const data = JSON.parse(
        '{"method":"update","buffer_paths":[],"state":{"value":3,"constructor":1,"toString":2,"hasOwnProperty":4,"__proto__":{"injected":5}}}',
      );
      const { iopub } = await k.roundTrip("shell", "comm_msg", { comm_id: sliderId, data });
      const echo = iopub.find((m) => m.header.msg_type === "comm_msg");
      assert.deepEqual((echo?.content.data as Record<string, unknown>).state, { value: 3 }, "only the real property is echoed");
      const warnings = streamText(iopub, "stderr");
      for (const key of ["constructor", "toString", "hasOwnProperty", "__proto__"]) {
        assert.ok(warnings.includes(`unknown property "${key}"`), `${key} is reported: ${warnings}`);
      }
      assert.deepEqual(await evaluate('[target.value, target.get("injected") === undefined]'), [3, true]);
    });
  });

  describe("replayed messages", () => {
    it("runs a replayed execute_request once and logs the replay", async () => {
      await run("(globalThis as Record<string, unknown>).replayCounter = 0;");
      const header = k.header("execute_request");
      const frames = encode(
        {
          header,
          parent_header: {},
          metadata: {},
          content: { code: "(globalThis as any).replayCounter += 1;", silent: false, store_history: true },
        },
        k.signer,
      );
      const mark = k.stderr.length;
      await k.sendRaw("shell", frames);
      await k.sendRaw("shell", frames);
      const line = await k.waitForStderr(/WARN shell: dropped message: .*replay.*/, mark);
      assert.ok(line.includes(header.msg_id), `the log line names the message: ${line}`);
      assert.equal(await evaluate("(globalThis as any).replayCounter"), 1);
      const replies = k.received.filter((m) => m.channel === "shell" && m.parent_header.msg_id === header.msg_id);
      assert.equal(replies.length, 1, "one execute_reply");
    });

    it("rejects a replay on the other channel too (one history per session)", async () => {
      const header = k.header("kernel_info_request");
      const frames = encode({ header, parent_header: {}, metadata: {}, content: {} }, k.signer);
      await k.sendRaw("shell", frames);
      await k.collectUntilIdle(header.msg_id);
      const mark = k.stderr.length;
      await k.sendRaw("control", frames);
      await k.waitForStderr(/WARN control: dropped message: .*replay/, mark);
      const { reply } = await k.roundTrip("control", "kernel_info_request", {});
      assert.equal(reply?.content.status, "ok");
      assert.equal(k.received.filter((m) => m.channel !== "iopub" && m.parent_header.msg_id === header.msg_id).length, 1);
    });
  });

  describe("message types named like Object.prototype members", () => {
    for (const msgType of ["constructor", "valueOf", "__proto__", "toString", "hasOwnProperty", "__defineGetter__"]) {
      it(`answers "${msgType}" like any unknown msg_type: busy/idle and one warning`, async () => {
        const mark = k.stderr.length;
        const { msgId, iopub } = await k.roundTrip("shell", msgType, { code: "1" });
        assert.deepEqual(types(iopub), ["status:busy", "status:idle"]);
        await k.waitForStderr(new RegExp(`WARN shell: unknown msg_type "${msgType}" ignored`), mark);
        const { reply } = await k.roundTrip("shell", "kernel_info_request", {});
        assert.equal(reply?.content.status, "ok");
        assert.equal(k.replyTo(msgId), undefined);
        const log = k.stderr.slice(mark);
        assert.doesNotMatch(log, /handler failed/);
        assert.equal(log.match(/unknown msg_type/g)?.length, 1);
      });
    }
  });

  describe("output floods", () => {
    /** Runs a cell that floods output; returns its stream messages (waiting in linear time). */
    async function flood(code: string): Promise<Received[]> {
      const tally = new Tally(k);
      const msgId = await k.request("shell", "execute_request", { code, silent: false, store_history: true });
      await tally.waitForIdle([msgId], new Set([msgId]), 120_000);
      assert.equal(tally.replies.get(msgId)?.[0].content.status, "ok");
      return tally.iopubFor(msgId).filter((m) => m.header.msg_type === "stream");
    }

    it("delivers 50,000 printed lines exactly once, in order, in a few hundred stream messages", async () => {
      const lines = 50_000;
      const streams = await flood(
        `for (let i = 0; i < ${lines}; i++) console.log(String(i).padStart(6, "0") + " " + "x".repeat(90));`,
      );
      const received = streamText(streams).split("\n");
      assert.equal(received.pop(), "", "the output ends with a newline");
      assert.equal(received.length, lines, `lines received (in ${streams.length} stream messages)`);
      received.forEach((line, i) => {
        if (line !== String(i).padStart(6, "0") + " " + "x".repeat(90)) assert.fail(`line ${i} is ${JSON.stringify(line)}`);
      });
      assert.ok(streams.length < 1000, `${streams.length} stream messages`);
    });

    it("keeps every line and the order of alternating stdout and stderr writes (one message each, none dropped)", async () => {
      const pairs = 5_000;
      const streams = await flood(
        `for (let i = 0; i < ${pairs}; i++) { process.stdout.write("o" + i + "\\n"); process.stderr.write("e" + i + "\\n"); }`,
      );
      const tagged = streams.flatMap((m) =>
        String(m.content.text)
          .split("\n")
          .filter((line) => line !== "")
          .map((line) => `${m.content.name}:${line}`),
      );
      const expected = Array.from({ length: pairs }, (_, i) => [`stdout:o${i}`, `stderr:e${i}`]).flat();
      assert.equal(tagged.length, expected.length, `lines received (in ${streams.length} stream messages)`);
      assert.deepEqual(tagged, expected);
    });

    it("keeps serving when a subscriber stops reading: output waits for it only so long", async () => {
      const t = await KernelClient.start({ env: { TSLENS_IOPUB_PATIENCE_MS: "300" } });
      const stuck = new zmq.Subscriber({ linger: 0, receiveHighWaterMark: 10 });
      try {
        stuck.connect(`tcp://127.0.0.1:${t.connection.iopub_port}`);
        stuck.subscribe();
        // Once the stuck subscriber has received one message its subscription is in place; it never reads again.
        let subscribed = false;
        void stuck.receive().then(() => (subscribed = true));
        for (let i = 0; i < 100 && !subscribed; i++) await t.roundTrip("shell", "kernel_info_request", {});
        assert.ok(subscribed, "the stuck subscriber is subscribed");
        const tally = new Tally(t);
        const mark = t.stderr.length;
        const code =
          'const pad = "p".repeat(1000); for (let i = 0; i < 5000; i++) { console.log(i + pad); console.error(i + pad); }';
        const flood = await t.request("shell", "execute_request", { code, silent: false, store_history: true });
        await t.waitFor("the flood's reply", () => (tally.update(), tally.replies.get(flood)), 120_000);
        await t.waitForStderr(/WARN iopub: a subscriber read nothing for \d+ ms/, mark);
        // While one subscriber is stalled, a reading subscriber whose own queue is full may miss messages
        // (ZeroMQ's default for everyone): retry until a cell's output reaches this client once its backlog is read.
        let delivered = "";
        for (let attempt = 0; attempt < 10 && !delivered; attempt++) {
          const cell = await t.request("shell", "execute_request", { code: `console.log("still serving ${attempt}")` });
          await t.waitFor("the cell's reply", () => (tally.update(), tally.replies.get(cell)));
          assert.equal(tally.replies.get(cell)?.[0].content.status, "ok");
          await tally.waitForIdle([cell], new Set(), 5_000).catch(() => undefined);
          delivered = streamText(tally.iopubFor(cell));
        }
        assert.match(delivered, /^still serving \d\n$/);
      } finally {
        stuck.close();
        await t.stop();
      }
    });

    it("flushes pending output before an execute_result and an error", async () => {
      const result = await k.execute('for (let i = 0; i < 3; i++) console.log("r" + i);\n"last"');
      assert.deepEqual(types(result.outputs), ["stream", "execute_result"]);
      assert.equal(streamText(result.outputs), "r0\nr1\nr2\n");
      const failed = await k.execute('console.log("x"); console.error("y"); throw new Error("stop")');
      assert.deepEqual(types(failed.outputs), ["stream", "stream", "error"]);
      assert.deepEqual(
        failed.outputs.slice(0, 2).map((m) => m.content),
        [
          { name: "stdout", text: "x\n" },
          { name: "stderr", text: "y\n" },
        ],
      );
    });
  });
});
