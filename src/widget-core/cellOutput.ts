/**
 * Where widget callbacks print. A callback triggered by the frontend runs while
 * the kernel serves a comm_msg, after the widget's cell has finished; plain
 * output would land in JupyterLab's log console. Instead, the first time a
 * callback is registered during a cell, an (empty) Output widget is displayed at
 * the end of that cell; callbacks then run with that Output capturing their
 * comm_msg's output (Output-widget semantics), so prints and displays appear
 * under the cell that created the widget.
 */
import type { CellRef } from "../common/host";
import { kernelHost } from "./host";

/** An Output widget used as a capture target. */
export interface OutputSink {
  /** Sets the Output's msg_id: outputs parented to that message are captured ("" stops). */
  setMsgId(msgId: string): void;
  /** Displays the Output in the current cell. */
  show(): void;
}

const sinks = new Map<string, OutputSink>();

/**
 * The capture target for callbacks of a widget created in `creator`: that cell's
 * sink, else the current cell's; created (and shown at cell end) while the cell runs.
 */
export function callbackOutputFor(creator: CellRef | undefined, create: () => OutputSink): OutputSink | undefined {
  const host = kernelHost();
  for (const cell of [creator, host.currentCell()]) {
    if (!cell) continue;
    const existing = sinks.get(cell.msgId);
    if (existing) return existing;
    if (!cell.running) continue;
    const sink = create();
    if (host.atCellEnd(cell, () => sink.show())) {
      sinks.set(cell.msgId, sink);
      return sink;
    }
  }
  return undefined;
}

/** Runs `fn`, capturing its output into `sink` when called outside cell code. */
export function runCapturing<T>(sink: OutputSink | undefined, fn: () => T): T {
  const host = kernelHost();
  const requestId = host.currentRequestId();
  if (!sink || host.currentCell() || !requestId) return fn();
  return withMsgId((id) => sink.setMsgId(id), requestId, "", fn);
}

/**
 * Runs `fn` with an Output's msg_id set to `requestId` (so the frontend captures that
 * request's output), and sets it to `after` once `fn` — or the promise it returns — settles.
 */
export function withMsgId<T>(setMsgId: (msgId: string) => void, requestId: string, after: string, fn: () => T): T {
  setMsgId(requestId);
  let result: T;
  try {
    result = fn();
  } catch (err) {
    setMsgId(after);
    throw err;
  }
  if (result instanceof Promise) return result.finally(() => setMsgId(after)) as T;
  setMsgId(after);
  return result;
}
