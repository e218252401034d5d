/**
 * One file's blob: fetched with @huggingface/hub's `downloadFile` (plain HTTP, or Xet storage
 * when the hub lists the file there) into `blobs/<etag>.incomplete`, resumed from the bytes a
 * previous attempt left there (the package's Blob is sliced, which asks for a byte range), checked
 * against the size and hash the hub listed (sha256 for LFS files, the git blob sha1 otherwise),
 * and renamed to `blobs/<etag>` only once it is whole. One download per blob at a time.
 */
import { downloadFile } from "@huggingface/hub";
import { createHash, Hash } from "crypto";
import * as fs from "fs";
import * as path from "path";
import { answerError, HubError, RequestContext, where } from "./errors";
import { HubFetch } from "./fetch";
import { withLock } from "./lock";
import { RepoCache } from "./paths";
import { createReporter, ProgressOption } from "./progress";

/** One file as the hub's paths-info lists it. */
export interface RemoteFile {
  /** Path inside the repository. */
  path: string;
  /** Blob name: the content's sha256 for LFS files, the git blob sha1 otherwise. */
  etag: string;
  /** Size in bytes. */
  size: number;
  /** True when `etag` is the sha256 of the content (LFS); false when it is the git blob sha1. */
  lfs: boolean;
  /** True when the hub stores the content on Xet (the package then reconstructs it from Xet chunks). */
  xet: boolean;
}

/** What a download needs besides the file. */
export interface DownloadSettings {
  /** Who asks (with the commit), for requests and messages. */
  ctx: RequestContext & { commit: string };
  http: HubFetch;
  progress: ProgressOption;
}

async function fileSize(file: string): Promise<number | undefined> {
  try {
    const stat = await fs.promises.stat(file);
    return stat.isFile() ? stat.size : undefined;
  } catch {
    return undefined;
  }
}

/** A hash of the content in the form the etag uses; the git blob sha1 hashes a header first. */
function contentHash(file: RemoteFile): Hash {
  return file.lfs ? createHash("sha256") : createHash("sha1").update(`blob ${file.size}\0`);
}

async function hashPrefix(hash: Hash, file: string, bytes: number): Promise<void> {
  if (bytes === 0) return;
  for await (const chunk of fs.createReadStream(file, { start: 0, end: bytes - 1 })) hash.update(chunk as Buffer);
}

function encodePath(file: string): string {
  return file.split("/").map(encodeURIComponent).join("/");
}

interface Written {
  received: number;
  /** Why the body stopped early, if it did. */
  error?: unknown;
  /** The server sent more than expected (the excess was not written). */
  overflow?: boolean;
}

/** Writes a body to `partial` chunk by chunk, so that every byte that arrived is kept for resuming. */
async function writeBody(
  body: ReadableStream<Uint8Array>,
  partial: string,
  append: boolean,
  limit: number,
  onChunk: (chunk: Uint8Array, received: number) => void,
): Promise<Written> {
  const handle = await fs.promises.open(partial, append ? "a" : "w");
  const reader = body.getReader();
  let received = 0;
  try {
    for (;;) {
      let next: Awaited<ReturnType<typeof reader.read>>;
      try {
        next = await reader.read();
      } catch (error) {
        return { received, error };
      }
      if (next.done) return { received };
      if (received + next.value.length > limit) {
        await reader.cancel().catch(() => undefined);
        return { received, overflow: true };
      }
      await handle.write(next.value);
      received += next.value.length;
      onChunk(next.value, received);
    }
  } finally {
    await handle.close();
  }
}

/** The package's Blob for the file's content (its `downloadInfo` saves a request for files not on Xet). */
async function openRemote(file: RemoteFile, settings: DownloadSettings): Promise<Blob> {
  const { ctx, http } = settings;
  const url = `${ctx.endpoint}/${ctx.repoId}/resolve/${ctx.commit}/${encodePath(file.path)}`;
  const blob = await downloadFile({
    repo: ctx.repoId,
    path: file.path,
    revision: ctx.commit,
    hubUrl: ctx.endpoint,
    fetch: http.fetch,
    downloadInfo: file.xet ? undefined : { size: file.size, etag: file.etag, url },
  });
  if (blob === null) throw answerError({ url, status: 404, code: "EntryNotFound" }, ctx);
  return blob;
}

