/**
 * HTTP helpers of the fake hub: request bodies and byte ranges.
 */
import * as http from "http";

/** Reads a request body as text. */
export function readBody(req: http.IncomingMessage): Promise<string> {
  return new Promise((resolve) => {
    let text = "";
    req.on("data", (chunk: Buffer) => (text += chunk.toString("utf8")));
    req.on("end", () => resolve(text));
  });
}

/** The `Range: bytes=S-` or `bytes=S-E` a request asks for, clamped to the content. */
export function rangeOf(req: http.IncomingMessage, length: number): { start: number; end: number } | undefined {
  const range = /^bytes=(\d+)-(\d*)$/.exec(String(req.headers.range ?? ""));
  if (range === null) return undefined;
  return { start: Number(range[1]), end: range[2] === "" ? length - 1 : Math.min(Number(range[2]), length - 1) };
}

/**
 * Writes the status and headers for `data`: 206 with Content-Range for a satisfiable Range (unless
 * `ignoreRange`), 416 past the end, else 200. Ends HEAD requests. When `deferBody` is false it also
 * sends the body; otherwise it returns the byte range for the caller to send (undefined: done).
 */
export function sendRange(
  res: http.ServerResponse,
  data: Buffer,
  headers: http.OutgoingHttpHeaders,
  deferBody: boolean,
  ignoreRange = false,
): { start: number; end: number } | undefined {
  const req = res.req;
  const range = ignoreRange ? undefined : rangeOf(req, data.length);
  if (range !== undefined && range.start >= data.length) {
    res.writeHead(416, { "Content-Range": `bytes */${data.length}` }).end();
    return undefined;
  }
  const { start, end } = range ?? { start: 0, end: data.length - 1 };
  if (range !== undefined) {
    res.writeHead(206, {
      ...headers,
      "Content-Range": `bytes ${start}-${end}/${data.length}`,
      "Content-Length": String(end - start + 1),
    });
  } else {
    res.writeHead(200, { ...headers, "Content-Length": String(data.length) });
  }
  if (req.method === "HEAD") {
    res.end();
    return undefined;
  }
  if (!deferBody) {
    res.end(data.subarray(start, end + 1));
    return undefined;
  }
  return { start, end };
}
