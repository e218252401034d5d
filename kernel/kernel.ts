/**
 * The tslens Jupyter kernel: sockets, request dispatch, busy/idle around every
 * shell and control request, the execute queue, and comm routing.
 *
 * Concurrency policy: cells run one at a time, in order. Comm messages are
 * handled one at a time, in order, on their own queue — they are NOT held back
 * while a cell runs, so a cell that awaits (e.g. for a click) sees widget
 * updates and callbacks in between. A cell that blocks the event loop delays
 * them until it ends. Other requests (kernel_info, complete, inspect, …) are
 * answered at once.
 */
import * as zmq from "zeromq";
import { CommManager } from "./comms";
import type { ConnectionInfo } from "./connection";
import { address } from "./connection";
import { CellState, runInContext } from "./context";
import { toMimeBundle } from "./display";
import { bridgeTslabDisplay, TsExecutor } from "./executor";
import { createHost, installHost } from "./host";
import { IOPub } from "./iopub";
import { log } from "./log";
import { installRuntimeResolution, installTypeResolution } from "./resolve";
import { DEFAULT_PATIENCE_MS, SendQueue, Session } from "./session";
import { completeReply, inspectReply, isCompleteReply, kernelInfoReply, ReplyContent } from "./requests";
import { redirectStdio } from "./stdio";
import { decode, JupyterMessage, Signer } from "./wire";

const WIDGET_VIEW_MIME = "application/vnd.jupyter.widget-view+json";

/** How long a comm handler may keep its comm_msg busy before idle is published anyway. */
const COMM_HANDLER_TIMEOUT_MS = Number(process.env.TSLENS_COMM_HANDLER_TIMEOUT_MS ?? 10_000);

/** How long IOPub output waits for a subscriber that reads nothing before it stops waiting for that one. */
const IOPUB_PATIENCE_MS = Number(process.env.TSLENS_IOPUB_PATIENCE_MS ?? DEFAULT_PATIENCE_MS);

/** How long stop() waits for queued messages to leave (a subscriber that stopped reading must not hang shutdown). */
const STOP_FLUSH_TIMEOUT_MS = 2_000;

type Channel = "shell" | "control";

/**
 * Sets ZMQ_XPUB_NODROP on a bound Publisher. libzmq applies it at once; zeromq.js still warns that
 * options set after bind wait for the next bind, and that warning would land in the running cell's stderr.
 */
function setNoDrop(socket: zmq.Publisher, on: boolean): void {
  const emitWarning = process.emitWarning;
  process.emitWarning = ((warning: string | Error, ...rest: never[]) => {
    if (!String(warning).includes("will not take effect until next connect/bind")) emitWarning.call(process, warning, ...rest);
  }) as typeof process.emitWarning;
  try {
    socket.noDrop = on;
  } finally {
    process.emitWarning = emitWarning;
  }
}

/** A client-chosen string cut to a length fit for a log line. */
function brief(text: string, max = 100): string {
  return text.length > max ? `${text.slice(0, max)}…` : text;
}

type Handler = (msg: JupyterMessage, channel: Channel) => void | Promise<void>;

/** A running kernel bound to the ports of one connection file. */
export class Kernel {
  private readonly session: Session;
  private readonly sockets: {
    shell: zmq.Router;
    control: zmq.Router;
    stdin: zmq.Router;
    iopub: zmq.Publisher;
    hb: zmq.Reply;
  };
  private readonly queues: Record<Channel, SendQueue>;
  private readonly iopub: IOPub;
  private readonly comms: CommManager;
  private readonly executor: TsExecutor;
  private executionCount = 0;
  /** Whether the running cell is silent, and its execution count (for execute_result). */
  private silent = false;
  private resultCount = 0;
  private runningCell: CellState | undefined;
  private readonly executeQueue: JupyterMessage[] = [];
  private executing = false;
  /** Requests queued when a cell failed with stop_on_error: answered "aborted" once its idle is out. */
  private toAbort: JupyterMessage[] = [];
  private commChain: Promise<void> = Promise.resolve();
  /** Request handlers by msg_type: a Map, so no msg_type reaches an inherited Object.prototype member. */
  private readonly handlers: ReadonlyMap<string, Handler>;
  private restoreStdio: (() => void) | undefined;
  private stopped = false;