/** Why a body stopped: the hub's error answer, a timeout, or a dropped connection (partial data kept). */
function bodyError(error: unknown, what: string, partial: string, bytes: number, settings: DownloadSettings): HubError {
  const { http, ctx } = settings;
  const explained = http.explain(error, ctx);
  if (explained !== undefined) return explained;
  const detail = error instanceof Error ? (error.cause instanceof Error ? error.cause.message : error.message) : String(error);
  return new HubError(
    "NETWORK",
    `Download of ${what} from ${http.lastUrl ?? ctx.endpoint} was interrupted after ${bytes} bytes (${detail}); ` +
      `the partial file ${partial} is kept and the next call resumes from there`,
  );
}

/** Downloads `file` into `blobs/<etag>.incomplete` (resuming), verifies it and renames it to `blobs/<etag>`. */
async function downloadBlob(cache: RepoCache, file: RemoteFile, settings: DownloadSettings): Promise<void> {
  const { ctx, http } = settings;
  const partial = cache.incomplete(file.etag);
  await fs.promises.mkdir(path.dirname(partial), { recursive: true });
  const what = `"${file.path}" of ${ctx.repoId} at ${where(ctx)}`;
  const fail = async (message: string): Promise<never> => {
    await fs.promises.rm(partial, { force: true });
    throw new HubError("INTEGRITY", `${message}; the partial download ${partial} was deleted`);
  };

  let have = (await fileSize(partial)) ?? 0;
  if (have > file.size) {
    await fs.promises.rm(partial, { force: true });
    have = 0;
  }
  const hash = contentHash(file);
  await hashPrefix(hash, partial, have);
  if (have < file.size || file.size === 0) {
    const blob = await openRemote(file, settings);
    http.lastFailure = http.lastError = undefined;
    const reporter = createReporter(settings.progress, file.path, file.size, have);
    const body = (have > 0 ? blob.slice(have) : blob).stream() as ReadableStream<Uint8Array>;
    const written = await writeBody(body, partial, have > 0, file.size - have, (chunk, received) => {
      hash.update(chunk);
      reporter.update(have + received);
    });
    const got = have + written.received;
    if (written.overflow) {
      reporter.fail();
      return fail(`Size mismatch for ${what}: expected ${file.size} bytes, the server sent more`);
    }
    if (written.error !== undefined) {
      reporter.fail();
      throw bodyError(written.error, what, partial, got, settings);
    }
    if (got < file.size) {
      reporter.fail();
      throw new HubError(
        "TRUNCATED",
        `Truncated response for ${what} from ${http.lastUrl}: got ${got} of ${file.size} bytes; ` +
          `the partial file ${partial} is kept and the next call resumes from there`,
      );
    }
    reporter.finish(got);
  }
  const size = (await fileSize(partial)) ?? 0;
  if (size !== file.size) return fail(`Size mismatch for ${what}: expected ${file.size} bytes, got ${size}`);
  const actual = hash.digest("hex");
  if (actual !== file.etag) {
    return fail(`${file.lfs ? "sha256" : "git sha1"} mismatch for ${what}: expected ${file.etag}, got ${actual}`);
  }
  await fs.promises.rename(partial, cache.blob(file.etag));
}

/**
 * Makes sure `blobs/<etag>` holds `file`, downloading it if needed. One download per blob at a
 * time, in this process and across processes (lock file); a caller that waited for another one
 * finds the blob in place and returns.
 */
export async function ensureBlob(cache: RepoCache, file: RemoteFile, settings: DownloadSettings): Promise<void> {
  const present = async () => (await fileSize(cache.blob(file.etag))) === file.size;
  if (await present()) return;
  await withLock(cache.lock(file.etag), async () => {
    if (!(await present())) await downloadBlob(cache, file, settings);
  });
}
