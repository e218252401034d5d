/**
 * One file: its metadata from a HEAD request (commit, etag, size, download URL), then its blob,
 * downloaded to `blobs/<etag>.incomplete` (resumed with a Range request when a partial file
 * exists), checked for size and — for sha256 etags — content hash, and renamed into place.
 */
import { createHash, Hash } from "crypto";
import * as fs from "fs";
import * as http from "http";
import * as path from "path";
import { HubError } from "./errors";
import { getFollowing, header, headMetadata, isMissingEntry, readSmallBody, RequestContext, statusError } from "./http";
import { withLock } from "./lock";
import { isCommitHash, isSha256, normalizeEtag, RepoCache } from "./paths";
import { createReporter, ProgressOption } from "./progress";

/** What the hub says about one file at one revision. */
export interface FileMetadata {
  /** The commit the revision resolved to (X-Repo-Commit). */
  commit: string;
  /** Blob name: sha256 of the content for LFS files, the git blob sha1 otherwise. */
  etag: string;
  /** Size in bytes (X-Linked-Size, else Content-Length), when the server said. */
  size: number | undefined;
  /** Where to GET the content: the redirect target for LFS files, else the resolve URL. */
  location: string;
}

/** Either the file's metadata, or the 404 saying it does not exist (with the commit, when the hub sent it). */
export type MetadataResult = { found: true; meta: FileMetadata } | { found: false; commit: string | undefined; error: HubError };

function commitHeader(value: string | undefined, url: string): string | undefined {
  if (value === undefined) return undefined;
  if (!isCommitHash(value))
    throw new HubError("PROTOCOL", `The server sent an invalid X-Repo-Commit ${JSON.stringify(value)} for ${url}`);
  return value;
}

function sizeHeader(value: string | undefined): number | undefined {
  if (value === undefined || !/^\d+$/.test(value)) return undefined;
  return Number(value);
}

/** HEAD `url` (following relative redirects) and read the file's metadata, or the 404 that says it is missing. */
export async function fetchMetadata(url: string, ctx: RequestContext): Promise<MetadataResult> {
  const { res, url: finalUrl } = await headMetadata(url, ctx);
  const status = res.statusCode ?? 0;
  if (status === 404 && isMissingEntry(res)) {
    return { found: false, commit: commitHeader(header(res, "x-repo-commit"), finalUrl), error: statusError(res, finalUrl, ctx) };
  }
  const redirected = status >= 300 && status < 400;
  if (status !== 200 && !redirected) throw statusError(res, finalUrl, ctx);
  const commit = commitHeader(header(res, "x-repo-commit"), finalUrl);
  if (commit === undefined) {
    throw new HubError(
      "PROTOCOL",
      `The server did not send X-Repo-Commit for ${finalUrl}: is ${ctx.endpoint} a Hugging Face hub?`,
    );
  }
  const etag = normalizeEtag(header(res, "x-linked-etag") ?? header(res, "etag"), finalUrl);
  if (etag === undefined) throw new HubError("PROTOCOL", `The server did not send an ETag for ${finalUrl}`);
  const size = sizeHeader(header(res, "x-linked-size")) ?? (redirected ? undefined : sizeHeader(header(res, "content-length")));
  const location = redirected ? new URL(header(res, "location") ?? "", finalUrl).toString() : finalUrl;
  return { found: true, meta: { commit, etag, size, location } };
}

async function fileSize(file: string): Promise<number | undefined> {
  try {
    const stat = await fs.promises.stat(file);
    return stat.isFile() ? stat.size : undefined;
  } catch {
    return undefined;
  }
}

async function hashPrefix(hash: Hash, file: string, bytes: number): Promise<void> {
  if (bytes === 0) return;
  for await (const chunk of fs.createReadStream(file, { start: 0, end: bytes - 1 })) hash.update(chunk as Buffer);
}

function parseContentRange(value: string | undefined): { start: number; total: number | undefined } | undefined {
  const match = /^bytes (\d+)-(\d+)\/(\d+|\*)$/.exec(value?.trim() ?? "");
  if (match === null) return undefined;
  return { start: Number(match[1]), total: match[3] === "*" ? undefined : Number(match[3]) };
}

interface Saved {
  received: number;
  /** Why the body stopped early (connection dropped, timeout), if it did. */
  error: Error | undefined;
  /** The server sent more than `limit` bytes (the rest was not written). */
  overflow: boolean;
}

/**
 * Appends (or writes) a response body to `file`, keeping every byte that arrived even when the
 * connection drops (so that the next attempt resumes after them). Stops at more than `limit` bytes.
 */
function saveBody(
  res: http.IncomingMessage,
  file: string,
  flags: "a" | "w",
  limit: number | undefined,
  onChunk: (chunk: Buffer, received: number) => void,
): Promise<Saved> {
  return new Promise((resolve, reject) => {
    const out = fs.createWriteStream(file, { flags });
    const saved: Saved = { received: 0, error: undefined, overflow: false };
    let finished = false;
    const finish = (error?: Error) => {
      if (finished) return;
      finished = true;
      saved.error = error;
      res.removeAllListeners("data");
      out.end(() => resolve(saved));
    };
    out.once("error", (err) => {
      res.destroy();
      reject(err);
    });
    res.on("data", (chunk: Buffer) => {
      if (limit !== undefined && saved.received + chunk.length > limit) {
        saved.overflow = true;
        res.destroy();
        finish();
        return;
      }
      saved.received += chunk.length;
      onChunk(chunk, saved.received);
      if (!out.write(chunk)) {
        res.pause();
        out.once("drain", () => res.resume());
      }
    });
    if (res.errored) finish(res.errored);
    else if (res.destroyed) finish(new Error("connection closed before the end of the body"));
    res.once("end", () => finish());
    res.once("error", (err) => finish(err));
    res.once("close", () => finish(res.complete ? undefined : new Error("connection closed before the end of the body")));
  });
}

