/**
 * HTTP with Node built-ins: one request at a time, redirects followed by hand (bounded),
 * the token sent only to the hub's own origin, and hub answers (401/403/404/...) turned
 * into HubErrors that name the repo, revision, file and URL.
 */
import * as http from "http";
import * as https from "https";
import { HubError } from "./errors";

/** How many redirects one request may follow. */
export const MAX_REDIRECTS = 10;

/** Who is asking, so that errors can say it. */
export interface RequestContext {
  /** The hub endpoint (origin plus optional path prefix). */
  endpoint: string;
  repoId: string;
  /** The revision the caller asked for (for messages). */
  revision: string;
  /** The commit that revision resolved to, once known (for messages). */
  commit?: string;
  file: string;
  /** Bearer token for the hub, if any; never sent to other origins (CDNs). */
  token: string | undefined;
  /** Socket inactivity limit, in milliseconds. */
  timeoutMs: number;
}

/** A response together with the URL that produced it (after redirects). */
export interface Answer {
  res: http.IncomingMessage;
  url: string;
}

const USER_AGENT = `tslens/0.1 (node ${process.versions.node})`;

/** A header's single value (first one when repeated). */
export function header(res: http.IncomingMessage, name: string): string | undefined {
  const value = res.headers[name.toLowerCase()];
  return Array.isArray(value) ? value[0] : value;
}

function headersFor(url: string, ctx: RequestContext, extra: Record<string, string>): Record<string, string> {
  const headers: Record<string, string> = { "User-Agent": USER_AGENT, "Accept-Encoding": "identity", ...extra };
  if (ctx.token !== undefined && new URL(url).origin === new URL(ctx.endpoint).origin) {
    headers.Authorization = `Bearer ${ctx.token}`;
  }
  return headers;
}

/**
 * Sends one request and resolves with the response head (no redirect handling).
 * Connection failures and timeouts become `NETWORK` HubErrors naming the URL.
 */
export function send(
  method: "GET" | "HEAD",
  url: string,
  ctx: RequestContext,
  extra: Record<string, string> = {},
): Promise<http.IncomingMessage> {
  return new Promise((resolve, reject) => {
    let parsed: URL;
    try {
      parsed = new URL(url);
    } catch {
      reject(new HubError("PROTOCOL", `Invalid URL ${JSON.stringify(url)} while fetching ${ctx.file} from ${ctx.repoId}`));
      return;
    }
    const lib = parsed.protocol === "https:" ? https : parsed.protocol === "http:" ? http : undefined;
    if (lib === undefined) {
      reject(new HubError("PROTOCOL", `Refusing to fetch ${url}: only http and https are supported`));
      return;
    }
    const req = lib.request(parsed, { method, headers: headersFor(url, ctx, extra) });
    let response: http.IncomingMessage | undefined;
    req.setTimeout(ctx.timeoutMs, () => {
      const err = new Error(`no data for ${ctx.timeoutMs} ms`);
      response?.destroy(err); // a body being read fails with this reason rather than "aborted"
      req.destroy(err);
    });
    req.once("response", (res: http.IncomingMessage) => {
      response = res;
      resolve(res);
    });
    req.on("error", (err: NodeJS.ErrnoException) => {
      const code = err.code !== undefined ? ` (${err.code})` : "";
      reject(new HubError("NETWORK", `Network error fetching ${url}: ${err.message}${code}`));
    });
    req.end();
  });
}

function isRedirect(status: number): boolean {
  return status === 301 || status === 302 || status === 303 || status === 307 || status === 308;
}

function redirectTarget(res: http.IncomingMessage, url: string): string {
  const location = header(res, "location");
  if (location === undefined)
    throw new HubError("PROTOCOL", `HTTP ${res.statusCode} redirect without a Location header from ${url}`);
  return location;
}

/**
 * HEAD request for a file's metadata. A redirect that carries the file's metadata (X-Linked-Etag /
 * X-Linked-Size: an LFS file, whose Location is the CDN download URL) is returned as is; other
 * redirects are followed while they stay on the same origin (renamed repos answer with a relative
 * 307, the hub may also redirect to its own resolve cache). A redirect to another origin without
 * metadata is returned as is too; its headers then decide.
 */
export async function headMetadata(url: string, ctx: RequestContext): Promise<Answer> {
  for (let hops = 0; ; hops++) {
    const res = await send("HEAD", url, ctx);
    res.resume();
    const status = res.statusCode ?? 0;
    if (!isRedirect(status)) return { res, url };
    if (header(res, "x-linked-etag") !== undefined || header(res, "x-linked-size") !== undefined) return { res, url };
    const target = new URL(redirectTarget(res, url), url);
    if (target.origin !== new URL(url).origin) return { res, url };
    if (hops >= MAX_REDIRECTS) throw new HubError("PROTOCOL", `Too many redirects (more than ${MAX_REDIRECTS}) fetching ${url}`);
    url = target.toString();
  }
}

