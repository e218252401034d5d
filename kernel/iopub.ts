/**
 * IOPub publishing with the parent rule: a message is parented to the request
 * served in the current async context; output from contexts that outlived their
 * request falls back to the most recent execute_request.
 *
 * Stream output is coalesced: consecutive writes to the same stream for the
 * same parent become one `stream` message, sent when STREAM_FLUSH_MS have passed
 * since the first of them, when STREAM_CHUNK_CHARS have gathered, or before any
 * other IOPub message is published (so order across stdout, stderr and other
 * output is exactly the order of the writes).
 */
import { currentContext } from "./context";
import { OutgoingMessage, SendQueue, Session } from "./session";
import type { MessageHeader } from "./wire";

/** Longest time written output waits before it is published. */
export const STREAM_FLUSH_MS = 50;
/** Output gathered beyond this many characters is published at once. */
export const STREAM_CHUNK_CHARS = 64 * 1024;

/** Stream output not published yet: one stream, one parent. */
interface PendingStream {
  name: "stdout" | "stderr";
  parent: MessageHeader;
  parts: string[];
  chars: number;
  timer: NodeJS.Timeout;
}

/** Publishes on IOPub through one ordered send queue. */
export class IOPub {
  /** Parent for output produced outside any request context. */
  lastExecuteRequest: MessageHeader | undefined;
  private pending: PendingStream | undefined;

  constructor(
    private readonly session: Session,
    private readonly queue: SendQueue,
  ) {}

  /** The parent a message published from here would get. */
  currentParent(): MessageHeader | undefined {
    return currentContext()?.parent ?? this.lastExecuteRequest;
  }

  /** Publishes a message (after any pending stream output); `parent` overrides the context's parent. */
  publish(
    msgType: string,
    content: Record<string, unknown>,
    options: Omit<OutgoingMessage, "msgType" | "content"> = {},
  ): Promise<void> {
    this.flushStream();
    return this.send(msgType, content, options);
  }

  /**
   * Adds written text to the `name` stream of the current parent. It joins the
   * pending chunk when that has the same stream and parent; otherwise the
   * pending chunk is published first. Nothing is published without a parent.
   */
  stream(name: "stdout" | "stderr", text: string): void {
    const parent = this.currentParent();
    if (parent === undefined || text === "") return;
    const pending = this.pending;
    if (pending && (pending.name !== name || pending.parent.msg_id !== parent.msg_id)) this.flushStream();
    if (!this.pending) {
      const timer = setTimeout(() => this.flushStream(), STREAM_FLUSH_MS);
      timer.unref();
      this.pending = { name, parent, parts: [], chars: 0, timer };
    }
    this.pending.parts.push(text);
    this.pending.chars += text.length;
    if (this.pending.chars >= STREAM_CHUNK_CHARS) this.flushStream();
  }

  /** Publishes pending stream output now; resolves once it was handed to the socket. */
  flushStream(): Promise<void> {
    const pending = this.pending;
    if (!pending) return this.queue.flush();
    this.pending = undefined;
    clearTimeout(pending.timer);
    return this.send("stream", { name: pending.name, text: pending.parts.join("") }, { parent: pending.parent });
  }

  /** busy/idle status for a request. */
  status(state: "busy" | "idle" | "starting", parent?: MessageHeader): Promise<void> {
    return this.publish("status", { execution_state: state }, { parent: parent ?? ({} as Record<string, never>) });
  }

  /** Resolves when everything published or written so far was handed to the socket. */
  flush(): Promise<void> {
    this.flushStream();
    return this.queue.flush();
  }

  private send(msgType: string, content: Record<string, unknown>, options: Omit<OutgoingMessage, "msgType" | "content">) {
    const parent = options.parent ?? this.currentParent() ?? {};
    const { frames } = this.session.build({
      ...options,
      msgType,
      content,
      parent,
      identities: options.identities ?? [Buffer.from(`kernel.${this.session.id}.${msgType}`)],
    });
    return this.queue.send(frames);
  }
}
