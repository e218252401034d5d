/**
 * The words and numbers of a progress line: counts ("1234/4096 runs", "120.3/268.4 MB"),
 * durations ("3.2 s", "4 min 05 s") and the time left at the rate seen so far.
 */

/** What is counted: patched runs, downloaded bytes (shown in MB), or any plural noun. */
export type ProgressUnit = "runs" | "bytes" | (string & {});

/** A duration in seconds as people read it: "0.4 s", "12 s", "4 min 05 s", "1 h 02 min". */
export function formatSeconds(seconds: number): string {
  if (!Number.isFinite(seconds) || seconds < 0) return "?";
  if (seconds < 10) return `${seconds.toFixed(1)} s`;
  if (seconds < 60) return `${Math.round(seconds)} s`;
  const whole = Math.round(seconds);
  if (whole < 3600) return `${Math.floor(whole / 60)} min ${String(whole % 60).padStart(2, "0")} s`;
  const minutes = Math.round(seconds / 60);
  return `${Math.floor(minutes / 60)} h ${String(minutes % 60).padStart(2, "0")} min`;
}

const megabytes = (bytes: number) => (bytes / 1e6).toFixed(1);

/** "1234/4096 runs", "120.3/268.4 MB"; without a total: "1234 runs", "120.3 MB". */
export function formatCount(done: number, total: number | undefined, unit: ProgressUnit): string {
  if (unit === "bytes") return total === undefined ? `${megabytes(done)} MB` : `${megabytes(done)}/${megabytes(total)} MB`;
  return total === undefined ? `${done} ${unit}` : `${done}/${total} ${unit}`;
}

/** The amount `done` in `unit` without a total, as a finished line names it: "4096 runs", "268.4 MB". */
export function formatAmount(done: number, unit: ProgressUnit): string {
  return formatCount(done, undefined, unit);
}

/**
 * Units per second since the first report (`since`: its time in ms and its count), so work done at once
 * before it (runs a patch does not change, bytes resumed from an earlier download) does not count.
 * Undefined until there is a rate to go by.
 */
export function ratePerSecond(since: { at: number; done: number }, now: number, done: number): number | undefined {
  if (done <= since.done || now <= since.at) return undefined;
  return ((done - since.done) * 1000) / (now - since.at);
}

/** Seconds left for the rest of `total` at `perSecond`; undefined without a total or a rate. */
export function secondsLeft(done: number, total: number | undefined, perSecond: number | undefined): number | undefined {
  if (total === undefined || perSecond === undefined || perSecond <= 0 || done >= total) return undefined;
  return (total - done) / perSecond;
}

/** The numbers beside a running bar: "1234/4096 runs · 3.1 s · 7.2 s left" (bytes add the speed, in units per second). */
export function runningLine(options: {
  done: number;
  total: number | undefined;
  unit: ProgressUnit;
  elapsedSeconds: number;
  leftSeconds: number | undefined;
  perSecond: number | undefined;
}): string {
  const { done, total, unit, elapsedSeconds, leftSeconds, perSecond } = options;
  const parts = [formatCount(done, total, unit)];
  if (unit === "bytes" && perSecond !== undefined) parts.push(`${megabytes(perSecond)} MB/s`);
  parts.push(formatSeconds(elapsedSeconds));
  if (leftSeconds !== undefined) parts.push(`${formatSeconds(leftSeconds)} left`);
  return parts.join(" · ");
}
