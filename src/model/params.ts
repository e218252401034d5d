/**
 * The parameter store of a model: its tensors by TransformerLens name, the per-layer stacks (`W_Q` …
 * [n_layers, …]), and the weights the forward pass reads, rebuilt after any change. It owns every tensor
 * it holds and frees them on dispose.
 */
import type { Tensor } from "@tensorflow/tfjs-core";
import type { TransformerConfig } from "../loading/config";
import type { Params } from "../loading/keymaps/types";
import { tf } from "../tensor";
import { unknownHookError } from "./hooks";
import { forwardWeights, ModelWeights } from "./weights";

const ATTN_STACKED = ["W_Q", "W_K", "W_V", "W_O", "b_Q", "b_K", "b_V", "b_O"] as const;

/** Names of per-layer parameters `stacked()` accepts. */
export type StackedName = (typeof ATTN_STACKED)[number] | "W_in" | "W_out" | "b_in" | "b_out" | "W_gate";

/** A model's parameters and the forward pass's view of them. */
export class ParamStore {
  private weights: ModelWeights | undefined;
  private derived: Tensor[] = [];
  private disposed = false;

  /** Takes ownership of `params` (TransformerLens names and layouts). */
  constructor(
    private readonly cfg: TransformerConfig,
    private readonly params: Params,
  ) {}

  /** Throws once the store was disposed: every method but dispose() calls it first. */
  checkAlive(): void {
    if (this.disposed) throw new Error("this model was disposed: load it again (its parameters were freed)");
  }

  /** The parameter `name`, owned by the store. */
  get(name: string): Tensor {
    this.checkAlive();
    const t = this.params.get(name);
    if (!t) throw unknownHookError(name, [...this.params.keys()]);
    return t;
  }

  /** Names of all parameters. */
  names(): string[] {
    this.checkAlive();
    return [...this.params.keys()];
  }

  /** The parameters themselves (for saving): do not dispose or change them. */
  all(): ReadonlyMap<string, Tensor> {
    this.checkAlive();
    return this.params;
  }

  /** Replaces parameters; disposes the old tensors. */
  set(updates: Map<string, Tensor>): void {
    this.checkAlive();
    for (const [name, tensor] of updates) {
      const old = this.params.get(name);
      if (old && old !== tensor) old.dispose();
      this.params.set(name, tensor);
    }
    this.dropFused();
  }

  /** Removes parameters and disposes them. */
  delete(names: string[]): void {
    this.checkAlive();
    for (const name of names) {
      this.params.get(name)?.dispose();
      this.params.delete(name);
    }
    this.dropFused();
  }

  /** Per-layer parameters stacked on a new leading layer axis, e.g. W_Q [n_layers, heads, d_model, d_head] (caller disposes). */
  stacked(name: StackedName): Tensor {
    this.checkAlive();
    const component = (ATTN_STACKED as readonly string[]).includes(name) ? "attn" : "mlp";
    const perLayer = Array.from({ length: this.cfg.nLayers }, (_, l) => this.layerParam(l, component, name));
    return tf.stack(perLayer); // [n_layers, …]
  }

  /** One layer's parameter, expanding grouped K/V to every head as TransformerLens's W_K / W_V do. */
  private layerParam(l: number, component: string, name: string): Tensor {
    const direct = this.params.get(`blocks.${l}.${component}.${name}`);
    if (direct) return direct;
    const grouped = this.params.get(`blocks.${l}.${component}._${name}`); // [kvHeads, …]
    if (!grouped) throw new Error(`this model has no ${component}.${name}`);
    const groups = this.cfg.nHeads / grouped.shape[0];
    return tf.gather(
      grouped,
      Array.from({ length: this.cfg.nHeads }, (_, h) => Math.floor(h / groups)),
      0,
    ); // [heads, …]
  }

  /** The weights the forward pass reads, built on first use after a weight change. */
  compiled(): ModelWeights {
    this.checkAlive();
    if (this.weights) return this.weights;
    // Keep the tensors made for them (W_O's reshape) until the weights change.
    let weights: ModelWeights | undefined;
    const created = tf.tidy(() => {
      const built = forwardWeights(this.cfg, this.params);
      weights = built.weights;
      return built.created;
    });
    // Built on a first run inside the caller's tf.tidy, they would be freed with its scope: keep them from it.
    this.derived = created.map((t) => tf.keep(t));
    // Adding a zero b_U costs a full pass over the logits (a fifth of the unembedding's time at 50k tokens).
    if (weights!.b_U && tf.tidy(() => weights!.b_U!.abs().max().dataSync()[0]) === 0) weights!.b_U = undefined;
    this.weights = weights!;
    return weights!;
  }

  private dropFused(): void {
    tf.dispose(this.derived);
    this.derived = [];
    this.weights = undefined;
  }

  /** Frees every parameter and derived weight; the store is unusable after. */
  dispose(): void {
    if (this.disposed) return;
    this.dropFused();
    tf.dispose([...this.params.values()]);
    this.params.clear();
    this.disposed = true;
  }
}
