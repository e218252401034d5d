/**
 * Xet storage for the fake hub, as @huggingface/hub's XetBlob reads it:
 *   - the resolve route's file-info answer (when the client accepts application/vnd.xet-fileinfo+json):
 *     X-Xet-Hash, X-Linked-Size and Link headers naming the read-token and reconstruction URLs;
 *   - GET /api/models/<id>/xet-read-token/<rev> on the hub: a token and the CAS URL;
 *   - GET /xet/v2/reconstructions/<hash> on the CAS (needs the token; honours Range): the chunks
 *     covering the asked bytes and the offset into the first;
 *   - GET /xet/xorbs/<hash> on the CAS (honours Range): the file as one xorb of uncompressed chunks,
 *     each an 8-byte header (version 0, compressed length, scheme 0, uncompressed length) and its bytes.
 */
import { createHash } from "crypto";
import * as http from "http";

/** Bytes per chunk. */
export const XET_CHUNK = 16_384;
/** The read token the CAS expects. */
export const XET_TOKEN = "xet-read-token-for-tests";
const HEADER = 8;

/** The Xet hash the fake hub lists for a file (any stable 64-hex value serves). */
export function xetHash(data: Buffer): string {
  return createHash("sha256").update("xet:").update(data).digest("hex");
}

/** The file as one xorb of uncompressed chunks. */
function xorb(data: Buffer): Buffer {
  const parts: Buffer[] = [];
  for (let start = 0; start < data.length; start += XET_CHUNK) {
    const chunk = data.subarray(start, start + XET_CHUNK);
    const header = Buffer.alloc(HEADER);
    header.writeUIntLE(chunk.length, 1, 3);
    header.writeUIntLE(chunk.length, 5, 3);
    parts.push(header, chunk);
  }
  return Buffer.concat(parts);
}

/** Answers the resolve route with Xet file info instead of the content. */
export function sendXetFileInfo(
  res: http.ServerResponse,
  data: Buffer,
  hub: string,
  cas: string,
  repoId: string,
  commit: string,
) {
  const hash = xetHash(data);
  res
    .writeHead(200, {
      "Content-Type": "application/vnd.xet-fileinfo+json",
      "X-Xet-Hash": hash,
      "X-Linked-Size": String(data.length),
      "X-Repo-Commit": commit,
      ETag: `"${hash}"`,
      Link: `<${hub}/api/models/${repoId}/xet-read-token/${commit}>; rel="xet-auth", <${cas}/xet/v1/reconstructions/${hash}>; rel="xet-reconstruction-info"`,
    })
    .end(JSON.stringify({ hash, size: data.length }));
}

/** Answers the read-token route. */
export function sendXetToken(res: http.ServerResponse, cas: string): void {
  const body = { accessToken: XET_TOKEN, exp: Math.floor(Date.now() / 1000) + 3600, casUrl: `${cas}/xet` };
  res.writeHead(200, { "Content-Type": "application/json" }).end(JSON.stringify(body));
}

function askedRange(req: http.IncomingMessage, length: number): { start: number; end: number } {
  const match = /^bytes=(\d+)-(\d+)$/.exec(String(req.headers.range ?? ""));
  return match === null
    ? { start: 0, end: length - 1 }
    : { start: Number(match[1]), end: Math.min(Number(match[2]), length - 1) };
}

/** Serves the CAS routes under /xet/; `find` maps a Xet hash to the file's content, `send` writes a xorb body. */
export function serveCas(
  req: http.IncomingMessage,
  res: http.ServerResponse,
  path: string,
  cas: string,
  find: (hash: string) => Buffer | undefined,
  send: (res: http.ServerResponse, body: Buffer) => void = (r, body) => r.end(body),
) {
  const match = /^\/xet\/(v2\/reconstructions|xorbs)\/([0-9a-f]{64})$/.exec(path);
  const data = match === null ? undefined : find(match[2]);
  if (match === null || data === undefined) {
    res.writeHead(404).end();
    return;
  }
  const hash = match[2];
  if (match[1] === "xorbs") {
    const whole = xorb(data);
    const { start, end } = askedRange(req, whole.length);
    res.writeHead(206, { "Content-Range": `bytes ${start}-${end}/${whole.length}`, "Content-Length": String(end - start + 1) });
    send(res, whole.subarray(start, end + 1));
    return;
  }
  if (req.headers.authorization !== `Bearer ${XET_TOKEN}`) {
    res.writeHead(401).end("missing xet token");
    return;
  }
  const { start, end } = askedRange(req, data.length);
  const first = Math.floor(start / XET_CHUNK);
  const last = Math.floor(end / XET_CHUNK) + 1; // exclusive
  const offsetOf = (chunk: number) => Math.min(chunk * (XET_CHUNK + HEADER), xorb(data).length);
  const unpacked = Math.min(last * XET_CHUNK, data.length) - first * XET_CHUNK;
  const chunks = { start: first, end: last };
  const body = {
    offset_into_first_range: start - first * XET_CHUNK,
    terms: [{ hash, unpacked_length: unpacked, range: chunks }],
    xorbs: {
      [hash]: [
        { url: `${cas}/xet/xorbs/${hash}`, ranges: [{ chunks, bytes: { start: offsetOf(first), end: offsetOf(last) - 1 } }] },
      ],
    },
  };
  res.writeHead(200, { "Content-Type": "application/json" }).end(JSON.stringify(body));
}
