/**
 * A progress bar in a notebook cell, updated in place as tqdm's notebook bar is: what runs, a
 * bar, the counts, the time so far and the time left, and — for work that can stop — a cancel
 * button. It is made of ipywidgets' standard controls (HBox, FloatProgress, Label, Button), so
 * every frontend draws it, in its own theme, with no extension of ours.
 */
import { MIME_BUNDLE_KEY } from "../../common/host";
import type { MimeBundle } from "../../common/host";
import { HBox } from "../../controls/box";
import { Button } from "../../controls/button";
import { FloatProgress, Label } from "../../controls/progress";
import { formatAmount, formatCount, formatSeconds, ProgressUnit, ratePerSecond, runningLine, secondsLeft } from "./format";

/** Options of a ProgressBar. */
export interface ProgressBarOptions {
  /** What runs, shown left of the bar: "patching resid_pre", "downloading model.safetensors". */
  label: string;
  /** How many units make the whole; undefined when not known (the bar then stays empty, the counts still grow). */
  total?: number;
  /** What is counted (default "steps"); "bytes" are shown in MB with the speed. */
  unit?: ProgressUnit;
  /** Shows a Cancel button; `cancelRequested` turns true when it is clicked (default false). */
  cancellable?: boolean;
  /** Least time between two redraws, in ms (default 100: at most ten updates a second). */
  intervalMs?: number;
  /** The clock, in ms (default Date.now); tests pass their own. */
  now?: () => number;
}

/** Least time between two redraws by default, in ms. */
export const PROGRESS_REDRAW_MS = 100;

/** The Cancel button: a click only records the request (the work stops itself at its next check). */
class CancelButton extends Button {
  requested = false;

  constructor() {
    super({
      description: "Cancel",
      icon: "stop",
      tooltip: "Stop at the next check: the cell then ends with an error saying how far it got",
      layout: { width: "auto", flex: "0 0 auto" },
    });
  }

  /** Records the request and shows it on the button. */
  request(): void {
    if (this.requested || this.closed) return;
    this.requested = true;
    this.set({ description: "Cancelling…", disabled: true });
  }

  protected override handleCustom(content: unknown): void {
    if ((content as { event?: unknown } | null)?.event === "click") this.request();
  }
}

/** A progress bar shown in a cell; `update` redraws it in place, `finish` or `stop` leaves its last line. */
export class ProgressBar {
  /** The widget the cell shows. */
  readonly box: HBox;
  private readonly bar: FloatProgress;
  private readonly info: Label;
  private readonly cancelButton: CancelButton | undefined;
  private readonly label: string;
  private readonly total: number | undefined;
  private readonly unit: ProgressUnit;
  private readonly intervalMs: number;
  private readonly now: () => number;
  private readonly startedAt: number;
  /** Time and count of the first report: the rate is measured from there. */
  private first: { at: number; done: number } | undefined;
  private lastDrawnAt = -Infinity;
  private done = 0;
  private ended = false;

  constructor(options: ProgressBarOptions) {
    const { label, total, unit = "steps", cancellable = false, intervalMs = PROGRESS_REDRAW_MS, now = Date.now } = options;
    if (typeof label !== "string") throw new Error(`ProgressBar needs a string label, got ${typeof label}`);
    if (total !== undefined && !(Number.isFinite(total) && total >= 0))
      throw new Error(`ProgressBar total must be a non-negative number or undefined, got ${total}`);
    this.label = label;
    this.total = total;
    this.unit = unit;
    this.intervalMs = intervalMs;
    this.now = now;
    this.startedAt = now();
    this.bar = new FloatProgress({
      description: label,
      value: 0,
      min: 0,
      max: total && total > 0 ? total : 1,
      style: { descriptionWidth: "initial" },
      layout: { flex: "1 1 auto", minWidth: "120px", maxWidth: "480px" },
    });
    this.info = new Label({
      value: formatCount(0, total, unit),
      layout: { margin: "0 8px", flex: "0 1 auto" },
    });
    this.cancelButton = cancellable ? new CancelButton() : undefined;
    const children = this.cancelButton ? [this.bar, this.info, this.cancelButton] : [this.bar, this.info];
    this.box = new HBox(children, { layout: { alignItems: "center", width: "100%", flexFlow: "row nowrap" } });
  }

  /** True once the Cancel button was clicked. */
  get cancelRequested(): boolean {
    return this.cancelButton?.requested ?? false;
  }

  /** True once `finish` or `stop` ran. */
  get finished(): boolean {
    return this.ended;
  }

  /** Cancels as a click on the button does (for code that stops the work itself). */
  requestCancel(): void {
    this.cancelButton?.request();
  }

  /** `done` units are done; redraws unless the last redraw was less than `intervalMs` ago. */
  update(done: number): void {
    if (this.ended) return;
    this.done = done;
    const at = this.now();
    this.first ??= { at, done };
    if (at - this.lastDrawnAt < this.intervalMs) return;
    this.lastDrawnAt = at;
    const perSecond = ratePerSecond(this.first, at, done);
    this.bar.value = this.total && this.total > 0 ? Math.min(done, this.total) : 0;
    this.info.value = runningLine({
      done,
      total: this.total,
      unit: this.unit,
      elapsedSeconds: (at - this.startedAt) / 1000,
      leftSeconds: secondsLeft(done, this.total, perSecond),
      perSecond,
    });
  }

  /** The work is done: a full green bar and "4096 runs · done in 3.2 s"; the Cancel button goes. */
  finish(done: number = this.total ?? this.done): void {
    if (this.ended) return;
    this.end("success", `${formatAmount(done, this.unit)} · done in ${formatSeconds(this.seconds())}`);
    this.bar.value = this.bar.max;
  }

  /** The work stopped before the end: a red bar and `message` (e.g. "cancelled after 1234 of 4096 runs"). */
  stop(message: string): void {
    if (this.ended) return;
    this.end("danger", `${message} · ${formatSeconds(this.seconds())}`);
  }

  /** Seconds since the bar was made. */
  private seconds(): number {
    return (this.now() - this.startedAt) / 1000;
  }

  private end(barStyle: "success" | "danger", line: string): void {
    this.ended = true;
    this.bar.barStyle = barStyle;
    this.info.value = line;
    if (this.cancelButton) {
      this.box.children = [this.bar, this.info];
      this.cancelButton.close();
    }
  }

  /** The cell shows the widget; text/plain says what ran (for frontends without widgets). */
  [MIME_BUNDLE_KEY](): MimeBundle {
    const bundle = this.box[MIME_BUNDLE_KEY]();
    return {
      ...bundle,
      data: { ...bundle.data, "text/plain": `${this.label}: ${formatCount(this.done, this.total, this.unit)}` },
    };
  }
}
