/**
 * Which request is being served in the current async context.
 *
 * Everything the kernel publishes is parented to the request being served where
 * the output was produced: cell code → its execute_request, a comm handler → its
 * comm_msg. AsyncLocalStorage carries that across awaits and timers.
 */
import { AsyncLocalStorage } from "async_hooks";
import type { CellRef } from "../src/common/host";
import type { MessageHeader } from "./wire";

/** A cell while it executes: hooks to run before its reply. */
export class CellState implements CellRef {
  running = true;
  /** Set when the user interrupts the cell; long work it started checks it and stops. */
  interrupted = false;
  readonly endHooks: (() => void | Promise<void>)[] = [];

  constructor(readonly request: MessageHeader) {}

  get msgId(): string {
    return this.request.msg_id;
  }
}

/** What the current async context is serving. */
export interface RequestContext {
  parent: MessageHeader;
  /** Set only for cell code (execute_request). */
  cell?: CellState;
}

const storage = new AsyncLocalStorage<RequestContext>();

/** Runs `fn` with `ctx` as the current request context. */
export function runInContext<T>(ctx: RequestContext, fn: () => T): T {
  return storage.run(ctx, fn);
}

/** The request context of the caller, if any. */
export function currentContext(): RequestContext | undefined {
  return storage.getStore();
}
