/**
 * IOPub publishing with the parent rule: a message is parented to the request
 * served in the current async context; output from contexts that outlived their
 * request falls back to the most recent execute_request.
 */
import { currentContext } from "./context";
import { OutgoingMessage, SendQueue, Session } from "./session";
import type { MessageHeader } from "./wire";

/** Publishes on IOPub through one ordered send queue. */
export class IOPub {
  /** Parent for output produced outside any request context. */
  lastExecuteRequest: MessageHeader | undefined;

  constructor(
    private readonly session: Session,
    private readonly queue: SendQueue,
  ) {}

  /** The parent a message published from here would get. */
  currentParent(): MessageHeader | undefined {
    return currentContext()?.parent ?? this.lastExecuteRequest;
  }

  /** Publishes a message; `parent` overrides the context's parent. */
  publish(
    msgType: string,
    content: Record<string, unknown>,
    options: Omit<OutgoingMessage, "msgType" | "content"> = {},
  ): Promise<void> {
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

  /** busy/idle status for a request. */
  status(state: "busy" | "idle" | "starting", parent?: MessageHeader): Promise<void> {
    return this.publish("status", { execution_state: state }, { parent: parent ?? ({} as Record<string, never>) });
  }

  /** Resolves when everything published so far was handed to the socket. */
  flush(): Promise<void> {
    return this.queue.flush();
  }
}
