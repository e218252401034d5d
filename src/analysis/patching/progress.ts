/**
 * Progress of a long patching sweep: a one-line bar on stderr (redrawn with \r, as Jupyter
 * renders it), a caller's callback, or nothing. Redraws at most ten times a second.
 */
import { describeValue } from "../../model/hooks";
import { tf } from "../../tensor";

/** `true`/undefined: a bar on stderr when the sweep is long; `false`: silent; a function: called after every forward. */
export type PatchProgress = boolean | ((done: number, total: number) => void) | undefined;

/** Sweeps with at least this many patched runs show a bar by default. */
export const LONG_SWEEP_RUNS = 64;

/** Returns `report(done)`; the last call (done = total) ends the line. */
export function progressReporter(option: PatchProgress, label: string, total: number): (done: number) => void {
  if (typeof option === "function") {
    // The callback is the caller's code: tensors it makes (before any await of its own) are freed after each call.
    return (done) => {
      tf.engine().startScope();
      try {
        option(done, total);
      } finally {
        tf.engine().endScope();
      }
    };
  }
  if (option !== undefined && typeof option !== "boolean")
    throw new Error(`progress must be true, false or a (done, total) => void callback, got ${describeValue(option)}`);
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
