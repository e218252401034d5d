/**
 * The browser twin of src/loading/save.ts (see ../seams.js): saving writes a folder, which a page cannot, so
 * `model.save()` is an error that says so.
 */
import type { Tensor } from "@tensorflow/tfjs-core";
import type { TransformerConfig } from "../../src/loading/config";

/** Always rejects: a browser page has no folder to save a model into. */
export async function saveNative(folder: string, _cfg: TransformerConfig, _params: ReadonlyMap<string, Tensor>): Promise<void> {
  throw new Error(`cannot save a model to ${folder} in a browser page: saving writes files, which needs Node`);
}
