/**
 * Access to the kernel host (the comm API) from library code.
 */
import { HOST_KEY } from "../common/host";
import type { KernelHost } from "../common/host";

/** The kernel host, or a clear error when not running inside the tslens kernel. */
export function kernelHost(): KernelHost {
  const host = (globalThis as Record<symbol, unknown>)[HOST_KEY] as KernelHost | undefined;
  if (!host) throw new Error("tslens widgets need the tslens Jupyter kernel: no kernel host is installed in this process");
  return host;
}
