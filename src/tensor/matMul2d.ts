/**
 * Two-dimensional matrix products through TensorFlow's own MatMul op on the native backend. tfjs-node sends every
 * tf.matMul to BatchMatMulV2, which on a 2-D product measured 10–20 % more CPU time than MatMul for the model's shapes
 * (GPT-2 small's projections and unembedding, oneDNN on). The kernel "TslensMatMul2D" is registered for the
 * "tensorflow" backend with its gradient, so it records on gradient tapes like tf.matMul; on other backends, and for
 * anything but float32, matMul2d is tf.matMul.
 */
import { tf } from "./tf";

const KERNEL = "TslensMatMul2D";

/** The parts of tfjs-node's backend tslens's own kernels use (the binding's type codes and op execution). */
export interface NativeBackend {
  binding: { TF_ATTR_TYPE: number; TF_ATTR_BOOL: number; TF_FLOAT: number; TF_INT32: number };
  executeSingleOutput(name: string, attrs: { name: string; type: number; value: unknown }[], inputs: tf.Tensor[]): tf.Tensor;
}

let registered = false;

/** Registers the kernel and its gradient once (only when the native backend is active). */
function register(): void {
  registered = true;
  tf.registerKernel({
    kernelName: KERNEL,
    backendName: "tensorflow",
    kernelFunc: ({ inputs, backend, attrs }) => {
      const native = backend as unknown as NativeBackend;
      const { binding } = native;
      const { a, b } = inputs as { a: tf.Tensor; b: tf.Tensor };
      const { transposeA, transposeB } = attrs as unknown as { transposeA: boolean; transposeB: boolean };
      return native.executeSingleOutput(
        "MatMul",
        [
          { name: "T", type: binding.TF_ATTR_TYPE, value: binding.TF_FLOAT },
          { name: "transpose_a", type: binding.TF_ATTR_BOOL, value: transposeA },
          { name: "transpose_b", type: binding.TF_ATTR_BOOL, value: transposeB },
        ],
        [a, b],
      ); // [m, n]
    },
  });
  tf.registerGradient({
    kernelName: KERNEL,
    inputsToSave: ["a", "b"],
    gradFunc: (dy, saved, attrs) => {
      const [a, b] = saved;
      const { transposeA, transposeB } = attrs as unknown as { transposeA: boolean; transposeB: boolean };
      const g = dy as tf.Tensor;
      // d(a·b): the same four cases as tf.matMul's gradient, in 2-D.
      if (!transposeA && !transposeB) return { a: () => matMul2d(g, b, false, true), b: () => matMul2d(a, g, true, false) };
      if (!transposeA && transposeB) return { a: () => matMul2d(g, b), b: () => matMul2d(g, a, true, false) };
      if (transposeA && !transposeB) return { a: () => matMul2d(b, g, false, true), b: () => matMul2d(a, g) };
      return { a: () => matMul2d(b, g, true, true), b: () => matMul2d(g, a, true, true) };
    },
  });
}

/** a [m, k] · b [k, n] (either transposed in place by the flags) → [m, n], float32 on any backend. */
export function matMul2d(a: tf.Tensor, b: tf.Tensor, transposeA = false, transposeB = false): tf.Tensor {
  if (tf.getBackend() !== "tensorflow" || a.rank !== 2 || b.rank !== 2 || a.dtype !== "float32" || b.dtype !== "float32")
    return tf.matMul(a, b, transposeA, transposeB);
  const [k1, k2] = [transposeA ? a.shape[0] : a.shape[1], transposeB ? b.shape[1] : b.shape[0]];
  if (k1 !== k2) throw new Error(`matMul2d: inner dimensions differ, [${a.shape}] · [${b.shape}]`);
  if (!registered) register();
  return tf.engine().runKernel(KERNEL, { a, b }, { transposeA, transposeB }) as tf.Tensor; // [m, n]
}
