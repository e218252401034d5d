/**
 * One online resolveHubModel call: fetches config.json, the weights (single file or index and
 * shards) and the optional files one after another, pinning every request after the first to the
 * commit the hub answered with, retrying network failures (downloads resume), and writing
 * `refs/<revision>` only once the snapshot is complete.
 */
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
import { ensureBlob, fetchMetadata } from "./download";
import { HubError } from "./errors";
import { RequestContext } from "./http";
import { RepoCache } from "./paths";
import { ProgressOption } from "./progress";

/** How a session talks to the hub. */
export interface SessionSettings {
  /** Hub URL without a trailing "/". */
  endpoint: string;
  /** Bearer token for the hub, if any. */
  token: string | undefined;
  /** Socket inactivity timeout, in milliseconds. */
  timeoutMs: number;
  /** Extra attempts per file after a network failure. */
  retries: number;
  /** Progress reporting (see ProgressOption). */
  progress: ProgressOption;
}

function retryable(err: unknown): boolean {
  if (!(err instanceof HubError)) return false;
  if (err.code === "NETWORK" || err.code === "TRUNCATED") return true;
  return err.code === "HTTP" && err.status !== undefined && (err.status >= 500 || err.status === 429);
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function encodePath(file: string): string {
  return file.split("/").map(encodeURIComponent).join("/");
}

/** One resolveHubModel call that goes to the network; `run()` returns the snapshot folder. */
export class SnapshotSession {
  /** Set once the hub answered a metadata request: later network errors are real failures, not "offline". */
  reachedHub = false;
  private commit: string | undefined;

  constructor(
    private readonly cache: RepoCache,
    private readonly revision: string,
    private readonly files: string[] | undefined,
    private readonly settings: SessionSettings,
  ) {}

  /** Downloads what is missing and returns the absolute snapshot folder. */
  async run(): Promise<string> {
    if (this.files !== undefined) {
      for (const file of this.files) {
        await this.fetch(file, true);
        if (isWeightsIndex(file)) await this.fetchShards(file);
      }
    } else {
      await this.fetch("config.json", true);
      if (!(await this.fetch(WEIGHTS_FILE, false))) {
        const found = await this.fetch(WEIGHTS_INDEX_FILE, false);
        if (!found) {
          throw new HubError(
            "NOT_FOUND",
            `Repository "${this.cache.repoId}" at revision "${this.revision}" has neither ${WEIGHTS_FILE} nor ${WEIGHTS_INDEX_FILE} ` +
              `(only safetensors weights are supported)`,
            404,
          );
        }
        await this.fetchShards(WEIGHTS_INDEX_FILE);
      }
      for (const file of OPTIONAL_FILES) await this.fetch(file, false);
    }
    const commit = this.commit!;
    await writeRef(this.cache, this.revision, commit);
    return this.cache.snapshot(commit);
  }

  /** True when the cache already holds a complete snapshot of the revision (used when the hub is unreachable). */
  private async cachedFallback(): Promise<boolean> {
    try {
      await cachedSnapshot(this.cache, this.revision, this.files, "");
      return true;
    } catch {
      return false;
    }
  }

  private async fetchShards(indexFile: string): Promise<void> {
    const text = await fs.promises.readFile(this.cache.snapshotFile(this.commit!, indexFile), "utf8");
    for (const shard of shardsFromIndex(text, indexFile, this.cache.repoId)) await this.fetch(shard, true);
  }

  /** Fetches one file into the snapshot, retrying network failures; false when an optional file does not exist. */
  private async fetch(file: string, required: boolean): Promise<boolean> {
    for (let attempt = 0; ; attempt++) {
      try {
        return await this.fetchOnce(file, required);
      } catch (err) {
        if (attempt >= this.settings.retries || !retryable(err)) throw err;
        if (!this.reachedHub && (await this.cachedFallback())) throw err; // resolveHubModel falls back at once
        await sleep(Math.min(200 * 2 ** attempt, 3_000));
      }
    }
  }

  private async fetchOnce(file: string, required: boolean): Promise<boolean> {
    const { endpoint, token, timeoutMs, progress } = this.settings;
    const ctx: RequestContext = {
      endpoint,
      repoId: this.cache.repoId,
      revision: this.revision,
      commit: this.commit,
      file,
      token,
      timeoutMs,
    };
    const at = encodeURIComponent(this.commit ?? this.revision);
    const url = `${endpoint}/${this.cache.repoId}/resolve/${at}/${encodePath(file)}`;
    const result = await fetchMetadata(url, ctx);
    this.reachedHub = true;
    if (!result.found) {
      if (required) throw result.error;
      const commit = this.commit ?? result.commit;
      if (commit !== undefined) await markMissing(this.cache, commit, file);
      return false;
    }
    const { meta } = result;
    if (this.commit === undefined) this.commit = meta.commit;
    else if (meta.commit !== this.commit) {
      throw new HubError(
        "PROTOCOL",
        `The hub answered for commit ${meta.commit} instead of ${this.commit} while fetching "${file}" (${url})`,
      );
    }
    await ensureBlob(this.cache, meta, { ...ctx, commit: meta.commit }, progress);
    await linkSnapshotFile(this.cache, meta.commit, file, meta.etag);
    return true;
  }
}