  constructor(private readonly conn: ConnectionInfo) {
    this.session = new Session(new Signer(conn.key, conn.signature_scheme));
    this.sockets = {
      shell: new zmq.Router(),
      control: new zmq.Router(),
      stdin: new zmq.Router(),
      // At a subscriber's high-water mark a send fails at once (noDrop, no send timeout) instead of dropping
      // the message or blocking: the SendQueue retries it, and stops waiting for a subscriber that reads nothing.
      iopub: new zmq.Publisher({ noDrop: true, sendTimeout: 0 }),
      hb: new zmq.Reply(),
    };
    const onSendError = (err: unknown) => log("error", `send failed: ${(err as Error)?.message ?? err}`);
    this.queues = {
      shell: new SendQueue(this.sockets.shell, onSendError),
      control: new SendQueue(this.sockets.control, onSendError),
    };
    this.iopub = new IOPub(
      this.session,
      new SendQueue(this.sockets.iopub, onSendError, {
        patienceMs: IOPUB_PATIENCE_MS,
        setNoDrop: (on) => setNoDrop(this.sockets.iopub, on),
        onStall: (ms) =>
          log("warn", `iopub: a subscriber read nothing for ${ms} ms; it misses what it cannot take until it reads again`),
        onRecover: (passed) => log("info", `iopub: subscribers read again (${passed} messages were sent while one was stalled)`),
      }),
    );
    this.comms = new CommManager(this.iopub);
    installRuntimeResolution();
    installTypeResolution(process.cwd());
    this.executor = new TsExecutor(process.cwd(), (value) => this.publishResult(value));
    installHost(createHost(this.iopub, this.comms, () => this.runningCell));
    bridgeTslabDisplay(
      (content, update) => void this.iopub.publish(update ? "update_display_data" : "display_data", { ...content }),
    );
    this.handlers = new Map<string, Handler>([
      ["kernel_info_request", (m, c) => this.answer(c, m, "kernel_info_reply", kernelInfoReply())],
      ["execute_request", (m) => this.execute(m)],
      ["complete_request", (m, c) => this.answer(c, m, "complete_reply", completeReply(this.executor, m.content))],
      ["inspect_request", (m, c) => this.answer(c, m, "inspect_reply", inspectReply(this.executor, m.content))],
      ["is_complete_request", (m, c) => this.answer(c, m, "is_complete_reply", isCompleteReply(this.executor, m.content))],
      ["history_request", (m, c) => this.reply(c, m, "history_reply", { status: "ok", history: [] })],
      [
        "comm_info_request",
        (m, c) => {
          const target = typeof m.content.target_name === "string" ? m.content.target_name : undefined;
          return this.reply(c, m, "comm_info_reply", { status: "ok", comms: this.comms.info(target) });
        },
      ],
      ["comm_open", (m) => this.comms.handleOpen(m)],
      ["comm_msg", (m) => this.comms.handleMsg(m)],
      ["comm_close", (m) => this.comms.handleClose(m)],
      [
        "interrupt_request",
        (m, c) => {
          this.interrupt();
          return this.reply(c, m, "interrupt_reply", { status: "ok" });
        },
      ],
      ["shutdown_request", (m, c) => this.shutdown(m, c)],
    ]);
  }

  /** Binds all sockets and starts serving. */
  async start(): Promise<void> {
    const { sockets, conn } = this;
    await Promise.all([
      sockets.shell.bind(address(conn, conn.shell_port)),
      sockets.control.bind(address(conn, conn.control_port)),
      sockets.stdin.bind(address(conn, conn.stdin_port)),
      sockets.iopub.bind(address(conn, conn.iopub_port)),
      sockets.hb.bind(address(conn, conn.hb_port)),
    ]);
    this.restoreStdio = redirectStdio(this.iopub);
    process.on("SIGINT", () => this.interrupt());
    void this.serveHeartbeat();
    void this.serve("shell");
    void this.serve("control");
    await this.iopub.status("starting");
    log("info", `kernel ${this.session.id} listening (shell ${address(conn, conn.shell_port)})`);
  }