/**
 * GET following every redirect (at most MAX_REDIRECTS), re-sending `extra` headers (such as Range)
 * to each hop. Resolves with the first non-redirect response, whose body the caller must consume.
 */
export async function getFollowing(url: string, ctx: RequestContext, extra: Record<string, string> = {}): Promise<Answer> {
  for (let hops = 0; ; hops++) {
    const res = await send("GET", url, ctx, extra);
    const status = res.statusCode ?? 0;
    if (!isRedirect(status)) return { res, url };
    res.resume();
    if (hops >= MAX_REDIRECTS) throw new HubError("PROTOCOL", `Too many redirects (more than ${MAX_REDIRECTS}) fetching ${url}`);
    url = new URL(redirectTarget(res, url), url).toString();
  }
}

/** Reads at most `limit` bytes of a (usually error) body as text, then discards the rest. */
export function readSmallBody(res: http.IncomingMessage, limit = 2048): Promise<string> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let size = 0;
    res.on("data", (chunk: Buffer) => {
      if (size < limit) chunks.push(chunk.subarray(0, limit - size));
      size += chunk.length;
    });
    res.once("end", () => resolve(Buffer.concat(chunks).toString("utf8")));
    res.once("error", () => resolve(Buffer.concat(chunks).toString("utf8")));
  });
}

/** The hub's X-Error-Code header (RepoNotFound, RevisionNotFound, EntryNotFound, GatedRepo, ...). */
export function hubErrorCode(res: http.IncomingMessage): string | undefined {
  return header(res, "x-error-code");
}

/** True for a 404 that means "this file does not exist" (not a missing repository or revision). */
export function isMissingEntry(res: http.IncomingMessage): boolean {
  const code = hubErrorCode(res);
  return res.statusCode === 404 && code !== "RepoNotFound" && code !== "RevisionNotFound";
}

/**
 * Turns an unexpected HTTP answer into a HubError that names the repo, revision, file and URL.
 * `detail` is extra text from the body, if it was read.
 */
export function statusError(res: http.IncomingMessage, url: string, ctx: RequestContext, detail = ""): HubError {
  const status = res.statusCode ?? 0;
  const code = hubErrorCode(res);
  const serverSays = header(res, "x-error-message") ?? detail.trim().slice(0, 300);
  const tail = ` (HTTP ${status}${code !== undefined ? ` ${code}` : ""}, ${url})${serverSays ? `: ${serverSays}` : ""}`;
  const repo = `"${ctx.repoId}"`;
  const tokenHint =
    ctx.token === undefined
      ? "no token was sent: set HF_TOKEN, log in with `hf auth login`, or pass options.token"
      : "the token that was sent does not grant access";
  const page = `${ctx.endpoint}/${ctx.repoId}`;
  if (status === 401) {
    if (code === "RepoNotFound") {
      return new HubError(
        "UNAUTHORIZED",
        `Repository ${repo} was not found, or it is private or gated and ${tokenHint}${tail}`,
        status,
      );
    }
    return new HubError(
      "UNAUTHORIZED",
      `Repository ${repo} is private or gated and needs authentication; ${tokenHint}${tail}`,
      status,
    );
  }
  if (status === 403) {
    const kind = code === "GatedRepo" ? "is a gated model" : "is gated or private";
    return new HubError(
      "FORBIDDEN",
      `Access to ${repo} is forbidden: it ${kind}. Request access on ${page} and use a token of an account that has it; ${tokenHint}${tail}`,
      status,
    );
  }
  if (status === 404) {
    if (code === "RepoNotFound") return new HubError("NOT_FOUND", `Repository ${repo} not found${tail}`, status);
    if (code === "RevisionNotFound") {
      return new HubError("NOT_FOUND", `Revision "${ctx.revision}" not found in repository ${repo}${tail}`, status);
    }
    const at = `revision "${ctx.revision}"${ctx.commit !== undefined && ctx.commit !== ctx.revision ? ` (commit ${ctx.commit})` : ""}`;
    return new HubError("NOT_FOUND", `Required file "${ctx.file}" not found in repository ${repo} at ${at}${tail}`, status);
  }
  return new HubError(
    "HTTP",
    `Unexpected HTTP ${status} ${res.statusMessage ?? ""} fetching "${ctx.file}" from ${repo}${tail}`,
    status,
  );
}
