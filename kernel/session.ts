/**
 * Kernel session: one session id for every message the kernel sends, message
 * construction, and a serialised send queue per socket (zeromq.js allows one
 * send in flight per socket; the queue also keeps IOPub in order).
 */
import { randomUUID } from "crypto";
import { BufferLike, encode, JupyterMessage, MessageHeader, Signer } from "./wire";

export const PROTOCOL_VERSION = "5.3";

/** The part of a zeromq socket the queue needs. */
export interface Sendable {
  send(frames: Buffer[]): Promise<void>;
  readonly closed?: boolean;
}

/** How a queue deals with a peer that stopped reading (only for sockets that can skip full peers). */
export interface StallHandlers {
  /**
   * Sets the Publisher's ZMQ_XPUB_NODROP: on, a full subscriber makes a send fail (EAGAIN); off, that
   * subscriber misses the message. Without it the queue waits for a full peer however long it takes.
   */
  setNoDrop?: (on: boolean) => void;
  /** A peer refused messages for `waitedMs`: from now on it misses what it cannot take, the others still get everything. */
  onStall?: (waitedMs: number) => void;
  /** Sends go through again; `passed` messages were sent while the peer was stalled (it may have missed them). */
  onRecover?: (passed: number) => void;
}

/** Longest pause between attempts to send on a socket that is at its high-water mark. */
const MAX_RETRY_DELAY_MS = 50;
/** How long a message waits for a full peer before the queue stops waiting for that peer. */
export const DEFAULT_PATIENCE_MS = 10_000;

/** True for the error a non-dropping socket gives when a peer's high-water mark is reached. */
function isBackpressure(err: unknown): boolean {
  return (err as NodeJS.ErrnoException)?.code === "EAGAIN";
}

/**
 * Sends frames one after another on one socket, in call order. A Publisher
 * with `noDrop` refuses a message (EAGAIN) while a subscriber's queue is full:
 * the queue sends it again after a short pause, so output waits for a slow
 * reader instead of being lost. A subscriber that reads nothing for
 * `patienceMs` must not freeze the kernel: from then on, a message it refuses
 * is sent with `noDrop` off for that one send (so only the stalled subscriber
 * misses it), until a message goes through normally again.
 */
export class SendQueue {
  private tail: Promise<void> = Promise.resolve();
  private stalled = false;
  private passedWhileStalled = 0;

  constructor(
    private readonly socket: Sendable,
    private readonly onError: (err: unknown) => void,
    private readonly stall: StallHandlers & { patienceMs?: number } = {},
  ) {}

  /** Queues frames; the promise settles once they were handed to the socket. */
  send(frames: Buffer[]): Promise<void> {
    const sent = this.tail.then(() => this.sendPatiently(frames));
    this.tail = sent.catch((err) => this.onError(err));
    return this.tail;
  }

  /** Resolves after everything queued so far has been sent. */
  flush(): Promise<void> {
    return this.tail;
  }

  private async sendPatiently(frames: Buffer[]): Promise<void> {
    const started = Date.now();
    const patienceMs = this.stall.patienceMs ?? DEFAULT_PATIENCE_MS;
    for (let delay = 1; ; delay = Math.min(2 * delay, MAX_RETRY_DELAY_MS)) {
      try {
        await this.socket.send(frames);
        if (this.stalled) {
          this.stalled = false;
          this.stall.onRecover?.(this.passedWhileStalled);
        }
        return;
      } catch (err) {
        if (!isBackpressure(err) || this.socket.closed) throw err;
      }
      if (this.stall.setNoDrop && (this.stalled || Date.now() - started >= patienceMs)) {
        if (!this.stalled) {
          this.stalled = true;
          this.passedWhileStalled = 0;
          this.stall.onStall?.(Date.now() - started);
        }
        this.passedWhileStalled++;
        return this.sendPastFullPeers(frames, this.stall.setNoDrop);
      }
      await new Promise((resolve) => setTimeout(resolve, delay));
    }
  }

  /** One send with `noDrop` off: subscribers whose queue is full miss this message. */
  private async sendPastFullPeers(frames: Buffer[], setNoDrop: (on: boolean) => void): Promise<void> {
    setNoDrop(false);
    try {
      await this.socket.send(frames);
    } finally {
      if (!this.socket.closed) setNoDrop(true);
    }
  }
}

/**
 * How many signatures of received messages are remembered to reject replays:
 * jupyter_client's Session.digest_history_size default (2**16).
 */
export const DIGEST_HISTORY_SIZE = 2 ** 16;

/**
 * The signatures of messages already received on a signed session. A message
 * whose signature was seen before is a replay. Bounded: past `limit` entries
 * the oldest signature is forgotten.
 */
export class DigestHistory {
  private readonly seen = new Set<string>();

  constructor(readonly limit = DIGEST_HISTORY_SIZE) {}

  /** Records `signature`; returns false (recording nothing) when it was seen before. */
  add(signature: string): boolean {
    if (this.seen.has(signature)) return false;
    this.seen.add(signature);
    if (this.seen.size > this.limit) this.seen.delete(this.seen.values().next().value as string);
    return true;
  }

  /** How many signatures are remembered. */
  get size(): number {
    return this.seen.size;
  }
}

/** What a caller gives to build a message. */
export interface OutgoingMessage {
  msgType: string;
  content: Record<string, unknown>;
  parent?: MessageHeader | Record<string, never>;
  metadata?: Record<string, unknown>;
  buffers?: BufferLike[];
  identities?: Buffer[];
}

/** Builds and signs kernel messages under one constant kernel session id; remembers received signatures. */
export class Session {
  readonly id = randomUUID();
  /** Signatures of received messages (shell and control share it, as in jupyter_client). */
  readonly digests = new DigestHistory();

  constructor(readonly signer: Signer) {}

  /** A fresh header for a kernel-sent message. */
  header(msgType: string): MessageHeader {
    return {
      msg_id: randomUUID(),
      msg_type: msgType,
      session: this.id,
      username: "kernel",
      date: new Date().toISOString(),
      version: PROTOCOL_VERSION,
    };
  }

  /** Encodes a message; returns its header (for tests and logging) and frames. */
  build(out: OutgoingMessage): { header: MessageHeader; frames: Buffer[] } {
    const header = this.header(out.msgType);
    const frames = encode(
      {
        identities: out.identities,
        header,
        parent_header: out.parent ?? {},
        metadata: out.metadata ?? {},
        content: out.content,
        buffers: out.buffers,
      },
      this.signer,
    );
    return { header, frames };
  }
}

/** The header of a request, used as parent of everything published for it. */
export type ParentHeader = JupyterMessage["header"];
