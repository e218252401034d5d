/**
 * Incremental bookkeeping over what a KernelClient receives, for tests that
 * cause thousands of messages: each received message is looked at once, so
 * waiting stays linear in the traffic (KernelClient.collectUntilIdle rescans
 * everything it received on every arrival).
 */
import { KernelClient, Received, TIMEOUT_MS } from "./client";

/** Per-request counts and messages, kept up to date as messages arrive. */
export class Tally {
  private scanned = 0;
  /** IOPub messages by parent msg_id, in arrival order. */
  readonly iopub = new Map<string, Received[]>();
  /** Shell/control replies by parent msg_id (a list: a replayed request must not get two). */
  readonly replies = new Map<string, Received[]>();
  /** Parent msg_ids whose idle status arrived. */
  readonly idle = new Set<string>();

  constructor(private readonly client: KernelClient) {}

  /** Reads the messages that arrived since the last call. */
  update(): void {
    const received = this.client.received;
    for (; this.scanned < received.length; this.scanned++) {
      const m = received[this.scanned];
      const parent = m.parent_header.msg_id;
      if (typeof parent !== "string") continue;
      const table = m.channel === "iopub" ? this.iopub : this.replies;
      const list = table.get(parent) ?? [];
      list.push(m);
      table.set(parent, list);
      if (m.channel === "iopub" && m.header.msg_type === "status" && m.content.execution_state === "idle") this.idle.add(parent);
    }
  }

  /** Waits until every id in `msgIds` has its idle status, and a reply when listed in `withReply`. */
  async waitForIdle(msgIds: string[], withReply: Set<string> = new Set(), timeoutMs = TIMEOUT_MS): Promise<void> {
    let next = 0;
    await this.client.waitFor(
      `idle of ${msgIds.length} requests`,
      () => {
        this.update();
        while (next < msgIds.length) {
          const id = msgIds[next];
          if (!this.idle.has(id) || (withReply.has(id) && !this.replies.has(id))) return false;
          next++;
        }
        return true;
      },
      timeoutMs,
    );
  }

  /** IOPub messages parented to `msgId`. */
  iopubFor(msgId: string): Received[] {
    this.update();
    return this.iopub.get(msgId) ?? [];
  }
}
