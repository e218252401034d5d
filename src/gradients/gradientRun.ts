/**
 * Gradients of a metric of the logits with respect to activations at hook points, and backward hooks.
 *
 * Every traced hook point's output `a` is replaced by `probe(a, s)`, where `s` is one scalar zero: the value is
 * `a + s` (= a), and the custom gradient hands the incoming ∂metric/∂a upstream unchanged (or as a backward hook
 * edited it) after keeping a copy. Differentiating metric + s with respect to `s` runs one backward pass through every
 * probe. Errors raised inside the forward or the backward are held and rethrown after the pass has finished, so the
 * engine always frees its tape (nothing leaks, errors included).
 */
import type { Scalar, Tensor } from "@tensorflow/tfjs-core";
import { tf } from "../tensor";
import type { HookName } from "../model/hookPoints";
import { describeValue, HookContext, HookFn, HookInfo, HookTarget, isTensor } from "../model/hooks";

/** A metric to differentiate: logits [batch, pos, d_vocab] → a scalar tensor (e.g. a logit difference). */
export type GradMetric = (logits: Tensor) => Tensor;

/** A backward hook: receives ∂metric/∂activation at its hook point; return a tensor to replace it upstream. */
export type BwdHookFn = (grad: Tensor, hook: HookInfo) => Tensor | void;

/** What the traced run needs: the forward (logits from a hook context) and what to trace. */
export interface GradientRunSpec {
  /** Runs the model's forward with `ctx` and returns logits [batch, pos, d_vocab] (called inside tf.valueAndGrads). */
  forward: (ctx: HookContext) => Tensor;
  metric: GradMetric;
  fwdHooks: [HookTarget, HookFn][];
  bwdHooks: [HookTarget, BwdHookFn][];
  /** Hook points whose activations and gradients to keep. */
  keep: (name: HookName) => boolean;
  /** Keep the logits (runWithHooks returns them). */
  keepLogits?: boolean;
  /** The call's name for errors, e.g. "runWithCacheAndGrads". */
  caller: string;
}

/** What a traced run produced; the caller owns every tensor. */
export interface GradientRunResult {
  value: number;
  /** Activations at the kept hook points (name → tensor). */
  activations: Record<string, Tensor>;
  /** ∂metric/∂activation at the kept hook points, same names and shapes; zeros where the metric does not depend. */
  grads: Record<string, Tensor>;
  logits?: Tensor;
  /** False when no gradient reached any hook point (a metric that does not read the logits). */
  connected: boolean;
}

const matches = (target: HookTarget, name: HookName): boolean => (typeof target === "string" ? target === name : target(name));

/** A hook context that also threads each traced hook point's output through a gradient probe. */
class ProbeContext extends HookContext {
  readonly grads: Record<string, Tensor> = {};
  readonly shapes: Record<string, number[]> = {};
  /** The first error a backward hook raised (rethrown after the pass). */
  backwardError?: unknown;
  reached = false;

  constructor(
    private readonly spec: GradientRunSpec,
    private readonly seed: Scalar,
  ) {
    super(spec.fwdHooks, spec.keep);
  }

  override point(name: HookName, x: Tensor): Tensor {
    const out = super.point(name, x);
    const hooks = this.spec.bwdHooks.filter(([target]) => matches(target, name));
    const kept = this.spec.keep(name);
    if (!kept && hooks.length === 0) return out;
    if (kept) this.shapes[name] = out.shape;
    const probe = tf.customGrad((...args) => ({
      value: (args[0] as Tensor).add(args[1] as Tensor), // [shape of the activation]: a + 0
      gradFunc: (dy: Tensor) => [this.backward(name, dy, kept, hooks), tf.zeros([])],
    }));
    return probe(out, this.seed);
  }

  /** The gradient leaving hook point `name` upstream: `dy` [shape of the activation] after its backward hooks. */
  private backward(name: HookName, dy: Tensor, kept: boolean, hooks: [HookTarget, BwdHookFn][]): Tensor {
    this.reached = true;
    if (this.backwardError !== undefined) return dy.clone();
    try {
      if (kept) {
        this.grads[name]?.dispose();
        this.grads[name] = tf.keep(dy.clone());
      }
      let grad = dy;
      for (const [, fn] of hooks) {
        const replaced: unknown = fn(grad, { name });
        if (replaced === undefined || replaced === null) continue;
        const expected = `return a tf.Tensor of shape [${dy.shape}] or nothing`;
        if (!isTensor(replaced)) throw new Error(`backward hook on ${name} returned ${describeValue(replaced)}; ${expected}`);
        if (replaced.isDisposed) throw new Error(`backward hook on ${name} returned a disposed tensor; ${expected}`);
        if (replaced.shape.join() !== dy.shape.join())
          throw new Error(`backward hook on ${name} returned shape [${replaced.shape}] but the gradient has shape [${dy.shape}]`);
        grad = replaced.cast("float32");
      }
      return grad.clone();
    } catch (err) {
      this.backwardError = err;
      return dy.clone();
    }
  }

  /** Frees everything kept (after an error). */
  disposeAll(): void {
    this.disposeCache();
    tf.dispose(Object.values(this.grads));
  }
}

/** Checks the metric's result: one float number as a tensor. Returns it as a scalar. */
function checkedValue(value: unknown, caller: string): Scalar {
  const expected = "the metric must return a scalar tf.Tensor of the logits (e.g. a logit difference, .sum() or .mean())";
  if (!isTensor(value)) throw new Error(`${caller}: ${expected}, got ${describeValue(value)}`);
  if (value.isDisposed) throw new Error(`${caller}: ${expected}, got a disposed tensor`);
  if (value.size !== 1) throw new Error(`${caller}: ${expected}, got a tensor of shape [${value.shape}]`);
  if (value.dtype !== "float32") throw new Error(`${caller}: ${expected}, got a ${value.dtype} tensor`);
  return value.reshape([]) as Scalar;
}

/**
 * One forward and one backward pass: activations and ∂metric/∂activation at the hook points `spec.keep` selects,
 * with backward hooks applied on the way. Throws the first error of a hook or the metric after freeing everything.
 */
export function gradientRun(spec: GradientRunSpec): GradientRunResult {
  if (typeof spec.metric !== "function")
    throw new Error(
      `${spec.caller}: the metric must be a function (logits) => scalar tf.Tensor, got ${describeValue(spec.metric)}`,
    );
  const seed = tf.scalar(0); // []: the probes' shared zero
  let ctx: ProbeContext | undefined;
  let forwardError: unknown;
  let logits: Tensor | undefined;
  let value: number;
  try {
    const { value: total, grads } = tf.valueAndGrads((s: Tensor) => {
      ctx = new ProbeContext(spec, s as Scalar);
      try {
        const out = spec.forward(ctx); // [batch, pos, d_vocab]
        if (spec.keepLogits) logits = tf.keep(out);
        return checkedValue(spec.metric(out), spec.caller).add(s);
      } catch (err) {
        forwardError = err;
        return s.mul(1); // the pass still runs (and frees the tape); the error is rethrown below
      }
    })([seed]);
    value = total.dataSync()[0];
    tf.dispose([total, ...grads]);
  } finally {
    seed.dispose();
  }
  const run = ctx!;
  const failure = forwardError ?? run.backwardError;
  if (failure !== undefined) {
    run.disposeAll();
    logits?.dispose();
    throw failure;
  }
  for (const [name, shape] of Object.entries(run.shapes)) run.grads[name] ??= tf.zeros(shape);
  return { value, activations: run.cache, grads: run.grads, logits, connected: run.reached };
}
