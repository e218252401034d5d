/**
 * The MLP, inside one position:
 *   standard: pre = x·W_in + b_in → hook_pre;  post = act(pre) → hook_post;  out = post·W_out + b_out
 *   gated (SwiGLU): pre = x·W_gate → hook_pre;  lin = x·W_in → hook_pre_linear;  post = act(pre)·lin + b_in → hook_post
 */
import type { Tensor } from "@tensorflow/tfjs-core";
import { linearRows } from "../../tensor/linearRows";
import { chain } from "../../tensor/release";
import type { ActFn } from "../../loading/config";
import type { PointNames } from "../hookPoints";
import type { HookContext } from "../hooks";
import type { PointTable } from "../pointSpec";

/** The MLP's hook points (under blocks.{l}.mlp.), in forward order. */
export const MLP_POINTS = {
  hook_pre: { shape: "[batch, pos, d_mlp]", rank: 3 },
  hook_pre_linear: { shape: "[batch, pos, d_mlp]", rank: 3, when: ["gatedMlp"] },
  hook_post: { shape: "[batch, pos, d_mlp]", rank: 3 },
} as const satisfies PointTable;

/** The MLP weights of one block (TransformerLens layouts). */
export interface MlpWeights {
  W_in: Tensor; // [d_model, d_mlp]
  b_in: Tensor; // [d_mlp]
  W_out: Tensor; // [d_mlp, d_model]
  b_out: Tensor; // [d_model]
  W_gate?: Tensor; // [d_model, d_mlp]
}

const SQRT_2_OVER_PI = Math.sqrt(2 / Math.PI);

/** Applies an activation function elementwise. */
export function activate(fn: ActFn, x: Tensor): Tensor {
  switch (fn) {
    case "gelu_new":
    case "gelu_fast":
      // 0.5·x·(1 + tanh(√(2/π)·(x + 0.044715·x³))) written as x·σ(2√(2/π)·x·(1 + 0.044715·x²)), the same function in
      // 4 passes over the activations instead of 8 (a sixth of an MLP's time at 1024 rows).
      // Each partial product is freed once read (releaseNow), so they share one another's memory.
      return chain(
        x,
        (t) => t.square(),
        (t) => t.mul(0.044715 * 2 * SQRT_2_OVER_PI),
        (t) => t.add(2 * SQRT_2_OVER_PI),
        (t) => x.mul(t),
        (t) => t.sigmoid(),
        (t) => x.mul(t),
      );
    case "gelu":
      // 0.5·x·(1 + erf(x/√2)), with x·0.5 last (a power of two: the same floats).
      return chain(
        x,
        (t) => t.mul(Math.SQRT1_2),
        (t) => t.erf(),
        (t) => t.add(1),
        (t) => t.mul(x),
        (t) => t.mul(0.5),
      );
    case "silu":
      return x.mul(x.sigmoid());
    case "relu":
      return x.relu();
  }
}

/** x [batch, pos, a] · W [a, c] (+ b [c]) → [batch, pos, c]; long products (the unembedding) are built in row blocks. */
export function linear(x: Tensor, w: Tensor, b?: Tensor): Tensor {
  const [batch, pos, a] = x.shape;
  return linearRows(x.reshape([batch * pos, a]), w, b).reshape([batch, pos, w.shape[1]!]); // [batch, pos, c]
}

/** The MLP on x [batch, pos, d_model] through the hook points `at`; returns [batch, pos, d_model] (before hook_mlp_out). */
export function mlp(ctx: HookContext, at: PointNames<typeof MLP_POINTS>, x: Tensor, w: MlpWeights, act: ActFn): Tensor {
  let post: Tensor;
  if (w.W_gate) {
    const pre = ctx.point(at.hook_pre, linear(x, w.W_gate)); // [b, p, d_mlp]
    const lin = ctx.point(at.hook_pre_linear, linear(x, w.W_in)); // [b, p, d_mlp]
    post = ctx.point(
      at.hook_post,
      chain(
        pre,
        (t) => activate(act, t),
        (t) => t.mul(lin),
        (t) => t.add(w.b_in),
      ),
    ); // [b, p, d_mlp]
  } else {
    const pre = ctx.point(at.hook_pre, linear(x, w.W_in, w.b_in)); // [b, p, d_mlp]
    post = ctx.point(at.hook_post, activate(act, pre)); // [b, p, d_mlp]
  }
  return linear(post, w.W_out, w.b_out); // [b, p, d_model]
}
