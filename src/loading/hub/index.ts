/**
 * Hugging Face hub downloads into a cache laid out like huggingface_hub's own
 * (`<cacheDir>/models--<org>--<name>/{blobs,refs,snapshots}`), so that a model downloaded
 * once loads offline afterwards and the cache is shared with Python tools. The hub's API and the
 * transfers (plain HTTP or Xet storage) go through @huggingface/hub; tslens adds the checks,
 * resuming, locking, offline mode and progress around it (see snapshot.ts and download.ts).
 *
 *   const dir = await resolveHubModel("HuggingFaceTB/SmolLM2-135M");
 *   // dir/config.json, dir/model.safetensors, dir/tokenizer.json, ...
 */
import { listFiles } from "@huggingface/hub";
import * as fs from "fs";
import * as path from "path";
import { cachedSnapshot, missingFiles } from "./cache";
import { HubError } from "./errors";
import { HubFetch } from "./fetch";
import {
  defaultCacheDir,
  hfHome,
  isCommitHash,
  offlineFromEnv,
  RepoCache,
  resolveEndpoint,
  validateFileName,
  validateRepoId,
  validateRevision,
} from "./paths";
import { HubProgress, ProgressOption } from "./progress";
import { SnapshotSession } from "./snapshot";

export { HubError } from "./errors";
export type { HubErrorCode } from "./errors";
export type { HubProgress, ProgressOption } from "./progress";
export { OPTIONAL_FILES, WEIGHTS_FILE, WEIGHTS_INDEX_FILE } from "./cache";
export { defaultCacheDir, repoFolderName, validateRepoId, validateRevision, validateFileName } from "./paths";

/** Options of resolveHubModel; every one has a default. */
export interface ResolveHubModelOptions {
  /** Branch, tag or commit sha. Default "main". */
  revision?: string;
  /** Hub cache folder. Default: HF_HUB_CACHE, else $HF_HOME/hub, else ~/.cache/huggingface/hub. */
  cacheDir?: string;
  /** Hub URL. Default: HF_ENDPOINT, else https://huggingface.co. */
  endpoint?: string;
  /**
   * Exactly these files, all required (an `*.safetensors.index.json` among them brings its shards).
   * Default: config.json and the weights (required) plus the tokenizer and generation files that exist.
   */
  files?: string[];
  /** Default: a progress bar per file on stderr. `false`: silent. A function: receives the reports instead. */
  progress?: ((progress: HubProgress) => void) | false;
  /** Use only the cache, never the network. Default: true when HF_HUB_OFFLINE=1. */
  offline?: boolean;
  /** Access token for private or gated repos. Default: HF_TOKEN, else the token file `hf auth login` wrote. `false`: none. */
  token?: string | false;
  /** How many times a file whose download failed on the network is retried (resuming). Default 3. */
  retries?: number;
  /** Inactivity timeout of each request, in milliseconds (no answer or no body data for that long). Default 30000. */
  timeoutMs?: number;
}

const DEFAULT_RETRIES = 3;
const DEFAULT_TIMEOUT_MS = 30_000;

/** The token to send: the option, else HF_TOKEN / HUGGING_FACE_HUB_TOKEN, else the token file, else none. */
function resolveToken(option: string | false | undefined): string | undefined {
  if (option === false) return undefined;
  if (typeof option === "string") return option === "" ? undefined : option;
  const fromEnv = process.env.HF_TOKEN || process.env.HUGGING_FACE_HUB_TOKEN;
  if (fromEnv) return fromEnv;
  try {
    const token = fs.readFileSync(process.env.HF_TOKEN_PATH || path.join(hfHome(), "token"), "utf8").trim();
    return token === "" ? undefined : token;
  } catch {
    return undefined;
  }
}

/**
 * Downloads (or finds in the cache) a Hugging Face model and returns the absolute path of its
 * snapshot folder `<cacheDir>/models--<org>--<name>/snapshots/<commit>`, which holds config.json,
 * the weights (model.safetensors, or model.safetensors.index.json and its shards) and the tokenizer
 * files the repository has. The repo id, revision and file names are validated before any network
 * or file access. Downloads are atomic and resumable, checked against the size and sha256 the hub
 * announces, and shared safely between concurrent calls. `refs/<revision>` is written last, once
 * the snapshot is complete. Offline (option or HF_HUB_OFFLINE=1) only the cache is used; online,
 * if the hub cannot be reached at all, a complete cached snapshot of the revision is used instead.
 * Throws HubError (see HubErrorCode) with a message naming the repo, revision, file or URL.
 */
