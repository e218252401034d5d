/**
 * The browser twin of src/tensor (see ../seams.js): the same `tf` namespace — tfjs-core with its chained tensor
 * methods and its gradients (for runWithCacheAndGrads) — without Node's backend choice (native TensorFlow,
 * require, process.env). The page's backend is chosen by initLiveBackend() (../src/backend.ts) before a model
 * loads; initBackend() here waits for that choice.
 */
import * as tf from "@tensorflow/tfjs-core";
import "@tensorflow/tfjs-core/dist/public/chained_ops/register_all_chained_ops";
import "@tensorflow/tfjs-core/dist/register_all_gradients";
import type { BackendInfo as NodeBackendInfo } from "../../src/tensor";
import { chosenBackend, initLiveBackend } from "../src/backend";

export { tf };

/** A tfjs tensor (the same type as `tf.Tensor`). */
export type Tensor = tf.Tensor;

/** The backend the page computes on, in src/tensor's shape (the package is the tfjs backend's). */
export type BackendInfo = NodeBackendInfo;

/** Starts (or joins) the page's backend choice with its default (wasm); resolves once tensor ops can run. */
export async function initBackend(): Promise<BackendInfo> {
  const info = await initLiveBackend();
  return { name: info.name as BackendInfo["name"], package: info.package, reasonsSkipped: info.skipped };
}

/** The active backend's name; throws before initLiveBackend() has finished. */
export function backend(): string {
  const info = chosenBackend();
  if (!info) throw new Error("no tfjs backend yet: await tslensLive.initBackend() first");
  return info.name;
}

/** Node's note about a slow backend has no meaning in a page: a no-op. */
export function noteSlowBackendOnce(): void {}
