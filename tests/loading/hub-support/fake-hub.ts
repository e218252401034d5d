/**
 * A fake Hugging Face hub for tests, on 127.0.0.1 (random ports), speaking the parts of the
 * protocol the downloader (@huggingface/hub's modelInfo, pathsInfo, downloadFile) relies on:
 *   GET  /api/models/<org>/<name>/revision/<rev>?expand=...: JSON with the commit as `sha`
 *   POST /api/models/<org>/<name>/paths-info/<rev> {"paths": [...]}: the files among them that
 *        exist, each with oid (git blob sha1), size and, for LFS files, lfs.oid (sha256)
 *   GET  /api/models/<org>/<name>/tree/<rev>[/<folder>]?recursive=...: the folder's entries (one page)
 *   HEAD/GET /<org>/<name>/resolve/<rev>/<file>
 *     small files: 200 with X-Repo-Commit, ETag = git blob sha1, Content-Length
 *     LFS files:   302 to /cdn/<sha256> (same server, or a second "CDN" server) with
 *                  X-Repo-Commit, X-Linked-Etag = "<sha256>", X-Linked-Size
 *     renamed repos: 307 with a relative Location; unknown repos: 401 RepoNotFound;
 *     gated repos: 403 GatedRepo; unknown revisions: 404 RevisionNotFound; missing files: 404 EntryNotFound
 *   GET /cdn/<sha256>: the content, with Range support (206) and switchable faults.
 * Every request is recorded. The servers refuse requests beyond a bound and close themselves
 * after a while even if a test forgets to stop them.
 */
import { createHash } from "crypto";
import * as http from "http";
import * as net from "net";
import { sendXetFileInfo, sendXetToken, serveCas, xetHash } from "./fake-xet";
import { readBody, sendRange } from "./serve";

/** One repository: its commit and files; files at least `lfsThreshold` bytes are served LFS-style. */
export interface FakeRepo {
  commit: string;
  files: Record<string, Buffer>;
  /** Repo answers 403 GatedRepo. */
  gated?: boolean;
  /** Extra revisions (besides "main" and the commit) that resolve to the commit. */
  revisions?: string[];
}

/** A request the servers saw. */
export interface SeenRequest {
  method: string;
  path: string;
  headers: http.IncomingHttpHeaders;
  /** "hub" or "cdn" (which listener). */
  server: "hub" | "cdn";
}

/** Faults a test can switch on; each applies to GETs of LFS content, keyed by file name. */
export interface Faults {
  /** Drop the connection after this many body bytes, for the next `times` GETs of the file. */
  drop?: { file: string; afterBytes: number; times: number };
  /** List this file with a wrong hash (lfs.oid for LFS files, the git oid for small ones). */
  wrongSha?: string;
  /** Ignore Range headers (answer 200 with the whole content). */
  ignoreRange?: boolean;
  /** Send this file chunked (no Content-Length), cut short, ending cleanly. */
  shortBody?: string;
  /** Send headers for this file, then stall without sending the body. */
  stall?: string;
  /** Send LFS bodies in 16 KiB chunks with this delay between them. */
  chunkDelayMs?: number;
  /** Answer the next `times` resolve requests for this file with this status (e.g. 503). */
  failResolve?: { file: string; status: number; times: number };
  /** Answer the next `times` /api/ requests with this status (e.g. 503). */
  failApi?: { status: number; times: number };
  /** Send this value as the commit (X-Repo-Commit and the model info's sha) instead of the real one. */
  badCommit?: string;
  /** Store the LFS files on Xet: listed with a `xetHash`, served through the CAS of fake-xet.ts. */
  xet?: boolean;
  /** Answer this many Xet xorb requests with 429 (busy) first. */
  xorbBusy?: number;
  /** Send every Xet xorb in 16 KiB pieces `delayMs` apart and drop the connection after `pieces`. */
  xorbDrop?: { pieces: number; delayMs: number };
}

/** Files at least this large are served LFS-style (302 to /cdn/<sha256>). */
export const LFS_THRESHOLD = 10_000;
const MAX_REQUESTS = 2_000;
const LIFETIME_MS = 120_000;

/** sha256 hex of a buffer. */
export function sha256(data: Buffer): string {
  return createHash("sha256").update(data).digest("hex");
}

