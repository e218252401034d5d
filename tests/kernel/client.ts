/**
 * A small Jupyter client for protocol tests: starts a real kernel process
 * (`bin/tslens.js kernel <connection file>` in a temp dir), talks to it over
 * ZeroMQ with the kernel's own wire codec, and records everything it receives.
 */
import { ChildProcess, spawn } from "child_process";
import { randomUUID } from "crypto";
import * as fs from "fs";
import * as net from "net";
import * as os from "os";
import * as path from "path";
import * as zmq from "zeromq";
import { BufferLike, decode, DELIMITER, encode, JupyterMessage, MessageHeader, Signer } from "../../kernel/wire";

export type Channel = "shell" | "control";

/** A message received from the kernel, with the channel and raw signature it came with. */
export interface Received extends JupyterMessage {
  channel: Channel | "iopub";
  signature: string;
}

/** What collectUntilIdle returns: IOPub messages parented to the request (in order) and its reply. */
export interface Collected {
  iopub: Received[];
  reply: Received | undefined;
}

export interface StartOptions {
  /** HMAC key; "" starts an unsigned kernel. Default: a random key. */
  key?: string;
  env?: Record<string, string>;
}

export const TIMEOUT_MS = 30_000;
const STARTUP_TIMEOUT_MS = 60_000;
const REPO_ROOT = path.resolve(__dirname, "..", "..", "..");
const BIN = path.join(REPO_ROOT, "bin", "tslens.js");

/** Kernel processes still running; killed if the test process exits early. */
const live = new Set<ChildProcess>();
process.on("exit", () => live.forEach((child) => child.kill("SIGKILL")));

async function freePorts(count: number): Promise<number[]> {
  const servers = await Promise.all(
    Array.from(
      { length: count },
      () =>
        new Promise<net.Server>((resolve, reject) => {
          const server = net.createServer();
          server.once("error", reject);
          server.listen(0, "127.0.0.1", () => resolve(server));
        }),
    ),
  );
  const ports = servers.map((s) => (s.address() as net.AddressInfo).port);
  await Promise.all(servers.map((s) => new Promise((resolve) => s.close(resolve))));
  return ports;
}

/** The text of the `name` stream messages among `msgs`, joined. */
export function streamText(msgs: Received[], name: "stdout" | "stderr" = "stdout"): string {
  return msgs
    .filter((m) => m.header.msg_type === "stream" && m.content.name === name)
    .map((m) => String(m.content.text))
    .join("");
}

export class KernelClient {
  /** The client's own session id (header.session of requests). */
  readonly clientSession = randomUUID();
  readonly signer: Signer;
  /** Every message received from the kernel, in arrival order. */
  readonly received: Received[] = [];
  /** Kernel messages the client could not decode (should stay empty). */
  readonly undecodable: string[] = [];
  /** Everything the kernel process wrote to stderr (its log). */
  stderr = "";
  /** Resolves when the kernel process exits. */
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  private exitInfo: { code: number | null; signal: NodeJS.Signals | null } | undefined;
  private dead = false;
  private readonly sockets: { shell: zmq.Dealer; control: zmq.Dealer; iopub: zmq.Subscriber; hb: zmq.Request };
  private readonly sendChains: Record<Channel, Promise<void>> = { shell: Promise.resolve(), control: Promise.resolve() };
  private readonly expectsReply = new Map<string, boolean>();
  private readonly listeners = new Set<() => void>();

  private constructor(
    private readonly child: ChildProcess,
    readonly connection: Record<string, string | number>,
    private readonly dir: string,
  ) {
    this.signer = new Signer(String(connection.key), String(connection.signature_scheme));
    child.stderr!.on("data", (chunk: Buffer) => {
      this.stderr += chunk.toString("utf8");
      this.notify();
    });
    child.stdout!.on("data", () => undefined);
    this.exited = new Promise((resolve) =>
      child.on("exit", (code, signal) => {
        live.delete(child);
        this.exitInfo = { code, signal };
        resolve(this.exitInfo);
        // Let messages already on their way be read before waiters give up.
        setTimeout(() => {
          this.dead = true;
          this.notify();
        }, 1000).unref();
      }),
    );
    const url = (port: string | number) => `tcp://127.0.0.1:${port}`;
    this.sockets = {
      shell: new zmq.Dealer({ linger: 0 }),
      control: new zmq.Dealer({ linger: 0 }),
      iopub: new zmq.Subscriber({ linger: 0 }),
      hb: new zmq.Request({ linger: 0, receiveTimeout: 10_000, sendTimeout: 10_000 }),
    };
    this.sockets.shell.connect(url(connection.shell_port));
    this.sockets.control.connect(url(connection.control_port));
    this.sockets.iopub.connect(url(connection.iopub_port));
    this.sockets.iopub.subscribe();
    this.sockets.hb.connect(url(connection.hb_port));
    void this.readLoop("shell", this.sockets.shell);
    void this.readLoop("control", this.sockets.control);
    void this.readLoop("iopub", this.sockets.iopub);
  }

