/** Widgets over the wire: comm traffic between a frontend (this client) and widgets in cells. */
import assert from "node:assert/strict";
import { randomUUID } from "crypto";
import { KernelClient, Received } from "./client";

const WIDGET_VIEW = "application/vnd.jupyter.widget-view+json";

type Data = Record<string, unknown>;
const dataOf = (m: Received) => m.content.data as Data;
const stateOf = (m: Received) => dataOf(m).state as Data;
const types = (msgs: Received[]) =>
  msgs.map((m) => (m.header.msg_type === "status" ? `status:${m.content.execution_state}` : m.header.msg_type));

describe("widget comms over the wire", function () {
  this.timeout(120_000);
  let k: KernelClient;

  before(async () => {
    k = await KernelClient.start();
    const setup = await k.execute('import { IntSlider, Button, Widget } from "tslens";');
    assert.equal(setup.reply?.content.status, "ok", JSON.stringify(setup.reply?.content));
  });

  after(async () => {
    await k?.stop();
  });

  const run = (code: string) => k.run(code);
  const evaluate = (expression: string) => k.evaluate(expression);

  /** The model id shown by a cell (execute_result or display_data with the widget view). */
  function shownModelId(outputs: Received[]): string {
    const shown = outputs.find(
      (m) => (m.header.msg_type === "execute_result" || m.header.msg_type === "display_data") && WIDGET_VIEW in dataOf(m),
    );
    assert.ok(shown, `the cell shows a widget view: ${types(outputs)}`);
    const view = dataOf(shown)[WIDGET_VIEW] as Data;
    assert.equal(view.version_major, 2);
    assert.equal(view.version_minor, 0);
    assert.equal(typeof dataOf(shown)["text/plain"], "string");
    return String(view.model_id);
  }

  /** Sends a frontend comm_msg and collects what it caused. */
  function commMsg(commId: string, data: Data, buffers?: Buffer[]) {
    return k.roundTrip("shell", "comm_msg", { comm_id: commId, data }, { buffers });
  }

  /** comm_msg messages on IOPub for `commId` (optionally only one method). */
  const commMsgs = (msgs: Received[], commId: string, method?: string) =>
    msgs.filter(
      (m) =>
        m.header.msg_type === "comm_msg" && m.content.comm_id === commId && (method === undefined || dataOf(m).method === method),
    );

  describe("IntSlider", () => {
    let sliderId: string;

    it("opens Layout, SliderStyle and IntSlider comms and shows the slider", async () => {
      const { msgId, iopub, outputs } = await run("const s = new IntSlider({ value: 3, min: 0, max: 10 });\ns");
      const opens = outputs.filter((m) => m.header.msg_type === "comm_open");
      assert.deepEqual(
        opens.map((m) => stateOf(m)._model_name),
        ["LayoutModel", "SliderStyleModel", "IntSliderModel"],
      );
      for (const open of opens) {
        assert.equal(open.content.target_name, "jupyter.widget");
        assert.equal(open.metadata.version, "2.1.0");
        assert.equal(open.parent_header.msg_id, msgId);
        assert.ok(Array.isArray(dataOf(open).buffer_paths));
        assert.equal((dataOf(open).buffer_paths as unknown[]).length, open.buffers.length);
      }
      const [layout, style, slider] = opens;
      const state = stateOf(slider);
      assert.equal(state._model_module, "@jupyter-widgets/controls");
      assert.equal(state._view_name, "IntSliderView");
      assert.equal(state.value, 3);
      assert.equal(state.min, 0);
      assert.equal(state.max, 10);
      assert.equal(state.layout, `IPY_MODEL_${layout.content.comm_id}`);
      assert.equal(state.style, `IPY_MODEL_${style.content.comm_id}`);
      sliderId = String(slider.content.comm_id);
      assert.equal(shownModelId(outputs), sliderId);
      // Opens come before the view that references them.
      const shownAt = iopub.findIndex(
        (m) => m.header.msg_type !== "comm_open" && m.content.data !== undefined && WIDGET_VIEW in dataOf(m),
      );
      assert.ok(iopub.indexOf(slider) < shownAt);
    });

    it("is listed by comm_info_request for target jupyter.widget", async () => {
      const { reply } = await k.roundTrip("shell", "comm_info_request", { target_name: "jupyter.widget" });
      assert.equal(reply?.content.status, "ok");
      const comms = reply?.content.comms as Record<string, { target_name: string }>;
      assert.deepEqual(comms[sliderId], { target_name: "jupyter.widget" });
      assert.ok(Object.values(comms).every((c) => c.target_name === "jupyter.widget"));
    });

    it("echoes a frontend update between busy and idle, applies it, and does not send the value back", async () => {
      const from = k.received.length;
      const { msgId, iopub } = await commMsg(sliderId, { method: "update", state: { value: 7 }, buffer_paths: [] });
      assert.deepEqual(types(iopub), ["status:busy", "comm_msg", "status:idle"]);
      for (const m of iopub) assert.equal(m.parent_header.msg_id, msgId);
      assert.equal(iopub[1].content.comm_id, sliderId);
      assert.deepEqual(iopub[1].content.data, { method: "echo_update", state: { value: 7 }, buffer_paths: [] });
      const value = await run("s.value");
      assert.deepEqual(types(value.outputs), ["execute_result"]);
      assert.equal(dataOf(value.outputs[0])["text/plain"], "7");
      // Property lock: nothing sent value 7 back as a plain update.
      const echoedBack = commMsgs(k.received.slice(from), sliderId, "update").filter((m) => stateOf(m).value === 7);
      assert.deepEqual(echoedBack, []);
    });

    it("calls change listeners for frontend updates, after the echo", async () => {
      await run(
        'const seenValues: number[] = [];\ns.on("change:value", ({ name, old, new: v }) => { seenValues.push(v as number); console.log(name, old, v); });',
      );
      const { msgId, iopub } = await commMsg(sliderId, { method: "update", state: { value: 8 }, buffer_paths: [] });
      assert.equal(iopub[0].content.execution_state, "busy");
      assert.equal(iopub[iopub.length - 1].content.execution_state, "idle");
      for (const m of iopub) assert.equal(m.parent_header.msg_id, msgId);
      const onSlider = commMsgs(iopub, sliderId);
      assert.deepEqual(
        onSlider.map((m) => m.content.data),
        [{ method: "echo_update", state: { value: 8 }, buffer_paths: [] }],
        "exactly one echo_update and no plain update on the slider's comm",
      );
      const echoAt = iopub.indexOf(onSlider[0]);
      const printed = iopub.findIndex((m) => m.header.msg_type === "stream");
      assert.equal(iopub[printed]?.content.text, "value 7 8\n");
      assert.ok(echoAt < printed, "echo_update is published before the listener runs");
      assert.deepEqual(await evaluate("[s.value, seenValues]"), [8, [8]]);
    });

    it("sends kernel-side assignments as updates parented to the cell", async () => {
      const { msgId, outputs } = await run("s.value = 5;");
      const updates = commMsgs(outputs, sliderId, "update");
      assert.deepEqual(
        updates.map((m) => m.content.data),
        [{ method: "update", state: { value: 5 }, buffer_paths: [] }],
      );
      assert.equal(updates[0].parent_header.msg_id, msgId);
    });

    it("answers request_state with the full state, parented to the request", async () => {
      const { msgId, iopub } = await commMsg(sliderId, { method: "request_state" });
      const updates = commMsgs(iopub, sliderId, "update");
      assert.equal(updates.length, 1);
      const [update] = updates;
      assert.equal(update.parent_header.msg_id, msgId);
      const state = stateOf(update);
      assert.equal(state._model_name, "IntSliderModel");
      assert.equal(state._model_module, "@jupyter-widgets/controls");
      assert.equal(state.value, 5);
      assert.equal(state.max, 10);
      assert.match(String(state.layout), /^IPY_MODEL_[0-9a-f]+$/);
      assert.equal((dataOf(update).buffer_paths as unknown[]).length, update.buffers.length);
      assert.deepEqual(types(iopub), ["status:busy", "comm_msg", "status:idle"]);
    });

    it("clamps a frontend value outside [min, max] and tells the frontend", async () => {
      const { iopub } = await commMsg(sliderId, { method: "update", state: { value: 99 }, buffer_paths: [] });
      const updates = commMsgs(iopub, sliderId, "update");
      assert.deepEqual(
        updates.map((m) => stateOf(m).value),
        [10],
        "the corrected value is sent back",
      );
      assert.equal(await evaluate("s.value"), 10);
    });
  });

  describe("bad frontend messages", () => {
    let sliderId: string;

    before(async () => {
      sliderId = shownModelId((await run("const guarded = new IntSlider({ value: 4 });\nguarded")).outputs);
    });

    it("rejects an update with a value of the wrong type and puts the frontend back", async () => {
      const { iopub } = await commMsg(sliderId, { method: "update", state: { value: "abc" }, buffer_paths: [] });
      const updates = commMsgs(iopub, sliderId, "update");
      assert.deepEqual(
        updates.map((m) => dataOf(m).state),
        [{ value: 4 }],
      );
      const warning = iopub.find((m) => m.header.msg_type === "stream");
      assert.equal(warning?.content.name, "stderr");
      assert.match(String(warning?.content.text), /must be a number/);
      assert.equal(await evaluate("guarded.value"), 4);
    });

    it("logs a dropped update (buffer_paths without buffers), still publishes idle, and keeps the widget working", async () => {
      const mark = k.stderr.length;
      const { iopub } = await commMsg(sliderId, { method: "update", state: {}, buffer_paths: [["value"]] });
      assert.deepEqual(types(iopub), ["status:busy", "status:idle"]);
      await k.waitForStderr(
        /WARN comm_msg dropped: IntSlider \w+: buffer_paths lists 1 paths but the message carries 0 buffers/,
        mark,
      );
      assert.doesNotMatch(k.stderr.slice(mark), /handler failed/);
      const ok = await commMsg(sliderId, { method: "update", state: { value: 6 }, buffer_paths: [] });
      assert.equal(commMsgs(ok.iopub, sliderId, "echo_update").length, 1);
      assert.equal(await evaluate("guarded.value"), 6);
    });
  });

  describe("display", () => {
    it("display() publishes display_data parented to the cell, widgets as views", async () => {
      const { msgId, outputs } = await run(
        'import { display } from "tslens";\nconst shown = new IntSlider();\ndisplay(1, "x", shown);',
      );
      const displays = outputs.filter((m) => m.header.msg_type === "display_data");
      assert.equal(displays.length, 3);
      for (const m of displays) assert.equal(m.parent_header.msg_id, msgId);
      assert.deepEqual(dataOf(displays[0]), { "text/plain": "1" });
      assert.deepEqual(dataOf(displays[1]), { "text/plain": "'x'" });
      assert.equal(shownModelId([displays[2]]), await evaluate("shown.modelId"));
    });
  });

  describe("binary buffers", () => {
    let sliderId: string;

    before(async () => {
      const { outputs } = await run(
        "const b = new IntSlider({ value: 1 });\n" +
          "const customIn: unknown[] = [];\n" +
          "b.onMsg((content, buffers) => { customIn.push([content, buffers.map((v) => Array.from(new Uint8Array(v.buffer, v.byteOffset, v.byteLength)))]); });\n" +
          "b",
      );
      sliderId = shownModelId(outputs);
    });

    it("delivers a custom message with a buffer to onMsg with the bytes unchanged", async () => {
      const bytes = Buffer.from([1, 2, 3, 0, 255, 128]);
      const { iopub } = await commMsg(sliderId, { method: "custom", content: { kind: "in" } }, [bytes]);
      assert.equal(iopub[iopub.length - 1].content.execution_state, "idle");
      assert.deepEqual(await evaluate("customIn"), [[{ kind: "in" }, [[1, 2, 3, 0, 255, 128]]]]);
    });

    it("sends a custom message with raw buffer frames, exactly the bytes of each view", async () => {
      const { msgId, outputs } = await run(
        'b.send({ kind: "echo" }, [new Uint8Array([9, 1, 2, 3, 9]).subarray(1, 4), new Uint16Array([258]).buffer]);',
      );
      const custom = commMsgs(outputs, sliderId, "custom");
      assert.equal(custom.length, 1);
      assert.deepEqual(custom[0].content.data, { method: "custom", content: { kind: "echo" } });
      assert.equal(custom[0].parent_header.msg_id, msgId);
      assert.deepEqual(
        custom[0].buffers.map((buf) => [...buf]),
        [
          [1, 2, 3],
          [2, 1],
        ],
      );
    });

    it("round-trips binary state: comm_open, frontend update with buffer_paths, echo_update, request_states", async () => {
      const { outputs } = await run(
        "const raw = new Widget({ _model_name: 'RawModel', _model_module: 'tslens-test', _model_module_version: '1.0.0', _view_name: null, payload: new Uint8Array([5, 6, 7]), note: 'n' });",
      );
      const [open] = outputs.filter((m) => m.header.msg_type === "comm_open");
      const rawId = String(open.content.comm_id);
      assert.deepEqual(dataOf(open).buffer_paths, [["payload"]]);
      assert.equal(stateOf(open).payload, undefined, "binary values are taken out of the JSON state");
      assert.deepEqual(
        open.buffers.map((buf) => [...buf]),
        [[5, 6, 7]],
      );

      const { iopub } = await commMsg(rawId, { method: "update", state: { note: "m" }, buffer_paths: [["payload"]] }, [
        Buffer.from([250, 0, 1, 2]),
      ]);
      const echoes = commMsgs(iopub, rawId, "echo_update");
      assert.equal(echoes.length, 1);
      assert.deepEqual(dataOf(echoes[0]).state, { note: "m" });
      assert.deepEqual(dataOf(echoes[0]).buffer_paths, [["payload"]]);
      assert.deepEqual(
        echoes[0].buffers.map((buf) => [...buf]),
        [[250, 0, 1, 2]],
      );
      assert.deepEqual(commMsgs(iopub, rawId, "update"), [], "no plain update echoes the frontend's values");
      assert.deepEqual(
        await evaluate(
          "[raw.get('note'), raw.get('payload') instanceof DataView, Array.from(new Uint8Array((raw.get('payload') as DataView).buffer))]",
        ),
        ["m", true, [250, 0, 1, 2]],
      );

      // The control comm restores it with paths [model id, "state", …].
      const control = randomUUID();
      const opened = await k.roundTrip("shell", "comm_open", {
        comm_id: control,
        target_name: "jupyter.widget.control",
        data: {},
      });
      assert.deepEqual(types(opened.iopub), ["status:busy", "status:idle"], "the control comm is accepted (not closed)");
      const { msgId, iopub: restore } = await commMsg(control, { method: "request_states" });
      const [reply] = commMsgs(restore, control, "update_states");
      assert.ok(reply, "update_states on the control comm");
      assert.equal(reply.parent_header.msg_id, msgId);
      const paths = dataOf(reply).buffer_paths as (string | number)[][];
      assert.equal(paths.length, reply.buffers.length);
      for (const p of paths) {
        assert.equal(p[1], "state");
        assert.ok(p.length >= 3);
      }
      const i = paths.findIndex((p) => p[0] === rawId);
      assert.deepEqual(paths[i], [rawId, "state", "payload"]);
      assert.deepEqual([...reply.buffers[i]], [250, 0, 1, 2]);
      const states = dataOf(reply).states as Record<string, Data>;
      assert.deepEqual(states[rawId], {
        model_name: "RawModel",
        model_module: "tslens-test",
        model_module_version: "1.0.0",
        state: { ...stateOf(open), note: "m" },
      });
      assert.equal(states[sliderId].model_name, "IntSliderModel");
      assert.equal(states[sliderId].model_module, "@jupyter-widgets/controls");
      assert.equal(states[sliderId].model_module_version, "2.0.0");
      assert.equal((states[sliderId].state as Data).value, 1);
    });
  });

  describe("Button", () => {
    it("runs onClick callbacks for frontend click messages", async () => {
      const { outputs } = await run(
        'let clicks = 0;\nconst button = new Button({ description: "go" });\nbutton.onClick(() => { clicks += 1; console.log("clicked", clicks); });\nbutton',
      );
      const buttonId = shownModelId(outputs);
      const first = await commMsg(buttonId, { method: "custom", content: { event: "click" } });
      await commMsg(buttonId, { method: "custom", content: { event: "click" } });
      assert.equal(await evaluate("clicks"), 2);
      // The callback's print is parented to the click's comm_msg, and an Output widget
      // shown under the button's cell captures it (msg_id set around the callback).
      const sequence = first.iopub.map((m) =>
        m.header.msg_type === "comm_msg"
          ? `msg_id=${stateOf(m).msg_id}`
          : m.header.msg_type === "stream"
            ? `print ${String(m.content.text).trim()}`
            : types([m])[0],
      );
      assert.deepEqual(sequence, ["status:busy", `msg_id=${first.msgId}`, "print clicked 1", "msg_id=", "status:idle"]);
      const outputId = first.iopub[1].content.comm_id;
      const outputShown = outputs.find(
        (m) => m.header.msg_type === "display_data" && (dataOf(m)[WIDGET_VIEW] as Data | undefined)?.model_id === outputId,
      );
      assert.ok(outputShown, "the capturing Output widget was displayed in the button's cell");
    });
  });

  describe("comm close", () => {
    it("closes a widget when the frontend closes its comm, and tells the frontend when the kernel closes one", async () => {
      await run("const c1 = new IntSlider();\nconst c2 = new IntSlider();");
      const [id1, id2] = (await evaluate("[c1.modelId, c2.modelId]")) as string[];
      const closed = await k.roundTrip("shell", "comm_close", { comm_id: id1, data: {} });
      assert.deepEqual(types(closed.iopub), ["status:busy", "status:idle"]);
      const kernelClose = await run("c2.close();");
      assert.deepEqual(
        kernelClose.outputs.filter((m) => m.header.msg_type === "comm_close").map((m) => m.content.comm_id),
        [id2],
      );
      assert.deepEqual(await evaluate("[c1.closed, c2.closed]"), [true, true]);
      const { reply } = await k.roundTrip("shell", "comm_info_request", {});
      const comms = reply?.content.comms as Data;
      assert.equal(comms[id1], undefined);
      assert.equal(comms[id2], undefined);
    });
  });

  describe("a burst of updates while a cell awaits", () => {
    it("handles 500 updates in order, each framed by busy/idle, while a cell awaits", async () => {
      const { outputs } = await run(
        'const burst = new IntSlider({ value: 0, min: 0, max: 1000 });\nconst burstSeen: number[] = [];\nburst.on("change:value", ({ new: v }) => { burstSeen.push(v as number); });\nburst',
      );
      const burstId = shownModelId(outputs);

      const cell = await k.request("shell", "execute_request", {
        code: 'await new Promise((r) => setTimeout(r, 3000));\n"waited"',
        silent: false,
      });
      await k.waitForIopub(
        "the awaiting cell's execute_input",
        (m) => m.parent_header.msg_id === cell && m.header.msg_type === "execute_input",
      );
      const ids: string[] = [];
      for (let value = 1; value <= 500; value++) {
        ids.push(
          await k.request("shell", "comm_msg", {
            comm_id: burstId,
            data: { method: "update", state: { value }, buffer_paths: [] },
          }),
        );
      }
      await k.collectUntilIdle(ids[ids.length - 1], 60_000);
      const waited = await k.collectUntilIdle(cell);
      assert.equal(waited.reply?.content.status, "ok");
      // Comm messages are served during the cell's await, not held back until it ends.
      const iopubIndex = (msgId: string) =>
        k.received.findIndex(
          (m) => m.channel === "iopub" && m.parent_header.msg_id === msgId && m.content.execution_state === "idle",
        );
      assert.ok(iopubIndex(ids[0]) < iopubIndex(cell), "the first update was handled while the cell was awaiting");

      const echoed: number[] = [];
      for (const id of ids) {
        const msgs = k.iopubFor(id);
        assert.equal(msgs[0]?.content.execution_state, "busy", `busy first for ${id}`);
        assert.equal(msgs[msgs.length - 1]?.content.execution_state, "idle", `idle last for ${id}`);
        assert.equal(msgs.filter((m) => m.header.msg_type === "status").length, 2);
        const echoes = commMsgs(msgs, burstId, "echo_update");
        assert.equal(echoes.length, 1);
        echoed.push(stateOf(echoes[0]).value as number);
      }
      assert.deepEqual(
        echoed,
        Array.from({ length: 500 }, (_, i) => i + 1),
      );
      // Echoes also arrive in that order on the wire (not just per request).
      const wireOrder = commMsgs(
        k.received.filter((m) => m.channel === "iopub"),
        burstId,
        "echo_update",
      ).map((m) => stateOf(m).value);
      assert.deepEqual(wireOrder, echoed);
      // Handled one at a time: request n's idle comes before request n+1's busy.
      const statusOrder = k.received
        .filter((m) => m.header.msg_type === "status" && ids.includes(String(m.parent_header.msg_id)))
        .map((m) => `${m.content.execution_state}:${m.parent_header.msg_id}`);
      assert.deepEqual(
        statusOrder,
        ids.flatMap((id) => [`busy:${id}`, `idle:${id}`]),
      );
      assert.deepEqual(
        commMsgs(k.received, burstId, "update").filter((m) => (stateOf(m).value as number) >= 1),
        [],
        "no value echoed back as a plain update",
      );

      assert.deepEqual(
        await evaluate(
          "{ n: burstSeen.length, last: burstSeen[burstSeen.length - 1], inOrder: burstSeen.every((v, i) => v === i + 1), value: burst.value }",
        ),
        {
          n: 500,
          last: 500,
          inOrder: true,
          value: 500,
        },
      );
    });
  });
});
