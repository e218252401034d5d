/**
 * Float32Arrays a tensor can take over without a copy.
 *
 * Native TensorFlow (tfjs-node) wraps a typed array's memory in its tensor instead of copying it when the memory is
 * aligned as TensorFlow wants (64 bytes); otherwise it copies, and for a moment both copies are resident. Loading
 * writes each weight into an array from `adoptableFloat32`, whose start is placed at an offset TensorFlow adopts,
 * so a weight is resident once. Other backends get plain arrays (the CPU backend keeps the array itself; WASM
 * copies into its heap either way).
 */
import { tf } from "../tensor";
import { collectGarbage } from "./collectGarbage";

export { collectGarbage };

/** Below this many values a copy costs nothing worth probing for. */
const MIN_ADOPTED_VALUES = 1 << 16;
/** TensorFlow's alignment (EIGEN_MAX_ALIGN_BYTES is at most 64). */
const ALIGNMENT = 64;

/** True when a tensor made from `view` uses `view`'s memory (TensorFlow did not copy it). */
function adoptsMemory(view: Float32Array): boolean {
  view[0] = 0;
  const probe = tf.tensor(view, [view.length], "float32"); // [16]
  try {
    // The native backend hands the array to TensorFlow at the first operation that reads it.
    tf.tidy(() => {
      probe.add(0);
    });
    view[0] = 1;
    return probe.dataSync()[0] === 1;
  } finally {
    probe.dispose();
  }
}

/** The byte offset into `buffer` at which TensorFlow adopts memory, or undefined when none does. */
function adoptedOffset(buffer: ArrayBuffer): number | undefined {
  for (let offset = 0; offset < ALIGNMENT; offset += 4) {
    if (adoptsMemory(new Float32Array(buffer, offset, 16))) return offset;
  }
  return undefined;
}

/** A zeroed Float32Array of `length` values that a native TensorFlow tensor can wrap without copying. */
export function adoptableFloat32(length: number): Float32Array {
  if (length < MIN_ADOPTED_VALUES || tf.getBackend() !== "tensorflow") return new Float32Array(length);
  const buffer = new ArrayBuffer(length * 4 + ALIGNMENT);
  const offset = adoptedOffset(buffer) ?? 0;
  return new Float32Array(buffer, offset, length);
}

/** A [...shape] float32 tensor over `values` (adopted without a copy when `values` came from adoptableFloat32). */
export function tensorFromValues(values: Float32Array, shape: number[]): tf.Tensor {
  const tensor = tf.tensor(values, shape, "float32"); // [...shape]
  // Hand the values to the backend now (a one-value slice reads them), not at some later first use: were they
  // copied, the copy happens while little else is resident.
  if (values.length > 0)
    tf.tidy(() => {
      tensor.reshape([-1]).slice(0, 1);
    });
  return tensor;
}

/** Calls collectGarbage() once every `everyBytes` bytes reported through `allocated`. */
export class GarbagePacer {
  private since = 0;
  constructor(private readonly everyBytes: number) {}
  /** Notes `bytes` newly allocated (and soon garbage); collects when enough have accumulated. */
  allocated(bytes: number): void {
    this.since += bytes;
    if (this.since >= this.everyBytes) {
      this.since = 0;
      collectGarbage();
    }
  }
}
