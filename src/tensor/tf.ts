/**
 * The one tfjs-core instance tslens computes with, with tfjs's chained tensor methods (`x.reshape(…)`, `x.mul(…)`).
 */
import * as tf from "@tensorflow/tfjs-core";

// Registers the chained methods on tfjs-core's Tensor class. tfjs-node loads this bundle anyway; loading it here
// makes `x.reshape()` work the same on wasm and cpu. (@tensorflow/tfjs is tfjs-node's own pinned dependency.)
import "@tensorflow/tfjs";
assertOneTfjsCore("@tensorflow/tfjs");

/**
 * Throws when more than one copy of @tensorflow/tfjs-core is loaded (say a package brought its own): tensors would
 * then silently live on another engine than the backend tslens chose. `loaded` names what was just loaded.
 */
export function assertOneTfjsCore(loaded: string): void {
  const copies = Object.keys(require.cache).filter((file) =>
    /[\\/]@tensorflow[\\/]tfjs-core[\\/]dist[\\/]tf-core\.node\.js$/.test(file),
  );
  if (copies.length > 1) {
    throw new Error(`${loaded} loaded a second copy of @tensorflow/tfjs-core (${copies.join(", ")}): run npm ci / npm dedupe`);
  }
}

/**
 * The @tensorflow/tfjs-core namespace (values and types: `tf.matMul`, `tf.Tensor`). Every backend (tfjs-node's
 * native "tensorflow", "wasm", "cpu") registers with this same copy of tfjs-core, so tensors made with `tf` run on
 * whichever backend is active. Importing src/tensor chooses it (see ./backend): native TensorFlow is active at once;
 * wasm only once `initBackend()` resolves. Beware `tf.tidy(() => t.dataSync())`: tidy walks every element of a
 * returned array.
 */
export { tf };

/** A tfjs tensor (the same type as `tf.Tensor`). */
export type Tensor = tf.Tensor;
