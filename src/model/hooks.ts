/**
 * Hook points: every activation worth seeing passes through `ctx.point(name, x)`,
 * which runs the forward hooks registered for that name (a hook may return a
 * replacement tensor) and then stores the result in the cache when asked to.
 * Names and shapes are TransformerLens's, verbatim.
 */
import type { Tensor } from "@tensorflow/tfjs-core";
import { tf } from "../tensor";
import type { HookName } from "./hookPoints";

/** What a hook function receives besides the activation. */
export interface HookInfo {
  /** The hook point's name, e.g. "blocks.0.attn.hook_pattern". */
  name: HookName;
}

/** A forward hook: return a tensor to replace the activation, or nothing to keep it. */
export type HookFn = (activation: Tensor, hook: HookInfo) => Tensor | void;

/** A hook target: one hook point name (a misspelt one is a compile error), or a predicate over names. */
export type HookTarget = HookName | ((name: HookName) => boolean);

/** Per-forward state: hooks to run and, for runWithCache, what to keep. */
export class HookContext {
  /** Activations kept for the cache (name → tensor); owned by whoever runs the forward. */
  readonly cache: Record<string, Tensor> = {};

  constructor(
    private readonly hooks: [HookTarget, HookFn][] = [],
    private readonly cacheFilter?: (name: HookName) => boolean,
  ) {}

  /** Frees cached activations (after a failed forward). */
  disposeCache(): void {
    tf.dispose([...new Set(Object.values(this.cache))]);
  }

  /** Passes activation `x` through hook point `name` (a name from the components' tables, see hookPoints.ts). */
  point(name: HookName, x: Tensor): Tensor {
    for (const [target, fn] of this.hooks) {
      if (typeof target === "string" ? target !== name : !target(name)) continue;
      const replaced: unknown = fn(x, { name });
      if (replaced === undefined || replaced === null) continue;
      const expected = `return a tf.Tensor of shape [${x.shape}] or nothing`;
      if (!isTensor(replaced)) throw new Error(`hook on ${name} returned ${describeValue(replaced)}; ${expected}`);
      if (replaced.isDisposed) throw new Error(`hook on ${name} returned a disposed tensor; ${expected}`);
      if (replaced.shape.join() !== x.shape.join()) {
        throw new Error(`hook on ${name} returned shape [${replaced.shape}] but the activation has shape [${x.shape}]`);
      }
      x = replaced;
    }
    if (this.cacheFilter?.(name)) this.cache[name] = tf.keep(x); // survives the per-block tidy scopes
    return x;
  }
}

/** True when `value` is a tfjs tensor (tslens loads exactly one tfjs-core, so its class decides). */
export function isTensor(value: unknown): value is Tensor {
  return value instanceof tf.Tensor;
}

/** A short description of a value for error messages: "a number (3)", "a Promise", "an array of 2", "undefined", … */
export function describeValue(value: unknown): string {
  if (value === null || value === undefined) return String(value);
  if (isTensor(value)) return `a tensor of shape [${value.shape}]`;
  if (typeof value === "object" && typeof (value as { then?: unknown }).then === "function")
    return "a Promise (hooks and metrics must be synchronous)";
  if (Array.isArray(value)) return `an array of ${value.length}`;
  if (typeof value === "number" || typeof value === "boolean") return `a ${typeof value} (${value})`;
  if (typeof value === "string") return `a string (${JSON.stringify(value.length > 40 ? value.slice(0, 40) + "…" : value)})`;
  if (typeof value === "function") return "a function";
  return `an object (${Object.prototype.toString.call(value).slice(8, -1)})`;
}

/**
 * Checks that `hooks` is a list of [hook name or predicate, function] pairs; `option` names it in the error
 * (e.g. "runWithHooks's fwdHooks"). Returns the list.
 */
export function checkHookList(hooks: unknown, option: string): [HookTarget, HookFn][] {
  const shape = "a list of [hook name or (name) => boolean, (activation, hook) => tensor | void] pairs";
  if (!Array.isArray(hooks)) throw new Error(`${option} must be ${shape}, got ${describeValue(hooks)}`);
  hooks.forEach((entry: unknown, i) => {
    if (!Array.isArray(entry) || entry.length !== 2)
      throw new Error(`${option}[${i}] must be a [hook name or predicate, function] pair, got ${describeValue(entry)}`);
    const [target, fn] = entry as unknown[];
    if (typeof target !== "string" && typeof target !== "function")
      throw new Error(`${option}[${i}][0] must be a hook name or a (name) => boolean predicate, got ${describeValue(target)}`);
    if (typeof fn !== "function")
      throw new Error(
        `${option}[${i}][1] (the hook on ${typeof target === "string" ? target : "the predicate's names"}) must be a function, got ${describeValue(fn)}`,
      );
  });
  return hooks as [HookTarget, HookFn][];
}

/** Levenshtein distance, for "did you mean" suggestions. */
function distance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    let prev = row[0];
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const next = Math.min(row[j] + 1, row[j - 1] + 1, prev + (a[i - 1] === b[j - 1] ? 0 : 1));
      prev = row[j];
      row[j] = next;
    }
  }
  return row[b.length];
}

/** An error for an unknown hook name, suggesting the closest valid one. */
export function unknownHookError(name: string, valid: readonly string[]): Error {
  let best = valid[0];
  for (const candidate of valid) if (distance(name, candidate) < distance(name, best)) best = candidate;
  return new Error(`unknown hook point "${name}"${best ? `; did you mean "${best}"?` : ""}`);
}
