/**
 * Progress of a long patching sweep: a one-line bar on stderr (redrawn with \r, as Jupyter
 * renders it), a caller's callback, or nothing. Redraws at most ten times a second.
 */

/** `true`/undefined: a bar on stderr when the sweep is long; `false`: silent; a function: called after every forward. */
export type PatchProgress = boolean | ((done: number, total: number) => void) | undefined;

/** Sweeps with at least this many patched runs show a bar by default. */
export const LONG_SWEEP_RUNS = 64;

/** Returns `report(done)`; the last call (done = total) ends the line. */
export function progressReporter(option: PatchProgress, label: string, total: number): (done: number) => void {
  if (typeof option === "function") return (done) => option(done, total);
  if (option === false || (option === undefined && total < LONG_SWEEP_RUNS)) return () => {};
  const started = Date.now();
  let last = 0;
  return (done) => {
    const now = Date.now();
    if (done < total && now - last < 100) return;
    last = now;
    const width = 24;
    const filled = Math.round((done / total) * width);
    const seconds = ((now - started) / 1000).toFixed(1);
    const line = `${label} [${"#".repeat(filled)}${".".repeat(width - filled)}] ${done}/${total} runs ${seconds} s`;
    process.stderr.write(`\r${line}${done === total ? "\n" : ""}`);
  };
}
