/**
 * Download progress, by default a bar per file: in a notebook cell of the tslens kernel a progress
 * bar widget in that cell, elsewhere a one-line bar on stderr; or a caller's callback, or nothing.
 * Updates are throttled to about ten per second; the final state is always reported.
 */
import { formatCount } from "../../views/progress/format";
import { showProgressBar } from "../../views/progress/show";

/** One progress report for one file. `total` is undefined when the server did not say the size. */
export interface HubProgress {
  /** File name inside the repository, e.g. "model.safetensors". */
  file: string;
  /** Bytes of the file on disk so far (including bytes resumed from an earlier attempt). */
  downloaded: number;
  /** Expected size in bytes, when known. */
  total: number | undefined;
}

/** `undefined`: the default bar (a widget in a notebook cell, else on stderr); `false`: silent; a function: called with each (throttled) report. */
export type ProgressOption = ((progress: HubProgress) => void) | false | undefined;

/** What the downloader calls while a file is being fetched. */
export interface ProgressReporter {
  /** The file now has `downloaded` bytes on disk. */
  update(downloaded: number): void;
  /** The download finished (reports the final state, ends the bar's line). */
  finish(downloaded: number): void;
  /** The download stopped with an error (ends the bar's line). */
  fail(): void;
}

/** Minimum time between two reports, in milliseconds. */
export const PROGRESS_INTERVAL_MS = 100;

const BAR_WIDTH = 24;

function megabytes(bytes: number): string {
  return (bytes / 1e6).toFixed(1);
}

/**
 * Formats one bar line: `file [#######.......]  45%  120.3/268.4 MB  35.2 MB/s`.
 * `rate` is in bytes per second.
 */
export function formatBar(file: string, downloaded: number, total: number | undefined, rate: number): string {
  const speed = `${megabytes(rate)} MB/s`;
  if (total === undefined || total <= 0) return `${file}  ${megabytes(downloaded)} MB  ${speed}`;
  const fraction = Math.min(1, downloaded / total);
  const filled = Math.round(fraction * BAR_WIDTH);
  const bar = "#".repeat(filled) + ".".repeat(BAR_WIDTH - filled);
  const percent = `${Math.floor(fraction * 100)}%`.padStart(4);
  return `${file} [${bar}] ${percent}  ${megabytes(downloaded)}/${megabytes(total)} MB  ${speed}`;
}

/**
 * A reporter for one file. `resumedFrom` is how many bytes were already on disk when this
 * attempt started (they count in `downloaded` but not in the speed).
 */
export function createReporter(
  option: ProgressOption,
  file: string,
  total: number | undefined,
  resumedFrom: number,
): ProgressReporter {
  if (option === false) return { update() {}, finish() {}, fail() {} };
  const widget = option === undefined ? showProgressBar({ label: `downloading ${file}`, total, unit: "bytes" }) : undefined;
  if (widget) {
    let last = resumedFrom;
    return {
      update: (downloaded) => ((last = downloaded), widget.update(downloaded)),
      finish: (downloaded) => widget.finish(downloaded),
      fail: () => widget.stop(`stopped at ${formatCount(last, total, "bytes")}`),
    };
  }
  const started = Date.now();
  let last = 0;
  let width = 0;
  let wrote = false;
  const rate = (downloaded: number) => {
    const seconds = Math.max((Date.now() - started) / 1000, 1e-3);
    return Math.max(0, downloaded - resumedFrom) / seconds;
  };
  const emit = (downloaded: number, final: boolean) => {
    if (typeof option === "function") {
      option({ file, downloaded, total });
      return;
    }
    const line = formatBar(file, downloaded, total, rate(downloaded));
    const pad = " ".repeat(Math.max(0, width - line.length));
    width = line.length;
    process.stderr.write(`\r${line}${pad}${final ? "\n" : ""}`);
    wrote = !final;
  };
  return {
    update(downloaded) {
      const now = Date.now();
      if (last !== 0 && now - last < PROGRESS_INTERVAL_MS) return;
      last = now;
      emit(downloaded, false);
    },
    finish(downloaded) {
      emit(downloaded, true);
    },
    fail() {
      if (wrote && typeof option !== "function") process.stderr.write("\n");
      wrote = false;
    },
  };
}
