/**
 * The kernel's implementation of `KernelHost` (see src/common/host.ts), installed on
 * globalThis, plus the `jupyter.widget.control` target that answers a page
 * reload with the state of every registered widget.
 */
import type { CommManager } from "./comms";
import { CellState, currentContext } from "./context";
import { CellRef, HOST_KEY, KernelHost, MimeBundle, WidgetStateSource } from "../src/common/host";
import type { IOPub } from "./iopub";

/** Control comm target of the ipywidgets protocol (control protocol 1.0.0). */
export const CONTROL_TARGET = "jupyter.widget.control";

/** Builds the host object over the kernel's IOPub and comm manager. */
export function createHost(iopub: IOPub, comms: CommManager, runningCell: () => CellState | undefined): KernelHost {
  const widgets = new Map<string, WidgetStateSource>();

  comms.registerTarget(CONTROL_TARGET, (comm) => {
    comm.onMsg((msg) => {
      if (msg.data.method !== "request_states") return;
      const states = Object.create(null) as Record<string, unknown>; // keyed by model ids: no inherited keys
      const bufferPaths: (string | number)[][] = [];
      const buffers: (ArrayBuffer | ArrayBufferView)[] = [];
      for (const [modelId, source] of widgets) {
        const snap = source.snapshot();
        states[modelId] = {
          model_name: snap.modelName,
          model_module: snap.modelModule,
          model_module_version: snap.modelModuleVersion,
          state: snap.state,
        };
        snap.bufferPaths.forEach((p) => bufferPaths.push([modelId, "state", ...p]));
        buffers.push(...snap.buffers);
      }
      comm.send({ method: "update_states", states, buffer_paths: bufferPaths }, buffers);
    });
  });

  return {
    version: 1,
    openComm: (targetName, data, options) => comms.open(targetName, data, options),
    registerTarget: (targetName, handler) => comms.registerTarget(targetName, handler),
    display: (bundle: MimeBundle) =>
      void iopub.publish("display_data", { data: bundle.data, metadata: bundle.metadata ?? {}, transient: {} }),
    currentRequestId: () => iopub.currentParent()?.msg_id,
    currentCell: () => currentContext()?.cell,
    atCellEnd: (cell: CellRef, fn) => {
      const target = runningCell();
      if (!target || target.msgId !== cell.msgId || !target.running) return false;
      target.endHooks.push(fn);
      return true;
    },
    registerWidget: (modelId, source) => {
      widgets.set(modelId, source);
      return () => {
        if (widgets.get(modelId) === source) widgets.delete(modelId);
      };
    },
  };
}

/** Makes `host` the one library code finds on globalThis. */
export function installHost(host: KernelHost): void {
  Object.defineProperty(globalThis, HOST_KEY, { value: host, configurable: true, writable: false, enumerable: false });
}