/** Downloads `meta` into `blobs/<etag>.incomplete` (resuming), verifies it and renames it to `blobs/<etag>`. */
async function downloadBlob(cache: RepoCache, meta: FileMetadata, ctx: RequestContext, progress: ProgressOption): Promise<void> {
  const partial = cache.incomplete(meta.etag);
  const blob = cache.blob(meta.etag);
  await fs.promises.mkdir(path.dirname(blob), { recursive: true });
  const what = `"${ctx.file}" of ${ctx.repoId}@${ctx.revision}`;
  const fail = async (message: string): Promise<never> => {
    await fs.promises.rm(partial, { force: true });
    throw new HubError("INTEGRITY", `${message}; the partial download ${partial} was deleted`);
  };

  let have = (await fileSize(partial)) ?? 0;
  if (meta.size !== undefined && have > meta.size) {
    await fs.promises.rm(partial, { force: true });
    have = 0;
  }
  let expected = meta.size;
  const alreadyComplete = meta.size !== undefined && have === meta.size && have > 0;
  let hash = isSha256(meta.etag) ? createHash("sha256") : undefined;

  if (hash !== undefined) await hashPrefix(hash, partial, have); // before the request: its body must be read at once

  if (!alreadyComplete) {
    const range: Record<string, string> = have > 0 ? { Range: `bytes=${have}-` } : {};
    const { res, url } = await getFollowing(meta.location, ctx, range);
    const status = res.statusCode ?? 0;
    if (status === 416 && have > 0) {
      res.resume();
      await fs.promises.rm(partial, { force: true });
      throw new HubError(
        "NETWORK",
        `The server refused to resume ${what} from byte ${have} (HTTP 416, ${url}); the partial file was deleted, try again`,
      );
    }
    if (status !== 200 && status !== 206) throw statusError(res, url, ctx, await readSmallBody(res));
    const contentLength = sizeHeader(header(res, "content-length"));
    if (status === 206) {
      const contentRange = parseContentRange(header(res, "content-range"));
      if (contentRange === undefined || contentRange.start !== have) {
        res.destroy();
        await fs.promises.rm(partial, { force: true });
        throw new HubError(
          "NETWORK",
          `The server resumed ${what} with Content-Range ${JSON.stringify(header(res, "content-range"))} instead of from byte ${have} ` +
            `(${url}); the partial file was deleted, try again`,
        );
      }
      expected ??= contentRange.total;
    } else if (have > 0) {
      have = 0; // the server ignored Range: start over
      hash = isSha256(meta.etag) ? createHash("sha256") : undefined;
    }
    expected ??= status === 200 ? contentLength : undefined;

    const reporter = createReporter(progress, ctx.file, expected, have);
    const limit = expected === undefined ? undefined : expected - have;
    const saved = await saveBody(res, partial, have > 0 ? "a" : "w", limit, (chunk, received) => {
      hash?.update(chunk);
      reporter.update(have + received);
    });
    const received = saved.received;
    if (saved.overflow) {
      reporter.fail();
      return fail(`Size mismatch for ${what}: expected ${expected} bytes, the server sent more (${url})`);
    }
    if (saved.error !== undefined) {
      reporter.fail();
      throw new HubError(
        "NETWORK",
        `Download of ${what} from ${url} was interrupted after ${have + received} of ${expected ?? "?"} bytes (${saved.error.message}); ` +
          `the partial file ${partial} is kept and the next call resumes from there`,
      );
    }
    const bodyExpected = contentLength;
    if ((bodyExpected !== undefined && received < bodyExpected) || (expected !== undefined && have + received < expected)) {
      reporter.fail();
      throw new HubError(
        "TRUNCATED",
        `Truncated response for ${what} from ${url}: got ${have + received} of ${expected ?? have + (bodyExpected ?? 0)} bytes; ` +
          `the partial file ${partial} is kept and the next call resumes from there`,
      );
    }
    reporter.finish(have + received);
  }

  const size = (await fileSize(partial)) ?? 0;
  if (expected !== undefined && size !== expected)
    return fail(`Size mismatch for ${what}: expected ${expected} bytes, got ${size}`);
  if (hash !== undefined) {
    const actual = hash.digest("hex");
    if (actual !== meta.etag) return fail(`sha256 mismatch for ${what}: expected ${meta.etag}, got ${actual}`);
  }
  await fs.promises.rename(partial, blob);
}

/**
 * Makes sure `blobs/<etag>` holds the file described by `meta`, downloading it if needed.
 * One download per blob at a time (in this process and across processes); a caller that
 * waited for another one finds the blob in place and returns. Returns the blob's path.
 */
export async function ensureBlob(
  cache: RepoCache,
  meta: FileMetadata,
  ctx: RequestContext,
  progress: ProgressOption,
): Promise<string> {
  const blob = cache.blob(meta.etag);
  const present = async () => {
    const size = await fileSize(blob);
    return size !== undefined && (meta.size === undefined || size === meta.size);
  };
  if (await present()) return blob;
  await withLock(cache.lock(meta.etag), async () => {
    if (!(await present())) await downloadBlob(cache, meta, ctx, progress);
  });
  return blob;
}
