/**
 * One online resolveHubModel call, on @huggingface/hub: `modelInfo` resolves the revision to its
 * commit, `pathsInfo` lists the wanted files at that commit (which exist, their etags and sizes,
 * whether they are on Xet), then each missing blob is downloaded (see download.ts) and linked into
 * `snapshots/<commit>/`, the shards of a weights index after the index. Network failures are
 * retried (downloads resume); `refs/<revision>` is written only once the snapshot is complete.
 */
import { modelInfo, pathsInfo } from "@huggingface/hub";
import * as fs from "fs";
import {
  cachedSnapshot,
  isWeightsIndex,
  linkSnapshotFile,
  markMissing,
  OPTIONAL_FILES,
  shardsFromIndex,
  WEIGHTS_FILE,
  WEIGHTS_INDEX_FILE,
  writeRef,
} from "./cache";
import { ensureBlob, RemoteFile } from "./download";
import { HubError, RequestContext, where } from "./errors";
import { HubFetch } from "./fetch";
import { isCommitHash, RepoCache } from "./paths";
import { ProgressOption } from "./progress";

/** How a session talks to the hub. */
export interface SessionSettings {
  /** Hub URL without a trailing "/". */
  endpoint: string;
  /** Bearer token for the hub, if any. */
  token: string | undefined;
  /** Inactivity timeout per request, in milliseconds. */
  timeoutMs: number;
  /** Extra attempts per request after a network failure or a 5xx/429 answer. */
  retries: number;
  /** Progress reporting (see ProgressOption). */
  progress: ProgressOption;
}

