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
import { PROTOCOL_VERSION, SendQueue, Session } from "./session";
import { redirectStdio } from "./stdio";
import { decode, JupyterMessage, Signer } from "./wire";

const VERSION: string = require("../../package.json").version;
const TS_VERSION: string = require("@tslab/typescript-for-tslab/package.json").version;

const WIDGET_VIEW_MIME = "application/vnd.jupyter.widget-view+json";

/** How long a comm handler may keep its comm_msg busy before idle is published anyway. */
const COMM_HANDLER_TIMEOUT_MS = Number(process.env.TSLENS_COMM_HANDLER_TIMEOUT_MS ?? 10_000);

type Channel = "shell" | "control";
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
  private readonly handlers: Record<string, Handler>;
  private restoreStdio: (() => void) | undefined;
  private stopped = false;

  constructor(private readonly conn: ConnectionInfo) {
    this.session = new Session(new Signer(conn.key, conn.signature_scheme));
    this.sockets = {
      shell: new zmq.Router(),
      control: new zmq.Router(),
      stdin: new zmq.Router(),
      iopub: new zmq.Publisher(),
      hb: new zmq.Reply(),
    };
    const onSendError = (err: unknown) => log("error", `send failed: ${(err as Error)?.message ?? err}`);
    this.queues = {
      shell: new SendQueue(this.sockets.shell, onSendError),
      control: new SendQueue(this.sockets.control, onSendError),
    };
    this.iopub = new IOPub(this.session, new SendQueue(this.sockets.iopub, onSendError));
    this.comms = new CommManager(this.iopub);
    installRuntimeResolution();
    installTypeResolution(process.cwd());
    this.executor = new TsExecutor(process.cwd(), (value) => this.publishResult(value));
    installHost(createHost(this.iopub, this.comms, () => this.runningCell));
    bridgeTslabDisplay(
      (content, update) => void this.iopub.publish(update ? "update_display_data" : "display_data", { ...content }),
    );
    this.handlers = {
      kernel_info_request: (m, c) => this.reply(c, m, "kernel_info_reply", this.kernelInfo()),
      execute_request: (m) => this.execute(m),
      complete_request: (m, c) => this.complete(m, c),
      inspect_request: (m, c) => this.inspect(m, c),
      is_complete_request: (m, c) =>
        this.reply(c, m, "is_complete_reply", { ...this.executor.isComplete(String(m.content.code ?? "")) }),
      history_request: (m, c) => this.reply(c, m, "history_reply", { status: "ok", history: [] }),
      comm_info_request: (m, c) => {
        const target = typeof m.content.target_name === "string" ? m.content.target_name : undefined;
        return this.reply(c, m, "comm_info_reply", { status: "ok", comms: this.comms.info(target) });
      },
      comm_open: (m) => this.comms.handleOpen(m),
      comm_msg: (m) => this.comms.handleMsg(m),
      comm_close: (m) => this.comms.handleClose(m),
      interrupt_request: (m, c) => {
        this.executor.interrupt();
        return this.reply(c, m, "interrupt_reply", { status: "ok" });
      },
      shutdown_request: (m, c) => this.shutdown(m, c),
    };
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
    process.on("SIGINT", () => this.executor.interrupt());
    void this.serveHeartbeat();
    void this.serve("shell");
    void this.serve("control");
    await this.iopub.status("starting");
    log("info", `kernel ${this.session.id} listening (shell ${address(conn, conn.shell_port)})`);
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

  /** Decodes one incoming message and routes it; malformed or badly signed messages are logged and dropped. */
  private receive(channel: Channel, frames: Buffer[]): void {
    let msg: JupyterMessage;
    try {
      msg = decode(frames, this.session.signer);
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
    const handler = this.handlers[msg.header.msg_type];
    await this.iopub.status("busy", msg.header);
    try {
      if (!handler) {
        log("warn", `${channel}: unknown msg_type "${msg.header.msg_type}" ignored`);
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
        work.catch((err) => log("error", `${msg.header.msg_type} handler failed late: ${(err as Error)?.stack ?? err}`));
      }
    } catch (err) {
      log("error", `${msg.header.msg_type} handler failed: ${(err as Error)?.stack ?? err}`);
    } finally {
      await this.iopub.status("idle", msg.header);
    }
  }

  private reply(channel: Channel, request: JupyterMessage, msgType: string, content: Record<string, unknown>): Promise<void> {
    const { frames } = this.session.build({ msgType, content, parent: request.header, identities: request.identities });
    return this.queues[channel].send(frames);
  }

  private kernelInfo(): Record<string, unknown> {
    return {
      status: "ok",
      protocol_version: PROTOCOL_VERSION,
      implementation: "tslens",
      implementation_version: VERSION,
      language_info: {
        name: "typescript",
        version: TS_VERSION,
        mimetype: "text/typescript",
        file_extension: ".ts",
        codemirror_mode: { name: "javascript", typescript: true },
        pygments_lexer: "typescript",
      },
      banner: `tslens ${VERSION} — TypeScript ${TS_VERSION} on Node.js ${process.version} (tslab executor)`,
      help_links: [],
      debugger: false,
    };
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

  private complete(msg: JupyterMessage, channel: Channel): Promise<void> {
    const code = String(msg.content.code ?? "");
    const cursor = Number(msg.content.cursor_pos ?? code.length);
    const c = this.executor.complete(code, cursor);
    return this.reply(channel, msg, "complete_reply", {
      status: "ok",
      matches: c.matches,
      cursor_start: c.cursorStart,
      cursor_end: c.cursorEnd,
      metadata: {},
    });
  }

  private inspect(msg: JupyterMessage, channel: Channel): Promise<void> {
    const code = String(msg.content.code ?? "");
    const text = this.executor.inspect(code, Number(msg.content.cursor_pos ?? code.length));
    return this.reply(channel, msg, "inspect_reply", {
      status: "ok",
      found: text !== "",
      data: text ? { "text/plain": text } : {},
      metadata: {},
    });
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
    await Promise.all([this.iopub.flush(), this.queues.shell.flush(), this.queues.control.flush()]);
    this.restoreStdio?.();
    for (const socket of Object.values(this.sockets)) socket.close();
    this.executor.close();
  }
}
