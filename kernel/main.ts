/**
 * Kernel process entry: reads the connection file, starts the kernel, and keeps
 * stray errors from user code (unhandled rejections, exceptions thrown in
 * timers) from killing the process.
 */
import { readConnectionFile } from "./connection";
import { Kernel } from "./kernel";
import { log } from "./log";

/** Runs a kernel for `connectionFile` until it is shut down. */
export async function runKernel(connectionFile: string): Promise<void> {
  const kernel = new Kernel(readConnectionFile(connectionFile));
  // Errors user code leaves behind (thrown in a timer, a rejected promise nobody awaits) are shown
  // as stderr of the request they belong to (or the last cell), and logged; the kernel keeps running.
  const report = (kind: string, err: unknown) => {
    const text = (err as Error)?.stack ?? String(err);
    log("error", `${kind}: ${text}`);
    process.stderr.write(`${kind}: ${text}\n`);
  };
  process.on("uncaughtException", (err) => report("Uncaught exception", err));
  process.on("unhandledRejection", (reason) => report("Unhandled promise rejection", reason));
  process.on("SIGTERM", () => void kernel.stop().then(() => process.exit(0)));
  await kernel.start();
}
