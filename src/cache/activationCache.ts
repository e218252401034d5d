/**
 * ActivationCache: the activations one runWithCache kept, by hook name.
 * It owns its tensors; call dispose() when done.
 */
import type { Tensor } from "@tensorflow/tfjs-core";
import { unknownHookError } from "../model/hooks";

/** Activations of one forward pass. */
export class ActivationCache {
  private disposed = false;

  /** `validNames`: every hook point of the model (for error messages). */
  constructor(
    private readonly store: Record<string, Tensor>,
    private readonly validNames: string[],
  ) {}

  /** The activation at hook point `name` (owned by the cache: do not dispose it). */
  get(name: string): Tensor {
    if (this.disposed) throw new Error("this ActivationCache was disposed");
    const tensor = this.store[name];
    if (tensor) return tensor;
    if (this.validNames.includes(name)) throw new Error(`"${name}" was not cached (excluded by namesFilter or stopAtLayer)`);
    throw unknownHookError(name, this.validNames);
  }

  /** True when `name` was cached. */
  has(name: string): boolean {
    return !this.disposed && name in this.store;
  }

  /** Cached hook names, in forward order. */
  keys(): string[] {
    return this.disposed ? [] : this.validNames.filter((n) => n in this.store);
  }

  /** Number of cached activations. */
  get size(): number {
    return this.keys().length;
  }

  /** Frees every cached tensor. */
  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    const unique = new Set(Object.values(this.store));
    for (const t of unique) t.dispose();
  }
}