  /** Interrupts the running cell: it ends at once, and work it started sees `interrupted` and stops. */
  private interrupt(): void {
    if (this.runningCell) this.runningCell.interrupted = true;
    this.executor.interrupt();
  }

  private async serveHeartbeat(): Promise<void> {
    try {
      for await (const frames of this.sockets.hb) await this.sockets.hb.send(frames);
    } catch (err) {
      if (!this.stopped) log("error", `heartbeat stopped: ${(err as Error).message}`);
    }
  }

  private async serve(channel: Channel): Promise<void> {
    try {
      for await (const frames of this.sockets[channel]) this.receive(channel, frames);
    } catch (err) {
      if (!this.stopped) log("error", `${channel} socket stopped: ${(err as Error).message}`);
    }
  }

  /** Decodes one incoming message and routes it; malformed, badly signed or replayed messages are logged and dropped. */
  private receive(channel: Channel, frames: Buffer[]): void {
    let msg: JupyterMessage;
    try {
      msg = decode(frames, this.session.signer, this.session.digests);
    } catch (err) {
      log("warn", `${channel}: dropped message: ${(err as Error).message}`);
      return;
    }
    const type = msg.header.msg_type;
    if (type === "execute_request") {
      this.enqueueExecute(msg);
    } else if (type === "comm_open" || type === "comm_msg" || type === "comm_close") {
      this.commChain = this.commChain.then(() => this.handle(msg, channel, COMM_HANDLER_TIMEOUT_MS));
    } else {
      void this.handle(msg, channel);
    }
  }

  /** Serves one request between busy and idle, parented to it; a timeout bounds how long it holds busy. */
  private async handle(msg: JupyterMessage, channel: Channel, timeoutMs?: number): Promise<void> {
    const handler = this.handlers.get(msg.header.msg_type);
    await this.iopub.status("busy", msg.header);
    try {
      if (!handler) {
        log("warn", `${channel}: unknown msg_type ${JSON.stringify(brief(msg.header.msg_type))} ignored`);
        return;
      }
      const work = runInContext({ parent: msg.header }, () => Promise.resolve().then(() => handler(msg, channel)));
      if (timeoutMs === undefined) {
        await work;
      } else {
        let timer: NodeJS.Timeout | undefined;
        const timedOut = new Promise<void>((resolve) => {
          timer = setTimeout(() => {
            log("warn", `${msg.header.msg_type} handler still running after ${timeoutMs} ms; publishing idle`);
            resolve();
          }, timeoutMs);
        });
        await Promise.race([work, timedOut]).finally(() => clearTimeout(timer));
        work.catch((err) => this.logFailure(msg, err, " late"));
      }
    } catch (err) {
      this.logFailure(msg, err, "");
    } finally {
      await this.iopub.status("idle", msg.header);
    }
  }

  /**
   * Logs a handler's error. A BadMessageError (recognised by name: widget code throws it for frontend
   * messages it cannot apply) is the message's fault: logged as a dropped message, without a stack.
   */
  private logFailure(msg: JupyterMessage, err: unknown, when: string): void {
    if ((err as Error)?.name === "BadMessageError") {
      log("warn", `${brief(msg.header.msg_type)} dropped${when}: ${(err as Error).message}`);
    } else {
      log("error", `${msg.header.msg_type} handler failed${when}: ${(err as Error)?.stack ?? err}`);
    }
  }

  /** Sends a reply built by kernel/requests; a refused request is also logged, naming the problem. */
  private answer(channel: Channel, request: JupyterMessage, msgType: string, reply: ReplyContent): Promise<void> {
    if (reply.problem) log("warn", `${channel}: ${request.header.msg_type} refused: ${reply.problem}`);
    return this.reply(channel, request, msgType, reply.content);
  }

  private reply(channel: Channel, request: JupyterMessage, msgType: string, content: Record<string, unknown>): Promise<void> {
    const { frames } = this.session.build({ msgType, content, parent: request.header, identities: request.identities });
    return this.queues[channel].send(frames);
  }

  private enqueueExecute(msg: JupyterMessage): void {
    this.executeQueue.push(msg);
    if (!this.executing) void this.drainExecuteQueue();
  }