export async function resolveHubModel(repoId: string, options: ResolveHubModelOptions = {}): Promise<string> {
  validateRepoId(repoId);
  const revision = validateRevision(options.revision ?? "main");
  const files = options.files?.map((file) => validateFileName(file));
  if (files !== undefined && files.length === 0) throw new HubError("INVALID_ARGUMENT", `options.files for "${repoId}" is empty`);
  const endpoint = resolveEndpoint(options.endpoint);
  const cache = new RepoCache(path.resolve(options.cacheDir ?? defaultCacheDir()), repoId);
  const progress: ProgressOption = options.progress;

  if (options.offline ?? offlineFromEnv()) {
    const why = options.offline === true ? "Offline (options.offline)" : "Offline mode (HF_HUB_OFFLINE=1)";
    return cachedSnapshot(cache, revision, files, why);
  }
  if (isCommitHash(revision) && (await missingFiles(cache, revision, files).catch(() => ["?"])).length === 0) {
    return cache.snapshot(revision);
  }

  const session = new SnapshotSession(cache, revision, files, {
    endpoint,
    token: resolveToken(options.token),
    timeoutMs: options.timeoutMs ?? DEFAULT_TIMEOUT_MS,
    retries: Math.max(0, options.retries ?? DEFAULT_RETRIES),
    progress,
  });
  try {
    return await session.run();
  } catch (err) {
    if (session.reachedHub || !(err instanceof HubError) || err.code !== "NETWORK") throw err;
    let cached: string;
    try {
      cached = await cachedSnapshot(cache, revision, files, "Hub unreachable");
    } catch {
      throw err;
    }
    if (progress !== false) process.stderr.write(`tslens: ${err.message}; using the cached snapshot ${cached}\n`);
    return cached;
  }
}

/** Options of listHubFiles; the same meaning and defaults as in resolveHubModel. */
export type ListHubFilesOptions = Pick<ResolveHubModelOptions, "revision" | "endpoint" | "token" | "timeoutMs">;

/** At most this many files are listed (a few pages of the hub's tree listing). */
export const MAX_LISTED_FILES = 10_000;

/**
 * The paths of the files in a hub repository at a revision (the hub's recursive tree listing), sorted; `complete`
 * is false when the repository has more than MAX_LISTED_FILES and only those were listed. Always online, no retries
 * (meant for explaining what a repository holds). Throws HubError as resolveHubModel does (repo or revision not
 * found, unauthorized, network).
 */
export async function listHubFiles(
  repoId: string,
  options: ListHubFilesOptions = {},
): Promise<{ files: string[]; complete: boolean }> {
  validateRepoId(repoId);
  const revision = validateRevision(options.revision ?? "main");
  const endpoint = resolveEndpoint(options.endpoint);
  const token = resolveToken(options.token);
  const http = new HubFetch(endpoint, token, options.timeoutMs ?? DEFAULT_TIMEOUT_MS);
  const files: string[] = [];
  try {
    const entries = listFiles({
      repo: repoId,
      revision: encodeURIComponent(revision),
      recursive: true,
      hubUrl: endpoint,
      fetch: http.fetch,
    });
    for await (const entry of entries) {
      if (entry.type !== "file") continue;
      if (files.length === MAX_LISTED_FILES) return { files: files.sort(), complete: false };
      files.push(entry.path);
    }
  } catch (err) {
    const explained = http.explain(err, { endpoint, repoId, revision, withToken: token !== undefined });
    if (explained !== undefined) throw explained;
    const message = err instanceof Error ? err.message : String(err);
    throw new HubError(
      "PROTOCOL",
      `Unusable file listing from ${endpoint} for "${repoId}" at revision "${revision}": ${message}`,
    );
  }
  return { files: files.sort(), complete: true };
}
