/**
 * src/tensor: the tfjs-core namespace tslens computes with, the choice of backend it runs on (made when this module
 * loads), and how tensors print.
 */
import { chooseBackendAtImport } from "./backend";
import { installTensorInspector } from "./format";

export { tf } from "./tf";
export type { Tensor } from "./tf";
export { initBackend, backend, backendInfo, BACKEND_ENV, noteSlowBackendOnce } from "./backend";
export type { BackendInfo, SkippedBackend } from "./backend";
export { BACKEND_NAMES } from "./candidates";
export type { BackendName } from "./candidates";
export { formatTensor } from "./format";
export type { TensorFormatOptions } from "./format";

installTensorInspector();
chooseBackendAtImport();
