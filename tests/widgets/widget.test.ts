/**
 * Widget logic against a fake host: state on the wire, property lock and echo,
 * validation, references, binary values, callback output capture.
 */
import { strict as assert } from "assert";
import { Button, Dropdown, HBox, IntSlider, Output, Text, Widget, camelName, wireName } from "../../src";
import { BadMessageError } from "../../src/widget-core/buffers";
import recorded from "../../src/controls/defaults.json";
import { FakeHost, installFakeHost, removeFakeHost } from "./fake-host";

function captureStderr<T>(fn: () => Promise<T>): Promise<{ result: T; stderr: string }> {
  const original = process.stderr.write;
  let stderr = "";
  process.stderr.write = ((chunk: string | Uint8Array) => {
    stderr += chunk.toString();
    return true;
  }) as typeof process.stderr.write;
  return fn().then(
    (result) => {
      process.stderr.write = original;
      return { result, stderr };
    },
    (err) => {
      process.stderr.write = original;
      throw err;
    },
  );
}

describe("widgets (fake host)", function () {
  let host: FakeHost;
  beforeEach(() => (host = installFakeHost()));
  afterEach(() => removeFakeHost());

  it("opens Layout, SliderStyle and IntSlider in that order with ipywidgets' full default state", function () {
    const s = new IntSlider({ value: 3, min: 0, max: 10, description: "n" });
    const opens = host.sent.filter((m) => m.kind === "open");
    assert.deepEqual(
      opens.map((o) => (o.data.state as Record<string, unknown>)._model_name),
      ["LayoutModel", "SliderStyleModel", "IntSliderModel"],
    );
    for (const o of opens) assert.deepEqual(o.metadata, { version: "2.1.0" });
    const state = opens[2].data.state as Record<string, unknown>;
    const expected = {
      ...recorded.models.IntSlider.state,
      value: 3,
      max: 10,
      description: "n",
      layout: `IPY_MODEL_${opens[0].commId}`,
      style: `IPY_MODEL_${opens[1].commId}`,
    };
    assert.deepEqual(state, expected);
    assert.equal(s.modelId, opens[2].commId);
    assert.equal(s.value, 3);
    assert.equal(s.continuousUpdate, true);
  });

  it("sends only changed keys for kernel-side sets, and nothing for an unchanged value", function () {
    const s = new IntSlider({ value: 3, max: 10 });
    s.value = 5;
    s.value = 5;
    s.set({ min: 1, description: "d" });
    assert.deepEqual(
      host.messages(s.modelId).map((m) => m.data),
      [
        { method: "update", state: { value: 5 }, buffer_paths: [] },
        { method: "update", state: { min: 1, description: "d" }, buffer_paths: [] },
      ],
    );
  });

  it("echoes a frontend update, applies it under the property lock, and syncs only what listeners change", async function () {
    const s = new IntSlider({ value: 3, max: 10 });
    const seen: unknown[] = [];
    s.on("change:value", (c) => {
      seen.push([c.name, c.old, c.new]);
      s.description = `value ${c.new}`;
    });
    await host.comms.get(s.modelId)!.receive({ method: "update", state: { value: 7 }, buffer_paths: [] });
    assert.deepEqual(seen, [["value", 3, 7]]);
    assert.equal(s.value, 7);
    assert.deepEqual(
      host.messages(s.modelId).map((m) => m.data),
      [
        { method: "echo_update", state: { value: 7 }, buffer_paths: [] },
        { method: "update", state: { description: "value 7" }, buffer_paths: [] },
      ],
    );
  });

  it("neither echoes nor applies properties the widget does not have, and says so", async function () {
    const s = new IntSlider({ value: 3, max: 10 });
    const { stderr } = await captureStderr(() =>
      host.comms.get(s.modelId)!.receive({ method: "update", state: { value: 4, nope: 1 }, buffer_paths: [] }),
    );
    assert.match(stderr, /IntSlider: frontend sent unknown property "nope"; ignored/);
    assert.equal(s.value, 4);
    assert.deepEqual(
      host.messages(s.modelId).map((m) => m.data),
      [{ method: "echo_update", state: { value: 4 }, buffer_paths: [] }],
    );
  });

  it("sends a coerced value back when validation changes what the frontend sent", async function () {
    const s = new IntSlider({ value: 3, max: 10 });
    await host.comms.get(s.modelId)!.receive({ method: "update", state: { value: 42 }, buffer_paths: [] });
    assert.equal(s.value, 10);
    assert.deepEqual(host.messages(s.modelId).at(-1)!.data, { method: "update", state: { value: 10 }, buffer_paths: [] });
  });

  it("rejects an invalid frontend update atomically, reports it and resets the frontend", async function () {
    const s = new IntSlider({ value: 3, max: 10 });
    const { stderr } = await captureStderr(() =>
      host.comms.get(s.modelId)!.receive({ method: "update", state: { description: "x", value: "seven" }, buffer_paths: [] }),
    );
    assert.match(stderr, /IntSlider: rejected update from the frontend: IntSlider\.value must be a number/);
    assert.equal(s.value, 3);
    assert.equal(s.description, "");
    assert.deepEqual(host.messages(s.modelId).at(-1)!.data, {
      method: "update",
      state: { description: "", value: 3 },
      buffer_paths: [],
    });
  });

  it("clamps kernel-side values and rejects unknown properties", function () {
    const s = new IntSlider({ value: 3, max: 10 });
    s.value = 12.6;
    assert.equal(s.value, 10);
    s.max = 4;
    assert.equal(s.value, 4);
    assert.throws(() => s.set({ valu: 1 }), /IntSlider has no property "valu"/);
    assert.throws(() => new IntSlider({ valu: 1 } as never), /IntSlider has no option "valu"/);
    assert.throws(() => s.on("change:valu", () => undefined), /IntSlider has no property "valu"/);
  });

  it("answers request_state with the full state", async function () {
    const s = new Text({ value: "<b>not markup</b>" });
    await host.comms.get(s.modelId)!.receive({ method: "request_state" });
    const reply = host.messages(s.modelId).at(-1)!.data as { method: string; state: Record<string, unknown> };
    assert.equal(reply.method, "update");
    assert.equal(reply.state._model_name, "TextModel");
    assert.equal(reply.state.value, "<b>not markup</b>");
  });

  it("maps Dropdown index to values and labels both ways", async function () {
    const d = new Dropdown({
      options: [
        ["zero", 0],
        ["one", 1],
        ["two", 2],
      ],
      value: 1,
    });
    const opened = host.messages(d.modelId, "open")[0].data.state as Record<string, unknown>;
    assert.deepEqual(opened._options_labels, ["zero", "one", "two"]);
    assert.equal(opened.index, 1);
    const values: unknown[] = [];
    d.on("change:value", (c) => void values.push([c.old, c.new]));
    await host.comms.get(d.modelId)!.receive({ method: "update", state: { index: 2 }, buffer_paths: [] });
    assert.equal(d.value, 2);
    assert.equal(d.label, "two");
    assert.deepEqual(values, [[1, 2]]);
    d.value = 0;
    assert.deepEqual(host.messages(d.modelId).at(-1)!.data, { method: "update", state: { index: 0 }, buffer_paths: [] });
    assert.throws(() => (d.value = 7), /Dropdown value 7 is not one of the options/);
    assert.throws(() => (d.index = 3), /Dropdown index 3 is out of range 0\.\.2/);
  });

  it("sends widget references as IPY_MODEL_ ids and resolves them on receive", async function () {
    const a = new Text();
    const b = new Text();
    const box = new HBox([a]);
    const opened = host.messages(box.modelId, "open")[0].data.state as Record<string, unknown>;
    assert.deepEqual(opened.children, [`IPY_MODEL_${a.modelId}`]);
    await host.comms
      .get(box.modelId)!
      .receive({ method: "update", state: { children: [`IPY_MODEL_${b.modelId}`, `IPY_MODEL_${a.modelId}`] }, buffer_paths: [] });
    assert.deepEqual(box.children, [b, a]);
  });

  it("carries binary values as buffers in open, updates and request_state, and receives them as DataViews", async function () {
    const w = new Widget({
      _model_name: "DataModel",
      _model_module: "test",
      _model_module_version: "1.0.0",
      _view_name: null,
      payload: { data: new Float32Array([1, 2]), shape: [2] },
    });
    const open = host.messages(w.modelId, "open")[0];
    assert.deepEqual(open.data, {
      state: {
        _model_name: "DataModel",
        _model_module: "test",
        _model_module_version: "1.0.0",
        _view_name: null,
        payload: { shape: [2] },
      },
      buffer_paths: [["payload", "data"]],
    });
    assert.deepEqual(Array.from(new Float32Array((open.buffers[0] as Float32Array).buffer)), [1, 2]);
    const bytes = new Uint8Array([9, 8, 7]);
    await host.comms
      .get(w.modelId)!
      .receive({ method: "update", state: { payload: { shape: [3] } }, buffer_paths: [["payload", "data"]] }, [
        new DataView(bytes.buffer),
      ]);
    const payload = w.get("payload") as { data: DataView; shape: number[] };
    assert.deepEqual(Array.from(new Uint8Array(payload.data.buffer)), [9, 8, 7]);
    assert.deepEqual(payload.shape, [3]);
    const echo = host.messages(w.modelId).at(-1)!;
    assert.deepEqual(echo.data, {
      method: "echo_update",
      state: { payload: { shape: [3] } },
      buffer_paths: [["payload", "data"]],
    });
    assert.equal(echo.buffers.length, 1);
  });

  it("routes a frontend-triggered callback's output through an Output shown at the end of the creating cell", async function () {
    const b = new Button({ description: "go" });
    let clicks = 0;
    b.onClick(() => void clicks++);
    assert.equal(host.cell!.hooks.length, 1, "one Output sink scheduled for the cell end");
    await host.cell!.hooks[0]();
    assert.equal(host.displayed.length, 1);
    const outputId = (host.displayed[0].data["application/vnd.jupyter.widget-view+json"] as { model_id: string }).model_id;
    assert.equal((host.messages(outputId, "open")[0].data.state as Record<string, unknown>)._model_name, "OutputModel");
    // The cell has ended; a click arrives as a comm_msg.
    host.cell = undefined;
    host.requestId = "comm-msg-9";
    await host.comms.get(b.modelId)!.receive({ method: "custom", content: { event: "click" } });
    assert.equal(clicks, 1);
    assert.deepEqual(
      host.messages(outputId).map((m) => (m.data.state as Record<string, unknown>).msg_id),
      ["comm-msg-9", ""],
    );
  });

  it("runs callbacks directly (no capture) when a kernel-side change happens in cell code", function () {
    const s = new IntSlider();
    const seen: number[] = [];
    s.on("change:value", (c) => void seen.push(c.new as number));
    s.value = 4;
    assert.deepEqual(seen, [4]);
    const outputs = host.sent.filter(
      (m) => m.kind === "msg" && (m.data.state as Record<string, unknown> | undefined)?.msg_id !== undefined,
    );
    assert.deepEqual(outputs, []);
  });

  it("Output.capture points msg_id at the current request while fn (or its promise) runs", async function () {
    const out = new Output();
    host.requestId = "req-1";
    const value = out.capture(() => {
      assert.equal(out.msgId, "req-1");
      return 42;
    });
    assert.equal(value, 42);
    assert.equal(out.msgId, "");
    host.requestId = "req-2";
    let release!: () => void;
    const pending = out.capture(() => new Promise<void>((r) => (release = r)));
    assert.equal(out.msgId, "req-2");
    release();
    await pending;
    assert.equal(out.msgId, "");
    assert.throws(
      () =>
        out.capture(() => {
          throw new Error("inside");
        }),
      /inside/,
    );
    assert.equal(out.msgId, "");
    assert.deepEqual(
      host.messages(out.modelId).map((m) => (m.data.state as Record<string, unknown>).msg_id),
      ["req-1", "", "req-2", "", "req-2", ""],
    );
  });

  it("closes: comm_close sent, registry entry removed, further use rejected", function () {
    const s = new IntSlider();
    assert.ok(host.widgets.has(s.modelId));
    s.close();
    assert.equal(host.messages(s.modelId, "close").length, 1);
    assert.ok(!host.widgets.has(s.modelId));
    assert.throws(() => (s.value = 2), /is closed/);
    assert.equal(s.closed, true);
  });

  it("forgets a widget the frontend closed", function () {
    const s = new IntSlider();
    host.comms.get(s.modelId)!.closeFromFrontend();
    assert.equal(s.closed, true);
    assert.ok(!host.widgets.has(s.modelId));
  });

  it("names properties in camelCase over snake_case wire keys", function () {
    assert.equal(camelName("continuous_update"), "continuousUpdate");
    assert.equal(wireName("readoutFormat"), "readout_format");
    assert.equal(wireName(camelName("description_allow_html")), "description_allow_html");
  });

  it("treats frontend keys named like Object.prototype members as unknown properties", async function () {
    const s = new IntSlider({ value: 3, max: 10 });
    const state = JSON.parse('{"value":4,"constructor":1,"toString":2,"hasOwnProperty":3,"__proto__":{"injected":5}}');
    const { stderr } = await captureStderr(() =>
      host.comms.get(s.modelId)!.receive({ method: "update", state, buffer_paths: [] }),
    );
    for (const key of ["constructor", "toString", "hasOwnProperty", "__proto__"]) {
      assert.ok(stderr.includes(`frontend sent unknown property "${key}"; ignored`), `${key}: ${stderr}`);
    }
    assert.deepEqual(
      host.messages(s.modelId).map((m) => m.data),
      [{ method: "echo_update", state: { value: 4 }, buffer_paths: [] }],
    );
    assert.equal(s.value, 4);
    assert.equal(s.get("injected"), undefined);
    assert.equal(s.get("constructor"), undefined);
    assert.throws(() => s.set({ toString: 1 }), /IntSlider has no property "toString"/);
    assert.throws(() => s.on("change:constructor", () => undefined), /IntSlider has no property "constructor"/);
    assert.equal(String(s), "IntSlider(value=4, min=0, max=10, step=1)");
  });

  it("refuses an update whose buffer path reaches a prototype, leaving widget and Object.prototype untouched", async function () {
    const s = new IntSlider({ value: 3, max: 10 });
    const comm = host.comms.get(s.modelId)!;
    const view = new DataView(new ArrayBuffer(1));
    for (const path of [
      ["__proto__", "polluted"],
      ["constructor", "prototype", "polluted"],
    ]) {
      await assert.rejects(
        comm.receive({ method: "update", state: { value: 5 }, buffer_paths: [path] }, [view]),
        (err: Error) =>
          err instanceof BadMessageError && err.message.includes(`IntSlider ${s.modelId}: buffer path ${JSON.stringify(path)}`),
      );
    }
    assert.equal(({} as Record<string, unknown>).polluted, undefined);
    assert.equal(s.value, 3);
    assert.deepEqual(host.messages(s.modelId), [], "nothing echoed or applied");
  });

  it("refuses update state that is not an object or nests too deep, without exhausting the stack", async function () {
    const s = new IntSlider({ value: 3, max: 10 });
    const comm = host.comms.get(s.modelId)!;
    for (const state of ["abc", 5, [1, 2]]) {
      await assert.rejects(comm.receive({ method: "update", state, buffer_paths: [] }), /update state must be an object/);
    }
    let deep: unknown = 1;
    for (let i = 0; i < 100_000; i++) deep = [deep];
    await assert.rejects(
      comm.receive({ method: "update", state: { value: deep }, buffer_paths: [] }),
      /update state nests deeper than 100 levels/,
    );
    assert.equal(s.value, 3);
    assert.deepEqual(host.messages(s.modelId), []);
  });

  it("fails clearly outside the kernel", function () {
    removeFakeHost();
    assert.throws(() => new IntSlider(), /tslens widgets need the tslens Jupyter kernel/);
  });
});
