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
  process.on("uncaughtException", (err) => {
    log("error", `uncaught exception: ${err?.stack ?? err}`);
    process.stderr.write(`Uncaught ${err?.stack ?? err}\n`);
  });
  process.on("unhandledRejection", (reason) => log("error", `unhandled rejection: ${(reason as Error)?.stack ?? reason}`));
  process.on("SIGTERM", () => void kernel.stop().then(() => process.exit(0)));
  await kernel.start();
}
