/**
 * src/tensor: the tfjs-core namespace tslens computes with and the choice of backend it runs on.
 */
export { tf } from "./tf";
export type { Tensor } from "./tf";
export { initBackend, backend, backendInfo, BACKEND_ENV } from "./backend";
export type { BackendInfo, SkippedBackend } from "./backend";
export { BACKEND_NAMES } from "./candidates";
export type { BackendName } from "./candidates";
