/**
 * Progress of a long patching sweep, and how it stops early. In a notebook cell of the tslens kernel
 * the sweep shows a progress bar widget with a Cancel button in that cell; elsewhere a one-line bar
 * on stderr (redrawn with \r, at most ten times a second); or a caller's callback, or nothing.
 * Between batches the sweep yields to the event loop, so the kernel can take the click (a comm
 * message) while it runs; a click, or Jupyter's interrupt of the cell, stops it there.
 */
import { describeValue } from "../../model/hooks";
import { tf } from "../../tensor";
import type { ProgressBar } from "../../views/progress/progressBar";
import { runningCell, showProgressBar } from "../../views/progress/show";
import { breathe } from "./run";

/** `true`/undefined: a bar when the sweep is long (a widget in a notebook cell, else on stderr); `false`: silent; a function: called after every forward. */
export type PatchProgress = boolean | ((done: number, total: number) => void) | undefined;

/** Sweeps with at least this many patched runs show a bar by default. */
export const LONG_SWEEP_RUNS = 64;

/** What a sweep stopped by its Cancel button or by an interrupt rejects with. */
export class SweepCancelledError extends Error {
  override name = "SweepCancelledError";

  constructor(
    message: string,
    /** Runs finished before the sweep stopped. */
    readonly done: number,
    /** Runs of the whole sweep. */
    readonly total: number,
  ) {
    super(message);
    // A stop the user asked for, not a fault: the message is the whole story, without the sweep's frames.
    this.stack = `${this.name}: ${message}`;
  }
}

/** What the sweep calls as it goes. */
export interface SweepProgress {
  /**
   * `done` runs are finished: reports them, lets the event loop run (kernel messages, redraws), and
   * throws SweepCancelledError if the sweep was cancelled or its cell interrupted (unless it is complete).
   */
  step(done: number): Promise<void>;
  /** Every run is finished. */
  finish(): void;
  /** The sweep stopped with `error` (its bar says so). */
  fail(error: unknown): void;
}

/** Throws unless `option` is a valid `progress` option. */
function checkOption(option: PatchProgress): void {
  if (option !== undefined && typeof option !== "boolean" && typeof option !== "function")
    throw new Error(`progress must be true, false or a (done, total) => void callback, got ${describeValue(option)}`);
}

/** Calls the caller's callback; tensors it makes (before any await of its own) are freed after each call. */
function callbackReporter(callback: (done: number, total: number) => void, total: number): (done: number) => void {
  return (done) => {
    tf.engine().startScope();
    try {
      callback(done, total);
    } finally {
      tf.engine().endScope();
    }
  };
}

/** A one-line bar on stderr, redrawn at most ten times a second; `end()` ends its line. */
function textBar(label: string, total: number, unit: string): { report: (done: number) => void; end: () => void } {
  const started = Date.now();
  let last = 0;
  let open = false;
  const report = (done: number) => {
    const now = Date.now();
    if (done < total && now - last < 100) return;
    last = now;
    const width = 24;
    const filled = Math.round((done / total) * width);
    const seconds = ((now - started) / 1000).toFixed(1);
    const line = `${label} [${"#".repeat(filled)}${".".repeat(width - filled)}] ${done}/${total} ${unit} ${seconds} s`;
    process.stderr.write(`\r${line}${done === total ? "\n" : ""}`);
    open = done < total;
  };
  const end = () => {
    if (open) process.stderr.write("\n");
    open = false;
  };
  return { report, end };
}

/**
 * The progress of a sweep of `total` steps named `label` ("patching resid_pre"), counted in `unit` ("runs" of the
 * model, or "batches" of a corpus). Long sweeps (or `true`) show a bar: a widget in a notebook cell, text on stderr
 * elsewhere. The sweep stops at its next step when the widget's Cancel is clicked or the cell is interrupted, whatever
 * `option` says.
 */
export function sweepProgress(option: PatchProgress, label: string, total: number, unit = "runs"): SweepProgress {
  checkOption(option);
  const cell = runningCell();
  const shown = option === true || (option === undefined && total >= LONG_SWEEP_RUNS);
  const widget: ProgressBar | undefined = shown ? showProgressBar({ label, total, unit, cancellable: true }) : undefined;
  const text = shown && !widget ? textBar(label, total, unit) : undefined;
  const report =
    typeof option === "function" ? callbackReporter(option, total) : widget ? (n: number) => widget.update(n) : text?.report;
  let done = 0;
  return {
    async step(now) {
      done = now;
      report?.(now);
      await breathe();
      if (now >= total) return;
      const why = widget?.cancelRequested ? "cancelled" : cell?.interrupted ? "interrupted" : undefined;
      if (why) throw new SweepCancelledError(`${label} sweep ${why} after ${now} of ${total} ${unit}`, now, total);
    },
    finish() {
      widget?.finish(total);
      text?.end();
    },
    fail(error) {
      const message =
        error instanceof SweepCancelledError ? error.message : `${label} sweep failed after ${done} of ${total} ${unit}`;
      widget?.stop(message.replace(`${label} sweep `, ""));
      text?.end();
    },
  };
}
