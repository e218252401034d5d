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
 * - `PROTOCOL`: the server answered in a way a Hugging Face hub would not (missing headers, bad redirects, unsafe values);
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