  /** Starts a kernel and waits until requests are answered and IOPub delivers. */
  static async start(options: StartOptions = {}): Promise<KernelClient> {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "tslens-kernel-test-"));
    const [shell_port, iopub_port, stdin_port, control_port, hb_port] = await freePorts(5);
    const connection = {
      transport: "tcp",
      ip: "127.0.0.1",
      shell_port,
      iopub_port,
      stdin_port,
      control_port,
      hb_port,
      key: options.key ?? randomUUID(),
      signature_scheme: "hmac-sha256",
    };
    const file = path.join(dir, "connection.json");
    fs.writeFileSync(file, JSON.stringify(connection));
    const child = spawn(process.execPath, [BIN, "kernel", file], {
      cwd: dir,
      env: { ...process.env, ...options.env },
      stdio: ["ignore", "pipe", "pipe"],
    });
    live.add(child);
    const client = new KernelClient(child, connection, dir);
    try {
      await client.waitUntilReady();
    } catch (err) {
      await client.stop();
      throw err;
    }
    return client;
  }

  /** Repeats kernel_info until one round trip also shows its status on IOPub. */
  private async waitUntilReady(): Promise<void> {
    const deadline = Date.now() + STARTUP_TIMEOUT_MS;
    while (Date.now() < deadline) {
      const id = await this.request("shell", "kernel_info_request", {});
      await this.waitFor(`kernel_info_reply to ${id}`, () => this.replyTo(id), STARTUP_TIMEOUT_MS);
      const idle = await this.waitFor("status on IOPub", () => this.isIdle(id) || undefined, 500).catch(() => false);
      if (idle) return;
    }
    throw new Error(`kernel did not deliver IOPub status within ${STARTUP_TIMEOUT_MS} ms\n${this.stderr}`);
  }

  private async readLoop(channel: Channel | "iopub", socket: zmq.Dealer | zmq.Subscriber): Promise<void> {
    try {
      for await (const frames of socket) {
        try {
          const msg = decode(frames, this.signer);
          const delimiter = frames.findIndex((f) => f.toString("latin1") === DELIMITER);
          this.received.push({ ...msg, channel, signature: frames[delimiter + 1].toString("utf8") });
        } catch (err) {
          this.undecodable.push(`${channel}: ${(err as Error).message}`);
        }
        this.notify();
      }
    } catch (err) {
      if (!socket.closed) {
        this.stderr += `[test client] ${channel} read loop failed: ${(err as Error).message}\n`;
        this.notify();
      }
    }
  }

  private notify(): void {
    for (const listener of [...this.listeners]) listener();
  }

  /** Resolves with the first truthy `check()` result, re-checked whenever something arrives. */
  waitFor<T>(what: string, check: () => T | undefined | false, timeoutMs = TIMEOUT_MS): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const listener = () => {
        const value = check();
        if (value) finish(() => resolve(value));
        else if (this.dead)
          finish(() =>
            reject(new Error(`kernel exited (${JSON.stringify(this.exitInfo)}) while waiting for ${what}\n${this.stderr}`)),
          );
      };
      const timer = setTimeout(
        () => finish(() => reject(new Error(`timed out after ${timeoutMs} ms waiting for ${what}`))),
        timeoutMs,
      );
      const finish = (settle: () => void) => {
        clearTimeout(timer);
        this.listeners.delete(listener);
        settle();
      };
      this.listeners.add(listener);
      listener();
    });
  }

  /** A fresh request header under the client's session. */
  header(msgType: string): MessageHeader {
    return {
      msg_id: randomUUID(),
      msg_type: msgType,
      session: this.clientSession,
      username: "tests",
      date: new Date().toISOString(),
      version: "5.3",
    };
  }

  /** Sends a request; resolves with its msg_id once handed to the socket. */
  async request(
    channel: Channel,
    msgType: string,
    content: Record<string, unknown>,
    options: { buffers?: BufferLike[]; metadata?: Record<string, unknown> } = {},
  ): Promise<string> {
    const header = this.header(msgType);
    const frames = encode(
      { header, parent_header: {}, metadata: options.metadata ?? {}, content, buffers: options.buffers },
      this.signer,
    );
    this.expectsReply.set(header.msg_id, msgType.endsWith("_request"));
    await this.sendRaw(channel, frames);
    return header.msg_id;
  }

  /** Sends frames as they are (one send in flight per socket). */
  sendRaw(channel: Channel, frames: Buffer[]): Promise<void> {
    const sent = this.sendChains[channel].then(() => this.sockets[channel].send(frames));
    this.sendChains[channel] = sent.catch(() => undefined);
    return sent;
  }

  /** Messages on IOPub parented to `msgId`, in order. */
  iopubFor(msgId: string): Received[] {
    return this.received.filter((m) => m.channel === "iopub" && m.parent_header.msg_id === msgId);
  }

  /** The shell/control reply to `msgId`, if it arrived. */
  replyTo(msgId: string): Received | undefined {
    return this.received.find((m) => m.channel !== "iopub" && m.parent_header.msg_id === msgId);
  }

  private isIdle(msgId: string): boolean {
    return this.iopubFor(msgId).some((m) => m.header.msg_type === "status" && m.content.execution_state === "idle");
  }

  /** Waits for the idle status of `msgId` (and its reply, for *_request types). */
  async collectUntilIdle(msgId: string, timeoutMs = TIMEOUT_MS): Promise<Collected> {
    const wantReply = this.expectsReply.get(msgId) ?? false;
    await this.waitFor(
      `idle${wantReply ? " and reply" : ""} for ${msgId}`,
      () => this.isIdle(msgId) && (!wantReply || !!this.replyTo(msgId)),
      timeoutMs,
    );
    return { iopub: this.iopubFor(msgId), reply: this.replyTo(msgId) };
  }

  /** Sends a request and collects everything it caused. */
  async roundTrip(
    channel: Channel,
    msgType: string,
    content: Record<string, unknown>,
    options?: { buffers?: BufferLike[] },
  ): Promise<Collected & { msgId: string }> {
    const msgId = await this.request(channel, msgType, content, options);
    return { msgId, ...(await this.collectUntilIdle(msgId)) };
  }

  /** Runs a cell; `outputs` are its IOPub messages other than status and execute_input. */
  async execute(
    code: string,
    content: Record<string, unknown> = {},
  ): Promise<Collected & { msgId: string; outputs: Received[] }> {
    const result = await this.roundTrip("shell", "execute_request", {
      code,
      silent: false,
      store_history: true,
      user_expressions: {},
      allow_stdin: false,
      stop_on_error: true,
      ...content,
    });
    const outputs = result.iopub.filter((m) => m.header.msg_type !== "status" && m.header.msg_type !== "execute_input");
    return { ...result, outputs };
  }

  /** Runs a cell that must succeed (asserted); returns what execute() returns. */
  async run(code: string): Promise<Collected & { msgId: string; outputs: Received[] }> {
    const result = await this.execute(code);
    if (result.reply?.content.status !== "ok") throw new Error(`cell failed: ${JSON.stringify(result.reply?.content)}`);
    return result;
  }

  /** Evaluates a JSON-serialisable expression in the kernel (printed by a cell, parsed here). */
  async evaluate(expression: string): Promise<unknown> {
    return JSON.parse(streamText((await this.run(`console.log(JSON.stringify(${expression}))`)).outputs));
  }

  /** Waits for an IOPub message matching `predicate` that arrives at index ≥ `from` of `received`. */
  waitForIopub(what: string, predicate: (m: Received) => boolean, from = 0, timeoutMs = TIMEOUT_MS): Promise<Received> {
    return this.waitFor(what, () => this.received.slice(from).find((m) => m.channel === "iopub" && predicate(m)), timeoutMs);
  }

  /** Waits until the kernel's stderr, from character `from` on, matches `pattern`. */
  waitForStderr(pattern: RegExp, from = 0, timeoutMs = TIMEOUT_MS): Promise<string> {
    return this.waitFor(`stderr matching ${pattern}`, () => this.stderr.slice(from).match(pattern)?.[0], timeoutMs);
  }

  /** Waits for the kernel process to exit on its own. */
  waitForExit(timeoutMs = TIMEOUT_MS): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`kernel still running after ${timeoutMs} ms`)), timeoutMs);
    });
    return Promise.race([this.exited, timeout]).finally(() => clearTimeout(timer));
  }

  /** The kernel's exit code, or undefined while it runs. */
  exitCode(): number | null | undefined {
    return this.exitInfo?.code;
  }

  /** Sends a signal to the kernel process (Jupyter interrupts "signal"-mode kernels with SIGINT). */
  signal(signal: NodeJS.Signals): void {
    this.child.kill(signal);
  }

  /** One heartbeat round trip. */
  async ping(payload: Buffer): Promise<Buffer[]> {
    await this.sockets.hb.send(payload);
    return this.sockets.hb.receive();
  }

  /** Closes the sockets, kills the kernel process (if still running) and removes the temp dir. */
  async stop(): Promise<void> {
    for (const socket of Object.values(this.sockets)) if (!socket.closed) socket.close();
    if (this.exitInfo === undefined) {
      this.child.kill("SIGKILL");
      await this.exited;
    }
    this.listeners.clear();
    fs.rmSync(this.dir, { recursive: true, force: true });
  }
}
