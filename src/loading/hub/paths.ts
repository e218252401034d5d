/**
 * Names and places: validation of repo ids, revisions and file names (before any
 * network or file access), the environment defaults huggingface_hub uses, and the
 * cache layout `<cacheDir>/models--<org>--<name>/{blobs,refs,snapshots,.no_exist}`.
 */
import * as os from "os";
import * as path from "path";
import { HubError } from "./errors";

/** Default hub when neither `options.endpoint` nor HF_ENDPOINT is set. */
export const DEFAULT_ENDPOINT = "https://huggingface.co";

const SAFE_CHARS = /^[A-Za-z0-9._-]+$/;
const REPO_PART = /^[A-Za-z0-9_](?:[A-Za-z0-9._-]*[A-Za-z0-9_])?$/;
const COMMIT = /^[0-9a-f]{40}$/;
const MAX_REPO_PART = 96;

function invalid(what: string, value: unknown, reason: string, expected: string): HubError {
  return new HubError("INVALID_ARGUMENT", `Invalid ${what} ${JSON.stringify(value)}: ${reason}. ${expected}`);
}

/**
 * Checks a Hugging Face model id and returns it: exactly `name` or `org/name`, each part made of
 * letters, digits, ".", "_" and "-" (starting and ending with a letter, digit or "_"), no "..",
 * no "--" (the cache folder uses it as separator), not absolute, no backslashes.
 * Throws a HubError (`INVALID_ARGUMENT`) naming the id otherwise.
 */
export function validateRepoId(repoId: unknown): string {
  const expected = 'Expected "name" or "org/name" made of letters, digits, ".", "_" and "-".';
  const fail = (reason: string) => invalid("Hugging Face repo id", repoId, reason, expected);
  if (typeof repoId !== "string") throw fail("not a string");
  if (repoId === "") throw fail("it is empty");
  if (repoId.includes("\\")) throw fail("backslashes are not allowed");
  if (repoId.startsWith("/") || /^[A-Za-z]:/.test(repoId)) throw fail("it is an absolute path");
  if (repoId.includes("..")) throw fail('".." is not allowed');
  const parts = repoId.split("/");
  if (parts.length > 2) throw fail(`it has ${parts.length} parts separated by "/"`);
  if (parts.some((p) => p === "")) throw fail("it has an empty part");
  if (repoId.includes("--")) throw fail('"--" is not allowed');
  for (const part of parts) {
    if (!SAFE_CHARS.test(part)) throw fail(`"${part}" contains characters other than letters, digits, ".", "_" and "-"`);
    if (!REPO_PART.test(part)) throw fail(`"${part}" must start and end with a letter, digit or "_"`);
    if (part.length > MAX_REPO_PART) throw fail(`"${part}" is longer than ${MAX_REPO_PART} characters`);
  }
  return repoId;
}

/** Checks a "/"-separated relative path whose parts are safe file names; shared by revisions and file names. */
function relativePathProblem(value: string): string | undefined {
  if (value === "") return "it is empty";
  if (value.length > 1000) return "it is too long";
  if (value.includes("\\")) return "backslashes are not allowed";
  if (value.startsWith("/") || /^[A-Za-z]:/.test(value)) return "it is an absolute path";
  if (value.includes("..")) return '".." is not allowed';
  const parts = value.split("/");
  if (parts.some((p) => p === "")) return "it has an empty part";
  if (parts.some((p) => p === ".")) return '"." parts are not allowed';
  if (parts.some((p) => !SAFE_CHARS.test(p))) return 'only letters, digits, ".", "_", "-" and "/" are allowed';
  return undefined;
}

/**
 * Checks a revision (branch, tag, `refs/pr/1`, or a commit sha) and returns it: a relative
 * "/"-separated path of safe parts, no "..", no empty or "." parts, not absolute, no backslashes.
 * Throws a HubError (`INVALID_ARGUMENT`) naming the revision otherwise.
 */
export function validateRevision(revision: unknown): string {
  const expected = 'Expected a branch, tag or commit such as "main", "v1.0", "refs/pr/1".';
  if (typeof revision !== "string") throw invalid("revision", revision, "not a string", expected);
  const problem = relativePathProblem(revision);
  if (problem !== undefined) throw invalid("revision", revision, problem, expected);
  return revision;
}

/**
 * Checks a file name inside a repository (from the caller or from an index json) and returns it:
 * a relative "/"-separated path of safe parts that cannot escape the snapshot folder.
 * `source` says where the name came from, for the error message.
 */
export function validateFileName(file: unknown, source = "file name"): string {
  const expected = 'Expected a relative path inside the repository such as "config.json".';
  if (typeof file !== "string") throw invalid(source, file, "not a string", expected);
  const problem = relativePathProblem(file);
  if (problem !== undefined) throw invalid(source, file, problem, expected);
  return file;
}

