/**
 * x · w + b for long 2-D products (the unembedding: every position times a 50k-word vocabulary), built in row blocks
 * into one output on the native backend.
 *
 * Done as one MatMul then one add, a 1024-position unembedding of GPT-2 small holds three vocabulary-wide arrays at
 * once (the product, the sum and TensorFlow's working memory for the product: about 200 MB each), and TensorFlow's
 * allocator keeps what it once held. Here the output is allocated once, as b repeated on every row (`BroadcastTo`,
 * or `Empty` without b), and each block's product is added into its rows in place (`InplaceAdd`, or
 * `InplaceUpdate`): beside the output only one block's product lives (48 MB at most). The kernel "TslensLinearRows"
 * is registered for the "tensorflow" backend with its gradient; other backends, and products that fit in one block,
 * compute x · w + b directly.
 */
import { tf } from "./tf";
import { matMul2d, NativeBackend } from "./matMul2d";

const KERNEL = "TslensLinearRows";
/** Bytes of one block's product: the rows per block are as many as fit. */
const BLOCK_BYTES = 48 * 2 ** 20;

let registered = false;

/** Runs TensorFlow ops by name on the native backend (the int32 arguments they take are freed after each op). */
function nativeOps(native: NativeBackend) {
  const { binding } = native;
  const type = (name: string, value: number) => ({ name, type: binding.TF_ATTR_TYPE, value });
  const bool = (name: string, value: boolean) => ({ name, type: binding.TF_ATTR_BOOL, value });
  const float = type("T", binding.TF_FLOAT);
  const index = type("Tidx", binding.TF_INT32);
  /** Runs `op` on `inputs`, where a number[] input becomes an int32 vector freed after the op. */
  const run = (op: string, attrs: { name: string; type: number; value: unknown }[], inputs: (tf.Tensor | number[])[]) => {
    const made = inputs.map((input) => (Array.isArray(input) ? tf.tensor1d(input, "int32") : input));
    try {
      return native.executeSingleOutput(op, attrs, made);
    } finally {
      tf.dispose(made.filter((t, i) => t !== inputs[i]));
    }
  };
  return {
    /** An uninitialised float32 tensor of `shape`. */
    empty: (shape: number[]) => run("Empty", [type("dtype", binding.TF_FLOAT), bool("init", false)], [shape]),
    /** `b` [n] repeated on every one of `m` rows: [m, n]. */
    rowsOf: (b: tf.Tensor, m: number) => run("BroadcastTo", [float, index], [b, [m, b.shape[0]!]]),
    /** Rows first … first+n of a 2-D tensor: [n, cols]. */
    rows: (t: tf.Tensor, first: number, n: number) =>
      run("Slice", [float, type("Index", binding.TF_INT32)], [t, [first, 0], [n, -1]]),
    matMul: (a: tf.Tensor, b: tf.Tensor) =>
      run("MatMul", [float, bool("transpose_a", false), bool("transpose_b", false)], [a, b]),
    add: (a: tf.Tensor, b: tf.Tensor) => run("AddV2", [float], [a, b]),
    /**
     * Rows first … first+n of `target` set to `values` [n, cols] ("InplaceUpdate") or increased by them
     * ("InplaceAdd"), in place: the op's output is an alias of `target`, freed at once.
     */
    intoRows: (op: "InplaceUpdate" | "InplaceAdd", target: tf.Tensor, first: number, values: tf.Tensor) =>
      run(op, [float], [target, Array.from({ length: values.shape[0]! }, (_, i) => first + i), values]).dispose(),
  };
}

/** Registers the kernel and its gradient once (only when the native backend is active). */
function register(): void {
  registered = true;
  tf.registerKernel({
    kernelName: KERNEL,
    backendName: "tensorflow",
    kernelFunc: ({ inputs, backend, attrs }) => {
      const ops = nativeOps(backend as unknown as NativeBackend);
      const { x, w, b } = inputs as { x: tf.Tensor; w: tf.Tensor; b?: tf.Tensor };
      const { blockRows } = attrs as unknown as { blockRows: number };
      const [m, n] = [x.shape[0]!, w.shape[1]!];
      if (m <= blockRows) {
        const product = ops.matMul(x, w); // [m, n]
        if (!b) return product;
        const sum = ops.add(product, b); // [m, n]
        product.dispose();
        return sum;
      }
      // With a bias, every row starts as b and each block's product is added in; without, rows are written. (m ≥ 2
      // here, so BroadcastTo allocates: it never hands back b itself, which the in-place adds would change.)
      const out = b ? ops.rowsOf(b, m) : ops.empty([m, n]); // [m, n]
      try {
        for (let first = 0; first < m; first += blockRows) {
          const rows = ops.rows(x, first, Math.min(blockRows, m - first)); // [rows, k]
          let product: tf.Tensor | undefined;
          try {
            product = ops.matMul(rows, w); // [rows, n]
            ops.intoRows(b ? "InplaceAdd" : "InplaceUpdate", out, first, product);
          } finally {
            tf.dispose(product ? [rows, product] : [rows]);
          }
        }
      } catch (err) {
        out.dispose();
        throw err;
      }
      return out;
    },
  });
  tf.registerGradient({
    kernelName: KERNEL,
    inputsToSave: ["x", "w"],
    gradFunc: (dy, saved) => {
      const [x, w] = saved;
      const g = dy as tf.Tensor; // [m, n]
      return { x: () => matMul2d(g, w, false, true), w: () => matMul2d(x, g, true, false), b: () => g.sum(0) };
    },
  });
}

/**
 * x [m, k] · w [k, n] + b [n] → [m, n] (b optional), float32. On the native backend a product larger than one block
 * (24 MB by default, or `blockRows` rows) is built block by block into one output; elsewhere it is tf.matMul + add.
 */
export function linearRows(x: tf.Tensor, w: tf.Tensor, b?: tf.Tensor, blockRows?: number): tf.Tensor {
  if (x.rank !== 2 || w.rank !== 2) throw new Error(`linearRows: x and w must be 2-D, got [${x.shape}] · [${w.shape}]`);
  const [m, k, n] = [x.shape[0]!, x.shape[1]!, w.shape[1]!];
  if (k !== w.shape[0]) throw new Error(`linearRows: inner dimensions differ, [${x.shape}] · [${w.shape}]`);
  if (b && (b.rank !== 1 || b.shape[0] !== n)) throw new Error(`linearRows: b must be [${n}], got [${b.shape}]`);
  const rows = blockRows ?? Math.max(1, Math.floor(BLOCK_BYTES / (4 * Math.max(1, n))));
  const native = tf.getBackend() === "tensorflow" && [x, w, b].every((t) => !t || t.dtype === "float32");
  if (!native || m === 0 || n === 0) return tf.tidy(() => (b ? matMul2d(x, w).add(b) : matMul2d(x, w))); // [m, n]
  if (!registered) register();
  const inputs: Record<string, tf.Tensor> = b ? { x, w, b } : { x, w };
  return tf.engine().runKernel(KERNEL, inputs, { blockRows: rows }) as tf.Tensor; // [m, n]
}