function retryable(err: HubError): boolean {
  if (err.code === "NETWORK" || err.code === "TRUNCATED") return true;
  return err.code === "HTTP" && err.status !== undefined && (err.status >= 500 || err.status === 429);
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** One resolveHubModel call that goes to the network; `run()` returns the snapshot folder. */
export class SnapshotSession {
  private readonly http: HubFetch;
  private readonly ctx: RequestContext;

  constructor(
    private readonly cache: RepoCache,
    revision: string,
    private readonly files: string[] | undefined,
    private readonly settings: SessionSettings,
  ) {
    this.http = new HubFetch(settings.endpoint, settings.token, settings.timeoutMs);
    this.ctx = { endpoint: settings.endpoint, repoId: cache.repoId, revision, withToken: settings.token !== undefined };
  }

  /** True once the hub answered anything: later network errors are real failures, not "offline". */
  get reachedHub(): boolean {
    return this.http.reached;
  }

  /** Downloads what is missing and returns the absolute snapshot folder. */
  async run(): Promise<string> {
    const commit = await this.retrying(this.ctx, () => this.resolveCommit());
    const ctx = { ...this.ctx, commit };
    const listing = await this.list(ctx, this.files ?? ["config.json", WEIGHTS_FILE, WEIGHTS_INDEX_FILE, ...OPTIONAL_FILES]);
    const wanted: RemoteFile[] = [];
    if (this.files !== undefined) {
      for (const file of this.files) wanted.push(this.required(listing, file, ctx));
    } else {
      wanted.push(this.required(listing, "config.json", ctx));
      const weights = listing.get(WEIGHTS_FILE) ?? listing.get(WEIGHTS_INDEX_FILE);
      if (weights === undefined) {
        throw new HubError(
          "NOT_FOUND",
          `Repository "${ctx.repoId}" at ${where(ctx)} has neither ${WEIGHTS_FILE} nor ${WEIGHTS_INDEX_FILE} ` +
            `(only safetensors weights are supported)`,
          404,
        );
      }
      wanted.push(weights);
      for (const file of OPTIONAL_FILES) {
        const found = listing.get(file);
        if (found !== undefined) wanted.push(found);
        else await markMissing(this.cache, commit, file);
      }
    }
    for (const file of wanted) {
      await this.fetch(file, ctx);
      if (!isWeightsIndex(file.path)) continue;
      const text = await fs.promises.readFile(this.cache.snapshotFile(commit, file.path), "utf8");
      const shards = shardsFromIndex(text, file.path, ctx.repoId);
      const shardListing = await this.list(ctx, shards);
      for (const shard of shards) await this.fetch(this.required(shardListing, shard, ctx), ctx);
    }
    await writeRef(this.cache, ctx.revision, commit);
    return this.cache.snapshot(commit);
  }

  /** The commit the revision points at, from the hub's model info. */
  private async resolveCommit(): Promise<string> {
    const { endpoint, repoId, revision } = this.ctx;
    const info = await modelInfo({ name: repoId, revision, hubUrl: endpoint, fetch: this.http.fetch, additionalFields: ["sha"] });
    const sha: unknown = info.sha;
    if (typeof sha !== "string" || !isCommitHash(sha)) {
      throw new HubError(
        "PROTOCOL",
        `The hub answered revision "${revision}" of "${repoId}" with an invalid commit ${JSON.stringify(sha)} (${this.http.lastUrl})`,
      );
    }
    return sha;
  }

  /** The files among `paths` that exist at the commit, keyed by path (one paths-info request). */
  private async list(ctx: RequestContext & { commit: string }, paths: string[]): Promise<Map<string, RemoteFile>> {
    const { endpoint, repoId, commit } = ctx;
    const entries = await this.retrying(ctx, () =>
      pathsInfo({ repo: repoId, paths, revision: commit, hubUrl: endpoint, fetch: this.http.fetch }),
    );
    const listing = new Map<string, RemoteFile>();
    for (const entry of entries) {
      if (entry.type !== "file" || !paths.includes(entry.path)) continue;
      const lfs = entry.lfs?.oid;
      const etag = lfs ?? entry.oid ?? "";
      const expected = lfs !== undefined ? /^[0-9a-f]{64}$/ : /^[0-9a-f]{40}$/;
      if (!expected.test(etag) || !Number.isSafeInteger(entry.size) || entry.size < 0) {
        throw new HubError(
          "PROTOCOL",
          `The hub listed "${entry.path}" of "${repoId}" at ${where(ctx)} with an unusable ${expected.test(etag) ? `size ${JSON.stringify(entry.size)}` : `etag ${JSON.stringify(etag)}`}`,
        );
      }
      listing.set(entry.path, {
        path: entry.path,
        etag,
        size: entry.size,
        lfs: lfs !== undefined,
        xet: entry.xetHash !== undefined,
      });
    }
    return listing;
  }

  private required(listing: Map<string, RemoteFile>, file: string, ctx: RequestContext): RemoteFile {
    const found = listing.get(file);
    if (found !== undefined) return found;
    throw new HubError(
      "NOT_FOUND",
      `Required file "${file}" not found in repository "${ctx.repoId}" at ${where(ctx)}: the hub lists no such file`,
      404,
    );
  }

  /** Downloads one file's blob (retrying, resuming) and links it into the snapshot. */
  private async fetch(file: RemoteFile, ctx: RequestContext & { commit: string }): Promise<void> {
    const fileCtx = { ...ctx, file: file.path };
    await this.retrying(fileCtx, () =>
      ensureBlob(this.cache, file, { ctx: fileCtx, http: this.http, progress: this.settings.progress }),
    );
    await linkSnapshotFile(this.cache, ctx.commit, file.path, file.etag);
  }

  /** Runs `attempt`, retrying network failures and 5xx/429 answers; every error comes out as a HubError. */
  private async retrying<T>(ctx: RequestContext, attempt: () => Promise<T>): Promise<T> {
    for (let tries = 0; ; tries++) {
      try {
        return await attempt();
      } catch (raw) {
        const err = this.asHubError(raw, ctx);
        if (tries >= this.settings.retries || !retryable(err)) throw err;
        if (!this.reachedHub && (await this.cachedFallback())) throw err; // resolveHubModel falls back at once
        await sleep(Math.min(200 * 2 ** tries, 3_000));
      }
    }
  }

  /** The package's errors (HubApiError, malformed answers) and file errors as HubErrors naming the repo, revision and file. */
  private asHubError(raw: unknown, ctx: RequestContext): HubError {
    const explained = this.http.explain(raw, ctx);
    if (explained !== undefined) return explained;
    const message = raw instanceof Error ? raw.message : String(raw);
    const errno = (raw as NodeJS.ErrnoException).code;
    if (typeof errno === "string" && (raw as NodeJS.ErrnoException).syscall !== undefined) {
      const hint =
        errno === "ENOSPC" ? ": the disk is full; free space, or point options.cacheDir / HF_HUB_CACHE at another disk" : "";
      const what = ctx.file !== undefined ? `"${ctx.file}" of ` : "";
      return new HubError("IO", `Could not write ${what}"${ctx.repoId}" into the cache ${this.cache.root} (${message})${hint}`);
    }
    return new HubError("PROTOCOL", `Unusable answer from ${ctx.endpoint} for "${ctx.repoId}" at ${where(ctx)}: ${message}`);
  }

  /** True when the cache already holds a complete snapshot of the revision (used when the hub is unreachable). */
  private async cachedFallback(): Promise<boolean> {
    try {
      await cachedSnapshot(this.cache, this.ctx.revision, this.files, "");
      return true;
    } catch {
      return false;
    }
  }
}