  private async drainExecuteQueue(): Promise<void> {
    this.executing = true;
    try {
      for (let msg = this.executeQueue.shift(); msg; msg = this.executeQueue.shift()) {
        await this.handle(msg, "shell");
        // After the failed cell's idle, as ipykernel does: the cells queued behind it are answered "aborted".
        await this.abortQueuedExecutes();
      }
    } finally {
      this.executing = false;
    }
  }

  /** execute_request handler (runs inside handle(), so busy/idle surround it). */
  private async execute(msg: JupyterMessage): Promise<void> {
    const code = typeof msg.content.code === "string" ? msg.content.code : "";
    const silent = msg.content.silent === true;
    if (!silent && msg.content.store_history !== false) this.executionCount += 1;
    const count = this.executionCount;
    if (!silent) await this.iopub.publish("execute_input", { code, execution_count: count });
    const cell = new CellState(msg.header);
    this.runningCell = cell;
    this.iopub.lastExecuteRequest = msg.header;
    this.silent = silent;
    this.resultCount = count;
    const outcome = await runInContext({ parent: msg.header, cell }, async () => {
      const result = await this.executor.run(code);
      for (const hook of cell.endHooks) {
        try {
          await hook();
        } catch (err) {
          log("error", `cell end hook failed: ${(err as Error)?.stack ?? err}`);
        }
      }
      return result;
    });
    cell.running = false;
    this.runningCell = undefined;
    // The cell's output goes out before its reply (and, through publish(), before anything else on IOPub).
    await this.iopub.flushStream();
    if (outcome.ok) {
      await this.reply("shell", msg, "execute_reply", {
        status: "ok",
        execution_count: count,
        user_expressions: {},
        payload: [],
      });
      return;
    }
    // Only what is queued now is aborted: a request sent after seeing this reply must run.
    if (msg.content.stop_on_error !== false) this.toAbort = this.executeQueue.splice(0);
    await this.iopub.publish("error", { ...outcome.error });
    await this.reply("shell", msg, "execute_reply", { status: "error", execution_count: count, ...outcome.error });
  }

  /** Publishes a cell's last-expression value: execute_result, or display_data for a widget. */
  private publishResult(value: unknown): void {
    if (this.silent) return;
    let bundle;
    try {
      bundle = toMimeBundle(value);
    } catch (err) {
      log("error", `could not build a display for the cell result: ${(err as Error)?.stack ?? err}`);
      bundle = { data: { "text/plain": `<display failed: ${(err as Error)?.message ?? err}>` }, metadata: {} };
    }
    if (WIDGET_VIEW_MIME in bundle.data) {
      // A widget as last expression is displayed like `display(w)`: display_data, as widget frontends expect.
      void this.iopub.publish("display_data", { data: bundle.data, metadata: bundle.metadata ?? {}, transient: {} });
      return;
    }
    void this.iopub.publish("execute_result", {
      execution_count: this.resultCount,
      data: bundle.data,
      metadata: bundle.metadata ?? {},
    });
  }

  /** Replies `aborted` to the execute_requests that were queued behind a failed cell. */
  private async abortQueuedExecutes(): Promise<void> {
    const queued = this.toAbort;
    this.toAbort = [];
    for (const msg of queued) {
      await this.iopub.status("busy", msg.header);
      await this.reply("shell", msg, "execute_reply", { status: "aborted", execution_count: null });
      await this.iopub.status("idle", msg.header);
    }
  }

  private async shutdown(msg: JupyterMessage, channel: Channel): Promise<void> {
    const content = { status: "ok", restart: msg.content.restart === true };
    await this.reply(channel, msg, "shutdown_reply", content);
    await this.iopub.publish("shutdown_reply", content);
    setImmediate(() => void this.stop().then(() => process.exit(0)));
  }

  /** Closes all sockets and releases the compiler. */
  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    let timer: NodeJS.Timeout | undefined;
    const sent = Promise.all([this.iopub.flush(), this.queues.shell.flush(), this.queues.control.flush()]);
    const timedOut = new Promise<void>((resolve) => (timer = setTimeout(resolve, STOP_FLUSH_TIMEOUT_MS)));
    await Promise.race([sent, timedOut]).finally(() => clearTimeout(timer));
    this.restoreStdio?.();
    for (const socket of Object.values(this.sockets)) socket.close();
    this.executor.close();
  }
}
