/**
 * Comm manager: the registry of live comms and comm targets, for both
 * directions. Kernel → frontend traffic goes to IOPub; frontend → kernel
 * traffic arrives on shell as comm_open / comm_msg / comm_close.
 */
import { randomUUID } from "crypto";
import type { BinaryData, Comm, CommMessage, CommTargetHandler } from "../src/common/host";
import type { IOPub } from "./iopub";
import { log } from "./log";
import type { JupyterMessage } from "./wire";

/** A client-sent value for a log line: short JSON, or its type when it cannot be shown. */
function shown(value: unknown, max = 120): string {
  let text: string;
  try {
    text = JSON.stringify(value) ?? String(value);
  } catch {
    text = `<${Array.isArray(value) ? "list" : typeof value} too deep to show>`;
  }
  return text.length > max ? `${text.slice(0, max)}…` : text;
}

/** Converts received frames into owned DataViews for user code. */
function toDataViews(buffers: Buffer[]): DataView[] {
  return buffers.map((b) => {
    const owned = new ArrayBuffer(b.byteLength);
    new Uint8Array(owned).set(b);
    return new DataView(owned);
  });
}

/** The comm message handed to handlers for a received shell message. */
export function commMessageOf(msg: JupyterMessage): CommMessage {
  const data = msg.content.data;
  return {
    data: data !== null && typeof data === "object" && !Array.isArray(data) ? (data as Record<string, unknown>) : {},
    buffers: toDataViews(msg.buffers),
    msgId: msg.header.msg_id,
  };
}

class KernelComm implements Comm {
  closed = false;
  private readonly msgHandlers: ((msg: CommMessage) => void | Promise<void>)[] = [];
  private readonly closeHandlers: ((msg: CommMessage | undefined) => void)[] = [];

  constructor(
    readonly commId: string,
    readonly targetName: string,
    private readonly manager: CommManager,
  ) {}

  send(data: Record<string, unknown>, buffers: BinaryData[] = [], metadata: Record<string, unknown> = {}): void {
    if (this.closed) throw new Error(`comm ${this.commId} (${this.targetName}) is closed`);
    void this.manager.iopub.publish("comm_msg", { comm_id: this.commId, data }, { buffers, metadata });
  }

  close(data: Record<string, unknown> = {}): void {
    if (this.closed) return;
    void this.manager.iopub.publish("comm_close", { comm_id: this.commId, data });
    this.markClosed(undefined);
  }

  onMsg(handler: (msg: CommMessage) => void | Promise<void>): void {
    this.msgHandlers.push(handler);
  }

  onClose(handler: (msg: CommMessage | undefined) => void): void {
    this.closeHandlers.push(handler);
  }

  /** Runs message handlers in registration order, awaiting each. */
  async deliver(msg: CommMessage): Promise<void> {
    for (const handler of this.msgHandlers) await handler(msg);
  }

  /** Forgets the comm and tells close handlers; idempotent. */
  markClosed(msg: CommMessage | undefined): void {
    if (this.closed) return;
    this.closed = true;
    this.manager.forget(this.commId);
    for (const handler of this.closeHandlers) {
      try {
        handler(msg);
      } catch (err) {
        log("error", `close handler of comm ${this.commId} threw: ${(err as Error)?.stack ?? err}`);
      }
    }
  }
}

/** Registry of comm targets and live comms. */
export class CommManager {
  private readonly comms = new Map<string, KernelComm>();
  private readonly targets = new Map<string, CommTargetHandler>();

  constructor(readonly iopub: IOPub) {}

  /** Registers (or replaces) the handler for frontend-opened comms of a target. */
  registerTarget(targetName: string, handler: CommTargetHandler): void {
    this.targets.set(targetName, handler);
  }

  /** Opens a comm from the kernel side. */
  open(
    targetName: string,
    data: Record<string, unknown>,
    options: { metadata?: Record<string, unknown>; buffers?: BinaryData[]; commId?: string } = {},
  ): Comm {
    const commId = options.commId ?? randomUUID().replace(/-/g, "");
    if (this.comms.has(commId)) throw new Error(`comm id ${commId} is already open`);
    const comm = new KernelComm(commId, targetName, this);
    this.comms.set(commId, comm);
    void this.iopub.publish(
      "comm_open",
      { comm_id: commId, target_name: targetName, data },
      { metadata: options.metadata ?? {}, buffers: options.buffers ?? [] },
    );
    return comm;
  }

  has(commId: string): boolean {
    return this.comms.has(commId);
  }

  forget(commId: string): void {
    this.comms.delete(commId);
  }

  /** comm_info_reply content, optionally filtered by target name (keyed by comm id, which the frontend may choose). */
  info(targetName?: string): Record<string, { target_name: string }> {
    // Without a prototype, a comm id such as "__proto__" is an ordinary key.
    const comms = Object.create(null) as Record<string, { target_name: string }>;
    for (const comm of this.comms.values()) {
      if (targetName === undefined || comm.targetName === targetName) comms[comm.commId] = { target_name: comm.targetName };
    }
    return comms;
  }

  /** Handles a frontend comm_open: unknown target or a throwing handler → comm_close on IOPub. */
  async handleOpen(msg: JupyterMessage): Promise<void> {
    const commId = msg.content.comm_id;
    const targetName = msg.content.target_name;
    if (typeof commId !== "string" || typeof targetName !== "string") {
      log("warn", `comm_open without string comm_id/target_name ignored (msg ${msg.header.msg_id})`);
      return;
    }
    const handler = this.targets.get(targetName);
    if (!handler) {
      log("warn", `comm_open for unknown target ${shown(targetName)} (comm ${shown(commId)}): closing it`);
      await this.iopub.publish("comm_close", { comm_id: commId, data: {} });
      return;
    }
    if (this.comms.has(commId)) {
      log("warn", `comm_open for comm id ${shown(commId)} that is already open ignored`);
      return;
    }
    const comm = new KernelComm(commId, targetName, this);
    this.comms.set(commId, comm);
    try {
      await handler(comm, commMessageOf(msg));
    } catch (err) {
      log("error", `target "${targetName}" failed to open comm ${commId}: ${(err as Error)?.stack ?? err}`);
      comm.close();
    }
  }

  /** Handles a frontend comm_msg; unknown comm ids are logged and ignored. */
  async handleMsg(msg: JupyterMessage): Promise<void> {
    const comm = this.lookup(msg, "comm_msg");
    if (comm) await comm.deliver(commMessageOf(msg));
  }

  /** Handles a frontend comm_close. */
  handleClose(msg: JupyterMessage): void {
    this.lookup(msg, "comm_close")?.markClosed(commMessageOf(msg));
  }

  private lookup(msg: JupyterMessage, kind: string): KernelComm | undefined {
    const commId = msg.content.comm_id;
    const comm = typeof commId === "string" ? this.comms.get(commId) : undefined;
    if (!comm) log("warn", `${kind} for unknown comm id ${shown(commId)} ignored`);
    return comm;
  }
}