/** The git blob sha1 of a buffer (what the hub uses as ETag of non-LFS files). */
export function gitSha1(data: Buffer): string {
  return createHash("sha1").update(`blob ${data.length}\0`).update(data).digest("hex");
}

/** Deterministic pseudo-random bytes. */
export function bytes(length: number, seed: number): Buffer {
  const out = Buffer.alloc(length);
  let x = seed >>> 0 || 1;
  for (let i = 0; i < length; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    out[i] = x & 0xff;
  }
  return out;
}

/** A fake hub; `start()` it, use `endpoint`, `stop()` it. */
export class FakeHub {
  readonly repos = new Map<string, FakeRepo>();
  /** old id → new id: answered with a relative 307. */
  readonly renamed = new Map<string, string>();
  readonly requests: SeenRequest[] = [];
  faults: Faults = {};
  /** Serve LFS content from a second server (another origin), like a real CDN. */
  cdnOnOtherOrigin = false;

  private hub = http.createServer((req, res) => this.handle(req, res, "hub"));
  private cdn = http.createServer((req, res) => this.handle(req, res, "cdn"));
  private timer: NodeJS.Timeout | undefined;
  private hubPort = 0;
  private cdnPort = 0;

  /** http://127.0.0.1:<port> of the hub listener. */
  get endpoint(): string {
    return `http://127.0.0.1:${this.hubPort}`;
  }

  /** Starts both listeners on random ports. */
  async start(): Promise<this> {
    const listen = (server: http.Server) =>
      new Promise<number>((resolve, reject) => {
        server.once("error", reject);
        server.listen(0, "127.0.0.1", () => resolve((server.address() as net.AddressInfo).port));
      });
    this.hubPort = await listen(this.hub);
    this.cdnPort = await listen(this.cdn);
    this.timer = setTimeout(() => void this.stop(), LIFETIME_MS);
    this.timer.unref();
    return this;
  }

  /** Closes both listeners and every open connection. */
  async stop(): Promise<void> {
    if (this.timer !== undefined) clearTimeout(this.timer);
    for (const server of [this.hub, this.cdn]) {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    }
  }

  /** Requests whose path starts with `prefix` (and method, if given). */
  seen(prefix: string, method?: string): SeenRequest[] {
    return this.requests.filter((r) => r.path.startsWith(prefix) && (method === undefined || r.method === method));
  }

  private origin(server: "hub" | "cdn"): string {
    return `http://127.0.0.1:${server === "hub" ? this.hubPort : this.cdnPort}`;
  }

  /** How xorb bodies go out: at once, or slowly and dropped (faults.xorbDrop). */
  private xorbSender(): ((res: http.ServerResponse, body: Buffer) => void) | undefined {
    const drop = this.faults.xorbDrop;
    if (drop === undefined) return undefined;
    return (res, body) => {
      const piece = (i: number) => {
        if (res.destroyed) return;
        if (i >= drop.pieces) return void res.socket?.destroy();
        res.write(body.subarray(i * 16_384, (i + 1) * 16_384));
        setTimeout(() => piece(i + 1), drop.delayMs);
      };
      piece(0);
    };
  }

  private fileByXetHash(hash: string): Buffer | undefined {
    for (const repo of this.repos.values()) for (const data of Object.values(repo.files)) if (xetHash(data) === hash) return data;
    return undefined;
  }

  private fileBySha(sha: string): { name: string; data: Buffer } | undefined {
    for (const repo of this.repos.values()) {
      for (const [name, data] of Object.entries(repo.files)) if (sha256(data) === sha) return { name, data };
    }
    return undefined;
  }

  private handle(req: http.IncomingMessage, res: http.ServerResponse, server: "hub" | "cdn"): void {
    const path = req.url ?? "/";
    this.requests.push({ method: req.method ?? "", path, headers: req.headers, server });
    if (this.requests.length > MAX_REQUESTS) {
      res.writeHead(503).end();
      return;
    }
    if (path.startsWith("/cdn/")) return this.serveContent(res, path.slice("/cdn/".length));
    if (path.startsWith("/xet/xorbs/") && (this.faults.xorbBusy ?? 0) > 0) {
      this.faults.xorbBusy!--;
      res.writeHead(429).end("busy");
      return;
    }
    if (server === "cdn" && path.startsWith("/xet/"))
      return serveCas(req, res, path, this.origin("cdn"), (h) => this.fileByXetHash(h), this.xorbSender());
    if (server === "hub" && path.startsWith("/api/models/")) return void this.api(req, res, path);
    const at = path.indexOf("/resolve/");
    if (server !== "hub" || at < 0) {
      res.writeHead(404).end("no such route");
      return;
    }
    const repoId = decodeURIComponent(path.slice(1, at));
    const rest = path.slice(at + "/resolve/".length).split("/");
    const revision = decodeURIComponent(rest[0]);
    const file = rest.slice(1).map(decodeURIComponent).join("/");
    this.resolve(res, repoId, revision, file, rest.slice(1).join("/"));
  }

