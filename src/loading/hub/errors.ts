/**
 * The one error type the hub downloader throws, with a machine-readable code.
 */

/**
 * What went wrong, for callers that branch on it:
 * - `INVALID_ARGUMENT`: a bad repo id, revision or file name (checked before any network or file access);
 * - `UNAUTHORIZED` / `FORBIDDEN`: HTTP 401 / 403 (private or gated repository, missing or rejected token);
 * - `NOT_FOUND`: the repository, revision or a required file does not exist;
 * - `NETWORK`: the server could not be reached, timed out, or dropped the connection (partial data is kept);
 * - `TRUNCATED`: the response ended before the announced size;
 * - `INTEGRITY`: the downloaded content does not match the size or sha256 the hub announced (partial data is deleted);
 * - `OFFLINE`: offline mode and the cache does not hold what was asked for;
 * - `PROTOCOL`: the server answered in a way a Hugging Face hub would not (malformed answers, unsafe values);
 * - `IO`: the cache could not be written (disk full, permissions); a partial download is kept;
 * - `HTTP`: any other unexpected HTTP status.
 */
export type HubErrorCode =
  | "INVALID_ARGUMENT"
  | "UNAUTHORIZED"
  | "FORBIDDEN"
  | "NOT_FOUND"
  | "NETWORK"
  | "TRUNCATED"
  | "INTEGRITY"
  | "OFFLINE"
  | "PROTOCOL"
  | "IO"
  | "HTTP";

/** An error from resolving or downloading a Hugging Face model; `code` says which kind. */
export class HubError extends Error {
  /** The kind of failure. */
  readonly code: HubErrorCode;
  /** The HTTP status, when the failure was an HTTP answer. */
  readonly status: number | undefined;

  /** Creates an error; `status` is the HTTP status when there was one. */
  constructor(code: HubErrorCode, message: string, status?: number) {
    super(message);
    this.name = "HubError";
    this.code = code;
    this.status = status;
  }
}

/** Who asked, so that errors can name the repo, revision, commit and file. */
export interface RequestContext {
  /** The hub URL (for the repo page in gated-repo messages). */
  endpoint: string;
  repoId: string;
  /** The revision the caller asked for. */
  revision: string;
  /** The commit that revision resolved to, once known. */
  commit?: string;
  /** The file being fetched, if the request was for one. */
  file?: string;
  /** Whether a token was sent. */
  withToken: boolean;
}

/** What an HTTP error answer said (see HubFetch.lastFailure). */
export interface ErrorAnswer {
  url: string;
  status: number;
  /** X-Error-Code, when the hub sent one. */
  code?: string;
  /** X-Error-Message (or the body's error text), when there was one. */
  message?: string;
}

/**
 * Turns an HTTP error answer into a HubError that names the repo, revision, file and URL, and for
 * 401/403 says whether a token was sent and how to get access.
 */
export function answerError(answer: ErrorAnswer, ctx: RequestContext): HubError {
  const { status, code, url } = answer;
  const tail = ` (HTTP ${status}${code !== undefined ? ` ${code}` : ""}, ${url})${answer.message ? `: ${answer.message}` : ""}`;
  const repo = `"${ctx.repoId}"`;
  const tokenHint = ctx.withToken
    ? "the token that was sent does not grant access"
    : "no token was sent: set HF_TOKEN, log in with `hf auth login`, or pass options.token";
  const file = ctx.file !== undefined ? `"${ctx.file}" of ` : "";
  if (status === 401) {
    const what =
      code === "RepoNotFound" ? "was not found, or it is private or gated and" : "is private or gated and needs authentication;";
    return new HubError("UNAUTHORIZED", `Repository ${repo} ${what} ${tokenHint}${tail}`, status);
  }
  if (status === 403) {
    const kind = code === "GatedRepo" ? "is a gated model" : "is gated or private";
    return new HubError(
      "FORBIDDEN",
      `Access to ${file}${repo} is forbidden: it ${kind}. Request access on ${ctx.endpoint}/${ctx.repoId} and use a token of an account that has it; ${tokenHint}${tail}`,
      status,
    );
  }
  if (status === 404 && code === "RevisionNotFound") {
    return new HubError("NOT_FOUND", `Revision "${ctx.revision}" not found in repository ${repo}${tail}`, status);
  }
  if (status === 404 && (code === "RepoNotFound" || ctx.file === undefined)) {
    return new HubError("NOT_FOUND", `Repository ${repo} not found${tail}`, status);
  }
  if (status === 404) return new HubError("NOT_FOUND", `Required file ${file}${repo} not found at ${where(ctx)}${tail}`, status);
  return new HubError("HTTP", `Unexpected HTTP ${status} fetching ${file}${repo} at ${where(ctx)}${tail}`, status);
}

/** `revision "main" (commit abc…)` for messages. */
export function where(ctx: RequestContext): string {
  const commit = ctx.commit !== undefined && ctx.commit !== ctx.revision ? ` (commit ${ctx.commit})` : "";
  return `revision "${ctx.revision}"${commit}`;
}
