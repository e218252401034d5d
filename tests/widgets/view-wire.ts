/**
 * The views over the real kernel wire: one kernel process (started on first use, shared by every
 * view's test file in a mocha run, stopped after the run) with `lens` and the embedded `model`
 * loaded; a cell's view is read back from its comm_open as the browser would read it (buffers put
 * back at their paths, binary fields through the spec's serialisers), and frontend updates go
 * back as comm_msg.
 */
import assert from "node:assert/strict";
import { MODULE_NAME } from "../../src/common/module";
import { fieldReader } from "../../src/common/spec";
import type { FieldReader, Fields, ViewSpec } from "../../src/common/spec";
import { putBuffers } from "../../src/widget-core/buffers";
import { KernelClient, Received } from "../kernel/client";

const WIDGET_VIEW = "application/vnd.jupyter.widget-view+json";

let started: Promise<KernelClient> | undefined;

/** The shared kernel, with `lens` (tslens) and `model` (the embedded model) defined in it. */
export function viewKernel(): Promise<KernelClient> {
  started ??= (async () => {
    const kernel = await KernelClient.start();
    await kernel.run('import * as lens from "tslens";\nconst model = await lens.loadModel();');
    return kernel;
  })();
  return started;
}

after(async function () {
  this.timeout(30_000);
  if (started) await (await started.catch(() => undefined))?.stop();
});

/** A view as a frontend received it. */
export interface WireView {
  /** The comm (= model) id. */
  commId: string;
  /** Its full state, binary values put back (as DataViews) at their buffer paths. */
  state: Record<string, unknown>;
  /** The display bundle that showed it: text/plain and image/png (base64) among others. */
  shown: Record<string, unknown>;
  /** Every comm_open of the cell, in order (views open their children first). */
  opens: Received[];
}

/** The state of a comm_open, with its buffers put back as DataViews. */
export function openedState(open: Received): Record<string, unknown> {
  const data = open.content.data as { state: Record<string, unknown>; buffer_paths: unknown };
  const views = open.buffers.map((b) => new DataView(b.buffer, b.byteOffset, b.byteLength));
  putBuffers(data.state, data.buffer_paths, views);
  return data.state;
}

/** The bundle a cell's output shows (its last expression's result, or a display), if any. */
export function shownBundle(outputs: Received[]): Record<string, unknown> | undefined {
  const shown = outputs.find((m) => m.header.msg_type === "execute_result" || m.header.msg_type === "display_data");
  return shown?.content.data as Record<string, unknown> | undefined;
}

/** Runs `code` (its last expression a view of `spec`) and reads the view back from the wire. */
export async function showView(kernel: KernelClient, spec: ViewSpec, code: string): Promise<WireView> {
  const { outputs } = await kernel.run(code);
  const opens = outputs.filter((m) => m.header.msg_type === "comm_open");
  const shown = outputs.find(
    (m) =>
      (m.header.msg_type === "execute_result" || m.header.msg_type === "display_data") &&
      WIDGET_VIEW in (m.content.data as object),
  );
  assert.ok(shown, `the cell shows a view: ${outputs.map((m) => m.header.msg_type)}`);
  const data = shown.content.data as Record<string, unknown>;
  const commId = String((data[WIDGET_VIEW] as { model_id: string }).model_id);
  const open = opens.find((m) => m.content.comm_id === commId);
  assert.ok(open, "the view's comm_open is in the cell's output");
  const state = openedState(open);
  assert.equal(state._model_module, MODULE_NAME);
  assert.equal(state._model_name, spec.modelName);
  assert.equal(state._view_name, spec.viewName);
  return { commId, state, shown: data, opens };
}

/** Reads the fields of a received state as the browser model does: typed by `spec`, binary fields deserialised. */
export function wireFields<F extends Fields>(spec: ViewSpec<F>, state: Record<string, unknown>): FieldReader<F> {
  const byWire = new Map(Object.values(spec.fields).map((f) => [f.wire, f]));
  return fieldReader(spec, (wire) => {
    const f = byWire.get(wire);
    return f?.serializer ? f.serializer.deserialize(state[wire]) : state[wire];
  });
}

/** Sends a frontend update of `state` (wire names) to the view's comm; returns what the kernel published for it. */
export async function frontendUpdate(kernel: KernelClient, commId: string, state: Record<string, unknown>): Promise<Received[]> {
  const { iopub } = await kernel.roundTrip("shell", "comm_msg", {
    comm_id: commId,
    data: { method: "update", state, buffer_paths: [] },
  });
  return iopub;
}

/** The update messages the kernel sent on `commId` among `msgs`, their buffers put back. */
export function updatesOn(msgs: Received[], commId: string): Record<string, unknown>[] {
  return msgs
    .filter(
      (m) =>
        m.header.msg_type === "comm_msg" &&
        m.content.comm_id === commId &&
        (m.content.data as { method?: string }).method === "update",
    )
    .map(openedState);
}
