/** Polling waits for conditions, with messages that say what was awaited and what was last seen. */

export interface EventuallyOptions {
  /** What is awaited, for the timeout message. */
  what: string;
  timeoutMs?: number;
  intervalMs?: number;
  /** Stop waiting early (rethrowing the last error) when this returns true. */
  stopOn?: () => boolean;
  /** Describes the current state for the timeout message (e.g. the text that was there instead). */
  describe?: () => Promise<string> | string;
}

/**
 * Calls `probe` until it returns a value other than undefined/false and returns
 * that value. A probe that throws counts as "not yet"; its last error goes into
 * the timeout message.
 */
export async function eventually<T>(
  probe: () => Promise<T | undefined | false> | T | undefined | false,
  options: EventuallyOptions,
): Promise<T> {
  const { what, timeoutMs = 30_000, intervalMs = 200 } = options;
  const start = Date.now();
  const deadline = start + timeoutMs;
  let lastError: unknown;
  for (;;) {
    try {
      const value = await probe();
      if (value !== undefined && value !== false) return value;
      lastError = undefined;
    } catch (err) {
      lastError = err;
    }
    if (Date.now() >= deadline || options.stopOn?.()) break;
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
  const elapsed = Date.now() - start;
  let message =
    elapsed >= timeoutMs
      ? `timed out after ${timeoutMs} ms waiting for ${what}`
      : `gave up after ${elapsed} ms waiting for ${what}`;
  if (lastError !== undefined) message += `\n  last error: ${(lastError as Error)?.message ?? String(lastError)}`;
  if (options.describe) {
    try {
      message += `\n  state: ${await options.describe()}`;
    } catch (err) {
      message += `\n  (could not describe the state: ${(err as Error).message})`;
    }
  }
  throw new Error(message);
}
