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
}

/** Sends frames one after another on one socket, in call order. */
export class SendQueue {
  private tail: Promise<void> = Promise.resolve();

  constructor(
    private readonly socket: Sendable,
    private readonly onError: (err: unknown) => void,
  ) {}

  /** Queues frames; the promise settles once they were handed to the socket. */
  send(frames: Buffer[]): Promise<void> {
    const sent = this.tail.then(() => this.socket.send(frames));
    this.tail = sent.catch((err) => this.onError(err));
    return this.tail;
  }

  /** Resolves after everything queued so far has been sent. */
  flush(): Promise<void> {
    return this.tail;
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

/** Builds and signs kernel messages under one constant kernel session id. */
export class Session {
  readonly id = randomUUID();

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
