/**
 * Where long work reports progress: in a notebook cell of the tslens kernel, a ProgressBar
 * widget in that cell's output; anywhere else (a terminal, plain Node, a widget callback) the
 * caller keeps its text bar on stderr. Also how long work learns that its cell was interrupted.
 */
import { HOST_KEY, MIME_BUNDLE_KEY } from "../../common/host";
import type { CellRef, KernelHost } from "../../common/host";
import { ProgressBar, ProgressBarOptions } from "./progressBar";

/** The kernel host, when this code runs inside the tslens kernel. */
function installedHost(): KernelHost | undefined {
  return (globalThis as Record<symbol, unknown>)[HOST_KEY] as KernelHost | undefined;
}

/** The cell whose code is running here (undefined outside a kernel, and inside comm callbacks). */
export function runningCell(): CellRef | undefined {
  const cell = installedHost()?.currentCell();
  return cell?.running ? cell : undefined;
}

/**
 * Shows a ProgressBar in the running cell's output and returns it; undefined when no cell is
 * running here (the caller then writes text).
 */
export function showProgressBar(options: ProgressBarOptions): ProgressBar | undefined {
  const host = installedHost();
  if (!host || !runningCell()) return undefined;
  const bar = new ProgressBar(options);
  host.display(bar[MIME_BUNDLE_KEY]());
  return bar;
}