/** True for a full 40-hex git commit sha (what X-Repo-Commit carries and snapshots/ is keyed by). */
export function isCommitHash(value: string): boolean {
  return COMMIT.test(value);
}

function expandHome(p: string): string {
  if (p === "~") return os.homedir();
  if (p.startsWith("~/")) return path.join(os.homedir(), p.slice(2));
  return p;
}

function nonEmpty(value: string | undefined): string | undefined {
  return value === undefined || value === "" ? undefined : value;
}

/** $HF_HOME, else $XDG_CACHE_HOME/huggingface, else ~/.cache/huggingface (as huggingface_hub does). */
export function hfHome(env: NodeJS.ProcessEnv = process.env): string {
  const home = nonEmpty(env.HF_HOME);
  if (home !== undefined) return path.resolve(expandHome(home));
  const xdg = nonEmpty(env.XDG_CACHE_HOME);
  return path.resolve(expandHome(xdg ?? "~/.cache"), "huggingface");
}

/** The hub cache folder: HF_HUB_CACHE (or the older HUGGINGFACE_HUB_CACHE), else `<hfHome()>/hub`. */
export function defaultCacheDir(env: NodeJS.ProcessEnv = process.env): string {
  const explicit = nonEmpty(env.HF_HUB_CACHE) ?? nonEmpty(env.HUGGINGFACE_HUB_CACHE);
  if (explicit !== undefined) return path.resolve(expandHome(explicit));
  return path.join(hfHome(env), "hub");
}

/** HF_ENDPOINT or https://huggingface.co, checked to be an http(s) URL, without a trailing "/". */
export function resolveEndpoint(endpoint: string | undefined, env: NodeJS.ProcessEnv = process.env): string {
  const value = endpoint ?? nonEmpty(env.HF_ENDPOINT) ?? DEFAULT_ENDPOINT;
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new HubError("INVALID_ARGUMENT", `Invalid hub endpoint ${JSON.stringify(value)}: not a URL`);
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") {
    throw new HubError("INVALID_ARGUMENT", `Invalid hub endpoint ${JSON.stringify(value)}: only http and https are supported`);
  }
  return value.replace(/\/+$/, "");
}

/** True when HF_HUB_OFFLINE (or TRANSFORMERS_OFFLINE) is 1/true/yes/on, as huggingface_hub reads it. */
export function offlineFromEnv(env: NodeJS.ProcessEnv = process.env): boolean {
  const value = nonEmpty(env.HF_HUB_OFFLINE) ?? nonEmpty(env.TRANSFORMERS_OFFLINE) ?? "";
  return ["1", "ON", "YES", "TRUE"].includes(value.toUpperCase());
}

/** The cache folder name huggingface_hub uses for a model: `models--org--name` (or `models--name`). */
export function repoFolderName(repoId: string): string {
  return ["models", ...repoId.split("/")].join("--");
}

/** Paths inside one repository's cache folder. All inputs must already be validated. */
export class RepoCache {
  /** `<cacheDir>/models--org--name`. */
  readonly root: string;
  /** Where this module's cross-process lock files go: `<cacheDir>/.locks/models--org--name`. */
  readonly locks: string;

  /** Paths for `repoId` (validated) under `cacheDir` (absolute). */
  constructor(
    readonly cacheDir: string,
    readonly repoId: string,
  ) {
    this.root = path.join(cacheDir, repoFolderName(repoId));
    this.locks = path.join(cacheDir, ".locks", repoFolderName(repoId));
  }

  /** `blobs/<etag>`: the verified content. */
  blob(etag: string): string {
    return path.join(this.root, "blobs", etag);
  }

  /** `blobs/<etag>.incomplete`: a download in progress (kept for resuming). */
  incomplete(etag: string): string {
    return this.blob(etag) + ".incomplete";
  }

  /** `snapshots/<commit>`: the folder resolveHubModel returns. */
  snapshot(commit: string): string {
    return path.join(this.root, "snapshots", commit);
  }

  /** `snapshots/<commit>/<file>`: a symlink to the blob. */
  snapshotFile(commit: string, file: string): string {
    return path.join(this.snapshot(commit), ...file.split("/"));
  }

  /** `refs/<revision>`: a file holding the commit the revision pointed at. */
  ref(revision: string): string {
    return path.join(this.root, "refs", ...revision.split("/"));
  }

  /** `.no_exist/<commit>/<file>`: an empty marker saying the file does not exist at that commit. */
  noExist(commit: string, file: string): string {
    return path.join(this.root, ".no_exist", commit, ...file.split("/"));
  }

  /** `.locks/models--org--name/<etag>.tslens.lock`: held while one process downloads that blob. */
  lock(etag: string): string {
    return path.join(this.locks, `${etag}.tslens.lock`);
  }
}
