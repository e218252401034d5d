/**
 * Records the Jupyter messages a page exchanges with its kernels: an init script
 * wraps the page's WebSocket so every frame on a `/api/kernels/<id>/channels`
 * socket is decoded (JSON, or the binary `v1.kernel.websocket.jupyter.org`
 * framing JupyterLab 4 uses) into a short summary kept in the page. The record
 * starts afresh with each page load.
 */
import type { Page } from "playwright-core";

/** One kernel message as seen by the page. */
export interface WireMessage {
  /** ms since the page's navigation started (performance.now()). */
  t: number;
  /** "send": page → kernel; "recv": kernel → page. */
  dir: "send" | "recv";
  channel: string | null;
  msgType: string | null;
  msgId: string | null;
  parentMsgId: string | null;
  /** content.comm_id (comm_open / comm_msg / comm_close). */
  commId: string | null;
  /** content.target_name (comm_open, comm_info_request). */
  targetName: string | null;
  /** content.data.method (comm_msg). */
  method: string | null;
  /** For update_states replies: the model name of every state, by model id. */
  models: Record<string, string> | null;
  /** Size of the websocket frame (characters for text frames). */
  bytes?: number;
  /** Set when the frame could not be decoded. */
  error?: string;
}

const RECORD_KEY = "__tslensKernelWire";

/** Installs the recorder for every later page load of `page` (call before navigating). */
export async function recordKernelWire(page: Page): Promise<void> {
  await page.addInitScript((key: string) => {
    type Summary = Record<string, unknown>;
    interface NativeSocket {
      readonly protocol: string;
      send(data: unknown): void;
      addEventListener(type: string, listener: (event: { data: unknown }) => void): void;
    }
    type SocketClass = new (url: string | URL, protocols?: string | string[]) => NativeSocket;

    const g = globalThis as unknown as Record<string, unknown> & { WebSocket: SocketClass };
    const records: Summary[] = [];
    g[key] = records;
    const Native = g.WebSocket;
    const utf8 = new TextDecoder("utf-8");

    const summarize = (dir: string, channel: unknown, msg: Record<string, any>): Summary => {
      const content = msg.content ?? {};
      const data = content.data ?? {};
      const summary: Summary = {
        t: performance.now(),
        dir,
        channel: channel ?? msg.channel ?? null,
        msgType: msg.header?.msg_type ?? msg.msg_type ?? null,
        msgId: msg.header?.msg_id ?? null,
        parentMsgId: msg.parent_header?.msg_id ?? null,
        commId: content.comm_id ?? null,
        targetName: content.target_name ?? null,
        method: typeof data.method === "string" ? data.method : null,
        models: null,
      };
      if (data.method === "update_states" && data.states && typeof data.states === "object") {
        summary.models = Object.fromEntries(
          Object.entries(data.states as Record<string, { model_name?: string }>).map(([id, s]) => [id, String(s?.model_name)]),
        );
      }
      return summary;
    };

    const decode = (dir: string, frame: unknown, protocol: string): Summary => {
      const record = decodeFrame(dir, frame, protocol);
      record.bytes =
        typeof frame === "string" ? frame.length : ((frame as ArrayBuffer | ArrayBufferView | undefined)?.byteLength ?? 0);
      return record;
    };

    const decodeFrame = (dir: string, frame: unknown, protocol: string): Summary => {
      try {
        if (typeof frame === "string") return summarize(dir, null, JSON.parse(frame));
        const bytes = ArrayBuffer.isView(frame)
          ? frame.buffer.slice(frame.byteOffset, frame.byteOffset + frame.byteLength)
          : (frame as ArrayBuffer);
        if (!(bytes instanceof ArrayBuffer)) throw new Error(`unexpected frame type ${Object.prototype.toString.call(frame)}`);
        const view = new DataView(bytes);
        const part = (from: number, to: number) => utf8.decode(new Uint8Array(bytes, from, to - from));
        if (protocol === "v1.kernel.websocket.jupyter.org") {
          // uint64 LE count, that many uint64 LE offsets: channel, header, parent_header, metadata, content, buffers...
          const count = Number(view.getBigUint64(0, true));
          const offsets = Array.from({ length: count }, (_, i) => Number(view.getBigUint64(8 * (i + 1), true)));
          const json = (i: number) => JSON.parse(part(offsets[i], offsets[i + 1] ?? bytes.byteLength));
          return summarize(dir, part(offsets[0], offsets[1]), {
            header: json(1),
            parent_header: json(2),
            content: json(4),
          });
        }
        // Legacy binary framing: uint32 BE count, that many uint32 BE offsets; the first part is the JSON message.
        const count = view.getUint32(0);
        const end = count > 1 ? view.getUint32(8) : bytes.byteLength;
        return summarize(dir, null, JSON.parse(part(view.getUint32(4), end)));
      } catch (err) {
        return { t: performance.now(), dir, error: String((err as Error)?.message ?? err) };
      }
    };

    g.WebSocket = class extends Native {
      readonly kernelSocket: boolean;
      constructor(url: string | URL, protocols?: string | string[]) {
        super(url, protocols);
        this.kernelSocket = /\/api\/kernels\/[^/]+\/channels/.test(String(url));
        if (this.kernelSocket)
          this.addEventListener("message", (event) => records.push(decode("recv", event.data, this.protocol)));
      }
      override send(data: unknown): void {
        if (this.kernelSocket) records.push(decode("send", data, this.protocol));
        super.send(data);
      }
    };
  }, RECORD_KEY);
}

/** The kernel messages recorded since the current page load. */
export async function kernelWire(page: Page): Promise<WireMessage[]> {
  return page.evaluate((key) => ((globalThis as unknown as Record<string, WireMessage[]>)[key] ?? []).slice(), RECORD_KEY);
}

/** A one-line-per-message description, for failure messages. */
export function describeWire(messages: WireMessage[], max = 40): string {
  const lines = messages.map(
    (m) =>
      `${m.t.toFixed(0).padStart(6)} ms ${m.dir} ${m.channel ?? "?"} ${m.msgType ?? "?"}` +
      (m.targetName ? ` target=${m.targetName}` : "") +
      (m.method ? ` method=${m.method}` : "") +
      (m.commId ? ` comm=${m.commId.slice(0, 8)}` : "") +
      (m.error ? ` <${m.error}>` : ""),
  );
  const elided = lines.length > max ? [`… (${lines.length - max} earlier messages)`] : [];
  return [...elided, ...lines.slice(-max)].join("\n") || "(no kernel messages)";
}