  private resolve(res: http.ServerResponse, repoId: string, revision: string, file: string, rawFile: string): void {
    const newId = this.renamed.get(repoId);
    if (newId !== undefined) {
      res.writeHead(307, { Location: `/${newId}/resolve/${encodeURIComponent(revision)}/${rawFile}` }).end();
      return;
    }
    const repo = this.repos.get(repoId);
    if (repo === undefined) {
      res.writeHead(401, { "X-Error-Code": "RepoNotFound", "X-Error-Message": "Repository not found" }).end();
      return;
    }
    if (repo.gated) {
      res.writeHead(403, { "X-Error-Code": "GatedRepo", "X-Error-Message": "Access to this model is restricted" }).end();
      return;
    }
    if (revision !== "main" && revision !== repo.commit && !(repo.revisions ?? []).includes(revision)) {
      res.writeHead(404, { "X-Error-Code": "RevisionNotFound", "X-Error-Message": "Invalid rev id" }).end();
      return;
    }
    const failure = this.faults.failResolve;
    if (failure !== undefined && failure.file === file && failure.times > 0) {
      failure.times--;
      res.writeHead(failure.status, { "X-Error-Message": "try again later" }).end();
      return;
    }
    const commit = this.faults.badCommit ?? repo.commit;
    const data = repo.files[file];
    if (data === undefined) {
      res
        .writeHead(404, { "X-Error-Code": "EntryNotFound", "X-Error-Message": "Entry not found", "X-Repo-Commit": commit })
        .end();
      return;
    }
    if (data.length >= LFS_THRESHOLD && this.faults.xet && String(res.req.headers.accept).includes("xet-fileinfo")) {
      sendXetFileInfo(res, data, this.origin("hub"), this.origin("cdn"), repoId, commit);
      return;
    }
    if (data.length >= LFS_THRESHOLD) {
      const sha = sha256(data);
      const origin = `http://127.0.0.1:${this.cdnOnOtherOrigin ? this.cdnPort : this.hubPort}`;
      res
        .writeHead(302, {
          Location: `${origin}/cdn/${sha}`,
          "X-Repo-Commit": commit,
          "X-Linked-Etag": `"${sha}"`,
          "X-Linked-Size": String(data.length),
          ETag: `W/"not-the-content-hash"`,
          "Content-Length": "0",
        })
        .end();
      return;
    }
    sendRange(res, data, { "X-Repo-Commit": commit, ETag: `"${gitSha1(data)}"` }, false);
  }

