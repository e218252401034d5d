/**
 * An in-process stand-in for the kernel host, recording what widgets send, so
 * widget logic can be tested without a kernel process.
 */
import { HOST_KEY } from "../../src/common/host";
import type { BinaryData, CellRef, Comm, CommMessage, KernelHost, MimeBundle, WidgetStateSource } from "../../src/common/host";

/** One message a widget sent through the fake host. */
export interface Sent {
  kind: "open" | "msg" | "close";
  commId: string;
  data: Record<string, unknown>;
  buffers: BinaryData[];
  metadata: Record<string, unknown>;
}

/** A comm whose frontend side the test plays. */
export class FakeComm implements Comm {
  closed = false;
  msgHandlers: ((m: CommMessage) => void | Promise<void>)[] = [];
  closeHandlers: ((m: CommMessage | undefined) => void)[] = [];
  constructor(
    readonly commId: string,
    readonly targetName: string,
    private readonly host: FakeHost,
  ) {}
  send(data: Record<string, unknown>, buffers: BinaryData[] = [], metadata: Record<string, unknown> = {}): void {
    this.host.sent.push({ kind: "msg", commId: this.commId, data, buffers, metadata });
  }
  close(data: Record<string, unknown> = {}): void {
    this.closed = true;
    this.host.sent.push({ kind: "close", commId: this.commId, data, buffers: [], metadata: {} });
  }
  onMsg(handler: (m: CommMessage) => void | Promise<void>): void {
    this.msgHandlers.push(handler);
  }
  onClose(handler: (m: CommMessage | undefined) => void): void {
    this.closeHandlers.push(handler);
  }
  /** Delivers a frontend message, as the kernel would. */
  async receive(data: Record<string, unknown>, buffers: DataView[] = []): Promise<void> {
    for (const h of this.msgHandlers) await h({ data, buffers, msgId: `frontend-${++this.host.counter}` });
  }
  /** The frontend closes the comm. */
  closeFromFrontend(): void {
    this.closed = true;
    for (const h of this.closeHandlers) h(undefined);
  }
}

/** Records opens, messages, displays; plays "inside a running cell" unless `cell` is undefined. */
export class FakeHost implements KernelHost {
  readonly version = 1 as const;
  sent: Sent[] = [];
  displayed: MimeBundle[] = [];
  comms = new Map<string, FakeComm>();
  widgets = new Map<string, WidgetStateSource>();
  counter = 0;
  /** The running cell; each fake host gets a fresh request id, as each real cell does. */
  cell: (CellRef & { running: boolean; hooks: (() => void | Promise<void>)[] }) | undefined = {
    msgId: `cell-${Math.random()}`,
    running: true,
    hooks: [],
  };
  requestId: string | undefined = this.cell?.msgId;

  openComm(
    targetName: string,
    data: Record<string, unknown>,
    options: { metadata?: Record<string, unknown>; buffers?: BinaryData[] } = {},
  ): Comm {
    const comm = new FakeComm(`comm${++this.counter}`, targetName, this);
    this.comms.set(comm.commId, comm);
    this.sent.push({ kind: "open", commId: comm.commId, data, buffers: options.buffers ?? [], metadata: options.metadata ?? {} });
    return comm;
  }
  registerTarget(): void {}
  display(bundle: MimeBundle): void {
    this.displayed.push(bundle);
  }
  currentRequestId(): string | undefined {
    return this.requestId;
  }
  currentCell(): CellRef | undefined {
    return this.cell;
  }
  atCellEnd(cell: CellRef, fn: () => void | Promise<void>): boolean {
    if (!this.cell || this.cell.msgId !== cell.msgId || !this.cell.running) return false;
    this.cell.hooks.push(fn);
    return true;
  }
  registerWidget(modelId: string, source: WidgetStateSource): () => void {
    this.widgets.set(modelId, source);
    return () => this.widgets.delete(modelId);
  }
  /** Messages sent on one comm, of one kind. */
  messages(commId: string, kind: Sent["kind"] = "msg"): Sent[] {
    return this.sent.filter((s) => s.commId === commId && s.kind === kind);
  }
}

/** Installs a fresh fake host on globalThis (replacing any other) and returns it. */
export function installFakeHost(): FakeHost {
  const host = new FakeHost();
  Object.defineProperty(globalThis, HOST_KEY, { value: host, configurable: true, writable: true });
  return host;
}

/** Removes the fake host. */
export function removeFakeHost(): void {
  delete (globalThis as Record<symbol, unknown>)[HOST_KEY];
}
