/**
 * The `fetch` that tslens hands to @huggingface/hub: it adds the token (to the hub's own origin
 * only; fetch drops it on redirects to another origin; Xet's storage gets the package's read token), asks for uncompressed bodies (so that byte
 * offsets match the file for resuming), aborts a request or body that sends nothing for
 * `timeoutMs`, turns connection failures into `NETWORK` HubErrors naming the URL, remembers the
 * last error answer's headers (the package's own errors drop X-Error-Code), and makes a server
 * that ignores a `Range: bytes=N-` request look as if it had honoured it.
 */
import { HubApiError } from "@huggingface/hub";
import { answerError, ErrorAnswer, HubError, RequestContext } from "./errors";

const USER_AGENT = `tslens/0.1 (node ${process.versions.node})`;

/**
 * How many bytes to drop from a 200 answer to `Range: bytes=S-E`: S when the answer is exactly the
 * whole file up to E (a server that ignored the range), else 0 (a 200 with other content, such as
 * Xet's reconstruction JSON, whose Range is a parameter, is left alone).
 */
function ignoredRangeSkip(request: Headers, res: Response): number {
  const match = /^bytes=(\d+)-(\d+)$/.exec(request.get("range") ?? "");
  if (res.status !== 200 || match === null) return 0;
  return Number(res.headers.get("content-length")) === Number(match[2]) + 1 ? Number(match[1]) : 0;
}

/** A body that drops its first `skip` bytes and whose chunks reset the inactivity timer. */
function watchedBody(body: ReadableStream<Uint8Array>, skip: number, onChunk: () => void, onEnd: () => void) {
  let toSkip = skip;
  return body.pipeThrough(
    new TransformStream<Uint8Array, Uint8Array>({
      transform(chunk, out) {
        onChunk();
        if (toSkip >= chunk.length) {
          toSkip -= chunk.length;
          return;
        }
        out.enqueue(toSkip > 0 ? chunk.subarray(toSkip) : chunk);
        toSkip = 0;
      },
      flush: onEnd,
    }),
  );
}

/** One downloader's HTTP client; pass `hubFetch.fetch` to @huggingface/hub's functions. */
export class HubFetch {
  /** True once any HTTP answer arrived (the hub is reachable). */
  reached = false;
  /** The most recent non-2xx answer. */
  lastFailure: ErrorAnswer | undefined;
  /** The most recent error this client threw or put into a body (network, timeout). */
  lastError: HubError | undefined;
  /** The URL of the most recent answer (after redirects: a CDN's URL for large files). */
  lastUrl: string | undefined;

  constructor(
    private readonly endpoint: string,
    private readonly token: string | undefined,
    private readonly timeoutMs: number,
  ) {}

  /**
   * The HubError behind an error that came out of the package, when it came from HTTP: our own
   * HubErrors, the package's HubApiError (with the X-Error-Code it drops), and the message string a
   * failed download stream is aborted with. Undefined for anything else.
   */
  explain(raw: unknown, ctx: RequestContext): HubError | undefined {
    if (raw instanceof HubError) return raw;
    const failure = this.lastFailure;
    if (raw instanceof HubApiError) {
      return answerError(failure?.status === raw.statusCode ? failure : { url: raw.url, status: raw.statusCode }, ctx);
    }
    if (typeof raw !== "string") return undefined;
    if (failure !== undefined && raw.includes(`URL: ${failure.url}`)) return answerError(failure, ctx);
    return this.lastError?.message === raw ? this.lastError : undefined;
  }

  /** The fetch function (bound). */
  readonly fetch = (input: string | URL | Request, init?: RequestInit): Promise<Response> =>
    this.request(input instanceof Request ? input.url : String(input), init ?? {});

  private async request(url: string, init: RequestInit): Promise<Response> {
    const headers = new Headers(init.headers);
    headers.set("User-Agent", USER_AGENT);
    headers.set("Accept-Encoding", "identity");
    if (new URL(url).origin === new URL(this.endpoint).origin) {
      headers.delete("Authorization"); // the hub gets our token; other origins keep the package's own (Xet's read token)
      if (this.token !== undefined) headers.set("Authorization", `Bearer ${this.token}`);
    }
    const controller = new AbortController();
    let timer: NodeJS.Timeout | undefined;
    let current = url;
    const arm = () => {
      clearTimeout(timer);
      timer = setTimeout(() => {
        this.lastError = new HubError("NETWORK", `Network error fetching ${current}: no data for ${this.timeoutMs} ms`);
        controller.abort(this.lastError);
      }, this.timeoutMs);
      timer.unref(); // a body nobody reads must not keep the process alive
    };
    const signal = init.signal ? AbortSignal.any([init.signal, controller.signal]) : controller.signal;
    arm();
    let res: Response;
    try {
      res = await fetch(url, { ...init, headers, signal });
    } catch (err) {
      clearTimeout(timer);
      if (err instanceof HubError) throw err;
      const cause = (err as { cause?: { code?: string; message?: string } }).cause;
      const detail = cause?.message ?? (err as Error).message;
      this.lastError = new HubError(
        "NETWORK",
        `Network error fetching ${url}: ${detail}${cause?.code ? ` (${cause.code})` : ""}`,
      );
      throw this.lastError;
    }
    this.reached = true;
    current = this.lastUrl = res.url || url;
    if (!res.ok) {
      this.lastFailure = {
        url: current,
        status: res.status,
        code: res.headers.get("x-error-code") ?? undefined,
        message: res.headers.get("x-error-message") ?? undefined,
      };
    }
    const skip = ignoredRangeSkip(headers, res);
    if (res.body === null) {
      clearTimeout(timer);
      return res;
    }
    const body = watchedBody(res.body, skip, arm, () => clearTimeout(timer));
    const status = skip > 0 ? 206 : res.status;
    const answer = new Response(body, { status, statusText: res.statusText, headers: res.headers });
    Object.defineProperty(answer, "url", { value: current });
    return answer;
  }
}