  /** The API routes, with the same repo, rename, revision and fault rules as resolve. */
  private async api(req: http.IncomingMessage, res: http.ServerResponse, path: string): Promise<void> {
    const match = /^\/api\/models\/(.+?)\/(revision|paths-info|xet-read-token|tree)\/([^/?]+)(\/[^?]*)?(\?.*)?$/.exec(path);
    const body = await readBody(req);
    if (match === null) {
      res.writeHead(404).end("no such route");
      return;
    }
    const [, repoId, route, rawRevision, subPath = "", query = ""] = match;
    const json = (status: number, value: unknown, headers: http.OutgoingHttpHeaders = {}) =>
      res.writeHead(status, { "Content-Type": "application/json", ...headers }).end(JSON.stringify(value));
    const newId = this.renamed.get(repoId);
    if (newId !== undefined) {
      res.writeHead(307, { Location: `/api/models/${newId}/${route}/${rawRevision}${subPath}${query}` }).end();
      return;
    }
    const failure = this.faults.failApi;
    if (failure !== undefined && failure.times > 0) {
      failure.times--;
      json(failure.status, { error: "try again later" }, { "X-Error-Message": "try again later" });
      return;
    }
    const repo = this.repos.get(repoId);
    if (repo === undefined) {
      json(401, { error: "Repository not found" }, { "X-Error-Code": "RepoNotFound", "X-Error-Message": "Repository not found" });
      return;
    }
    const revision = decodeURIComponent(rawRevision);
    if (revision !== "main" && revision !== repo.commit && !(repo.revisions ?? []).includes(revision)) {
      json(404, { error: "Invalid rev id" }, { "X-Error-Code": "RevisionNotFound", "X-Error-Message": "Invalid rev id" });
      return;
    }
    if (route === "xet-read-token") return sendXetToken(res, this.origin("cdn"));
    if (route === "tree") {
      json(200, this.tree(repo, decodeURIComponent(subPath.slice(1)), query.includes("recursive=true")));
      return;
    }
    if (route === "revision") {
      const sha = this.faults.badCommit ?? repo.commit;
      json(200, {
        _id: `id-${repoId}`,
        id: repoId,
        sha,
        private: false,
        gated: repo.gated ? "manual" : false,
        downloads: 0,
        likes: 0,
      });
      return;
    }
    const asked = (JSON.parse(body || "{}") as { paths?: string[] }).paths ?? [];
    const entries = asked
      .filter((file) => repo.files[file] !== undefined)
      .map((file) => {
        const data = repo.files[file];
        const lfsOid = this.faults.wrongSha === file ? sha256(Buffer.from("something else")) : sha256(data);
        const lfs = data.length >= LFS_THRESHOLD ? { lfs: { oid: lfsOid, size: data.length, pointerSize: 134 } } : {};
        const xet = this.faults.xet && data.length >= LFS_THRESHOLD ? { xetHash: xetHash(data) } : {};
        const oid = this.faults.wrongSha === file ? gitSha1(Buffer.from("something else")) : gitSha1(data);
        return { type: "file", path: file, oid, size: data.length, ...lfs, ...xet };
      });
    json(200, entries);
  }

  /** The tree listing of `folder` ("" = the root): its files and folders, or every file below it when recursive. */
  private tree(repo: FakeRepo, folder: string, recursive: boolean): { type: string; path: string; oid: string; size: number }[] {
    const prefix = folder === "" ? "" : `${folder}/`;
    const entries = new Map<string, { type: string; path: string; oid: string; size: number }>();
    for (const [file, data] of Object.entries(repo.files)) {
      if (!file.startsWith(prefix)) continue;
      const child = file.slice(prefix.length).split("/");
      if (recursive || child.length === 1) entries.set(file, { type: "file", path: file, oid: gitSha1(data), size: data.length });
      else
        entries.set(prefix + child[0], { type: "directory", path: prefix + child[0], oid: gitSha1(Buffer.from(file)), size: 0 });
    }
    return [...entries.values()];
  }

  private serveContent(res: http.ServerResponse, sha: string): void {
    const found = this.fileBySha(sha);
    if (found === undefined) {
      res.writeHead(404).end();
      return;
    }
    const { name, data } = found;
    const faults = this.faults;
    const etag = `"cdn-${sha.slice(0, 8)}"`; // not the sha256: the downloader must not use it
    if (faults.stall === name) {
      res.writeHead(200, { "Content-Length": String(data.length), ETag: etag });
      res.flushHeaders();
      return;
    }
    if (faults.shortBody === name) {
      res.writeHead(200, { ETag: etag });
      res.end(data.subarray(0, Math.floor(data.length / 2)));
      return;
    }
    const range = sendRange(res, data, { ETag: etag }, true, faults.ignoreRange);
    if (range === undefined) return;
    const body = data.subarray(range.start, range.end + 1);
    const drop = faults.drop !== undefined && faults.drop.file === name && faults.drop.times > 0 ? faults.drop : undefined;
    if (drop !== undefined) {
      drop.times--;
      res.write(body.subarray(0, drop.afterBytes), () => res.socket?.destroy());
      return;
    }
    const delay = faults.chunkDelayMs;
    if (delay === undefined) {
      res.end(body);
      return;
    }
    let offset = 0;
    const next = () => {
      if (res.destroyed) return;
      if (offset >= body.length) {
        res.end();
        return;
      }
      res.write(body.subarray(offset, offset + 16_384));
      offset += 16_384;
      setTimeout(next, delay);
    };
    next();
  }
}
