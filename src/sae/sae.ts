/**
 * A sparse autoencoder (or transcoder) in SAELens's inference form: encode, decode, forward, with SAELens's hook
 * points inside (`hook_sae_input`, `hook_sae_acts_pre`, `hook_sae_acts_post`, `hook_sae_recons`, and, when spliced
 * into a model, `hook_sae_error` and `hook_sae_output`).
 *
 * Encode (x [..., d_in]; a hook_z SAE takes [..., heads, d_head] and flattens the last two):
 *   sae_in = hook_sae_input(x) → normalised (normalize_activations) → − b_dec if apply_b_dec_to_input (SAEs only)
 *   pre = hook_sae_acts_pre(sae_in · W_enc + b_enc)
 *   standard: ReLU(pre) · jumprelu: ReLU(pre) · [pre > threshold] · topk: ReLU of the k largest (pre, or
 *   pre · ‖W_dec row‖ when rescale_acts_by_decoder_norm), 0 elsewhere · gated: [x·W_enc + b_gate > 0] ·
 *   ReLU(hook_sae_acts_pre(x·(W_enc ⊙ exp(r_mag)) + b_mag))
 *   → hook_sae_acts_post
 * Decode: hook_sae_recons(f · W_dec + b_dec) → de-normalised → back to [..., heads, d_head] for hook_z
 * (transcoders: f · W_dec + b_dec only).
 */
import type { Tensor } from "@tensorflow/tfjs-core";
import { tf } from "../tensor";
import type { SaeConfig } from "./config";

/** The hook points inside an SAE, as SAELens names them (a spliced SAE's are `<hook>.<suffix>`). */
export const SAE_HOOK_SUFFIXES = [
  "hook_sae_input",
  "hook_sae_acts_pre",
  "hook_sae_acts_post",
  "hook_sae_recons",
  "hook_sae_error",
  "hook_sae_output",
] as const;
export type SaeHookSuffix = (typeof SAE_HOOK_SUFFIXES)[number];

/** Called at each hook point inside the SAE; returns the tensor to carry on with. */
export type SaeTap = (suffix: SaeHookSuffix, activation: Tensor) => Tensor;

/** The input statistics normalize_activations divides out on encode and multiplies back on decode. */
export interface SaeNormState {
  /** constant_norm_rescale: √d_in / ‖x‖, [..., 1]. */
  coeff?: Tensor;
  /** layer_norm: mean and unbiased std of x, [..., 1] each. */
  mean?: Tensor;
  std?: Tensor;
}

const untapped: SaeTap = (_, t) => t;
const LAYER_NORM_EPS = 1e-5;

/** x [..., n] · w [n, m] (+ b [m]) → [..., m]. */
function linear(x: Tensor, w: Tensor, b?: Tensor): Tensor {
  const lead = x.shape.slice(0, -1);
  const [n, m] = w.shape as [number, number];
  const out = tf.matMul(x.reshape([-1, n]), w); // [rows, m]
  const shaped = out.reshape([...lead, m]);
  return b ? shaped.add(b) : shaped;
}

/** A loaded SAE. Owns its weights: call dispose() when done. */
export class Sae {
  private disposed = false;

  /** `weights`: SAELens's parameter names (W_enc, b_enc, W_dec, b_dec, threshold, b_gate, r_mag, b_mag, W_skip). */
  constructor(
    readonly cfg: SaeConfig,
    private readonly weights: Readonly<Record<string, Tensor>>,
    /** Where it was loaded from. */
    readonly source: string,
  ) {}

  /** A parameter by SAELens's name, e.g. `W_dec` [d_sae, d_out] (owned by the SAE: do not dispose). */
  weight(name: string): Tensor {
    this.checkAlive();
    const w = this.weights[name];
    if (!w) throw new Error(`${this.describe()} has no parameter "${name}"; it has ${Object.keys(this.weights).join(", ")}`);
    return w;
  }

  /** Feature activations [..., d_sae] of activations x [..., d_in] (hook_z SAEs: [..., heads, d_head]). */
  encode(x: Tensor): Tensor {
    return tf.tidy(() => this.encodeWith(x, untapped).acts);
  }

  /**
   * The reconstruction [..., d_out] of feature activations f [..., d_sae] (hook_z SAEs: flat [..., heads·d_head]).
   * SAEs whose normalize_activations divides by the input's own statistics (constant_norm_rescale, layer_norm) need
   * that input: use forward(x).
   */
  decode(f: Tensor): Tensor {
    this.checkAlive();
    const mode = this.cfg.normalizeActivations;
    if (!this.isTranscoder() && (mode === "constant_norm_rescale" || mode === "layer_norm"))
      throw new Error(
        `${this.describe()}: decode(f) needs the input's statistics (normalize_activations "${mode}"); use forward(x)`,
      );
    this.checkWidth(f, this.cfg.dSae, "d_sae", "decode");
    return tf.tidy(() => this.decodeWith(f, {}, untapped));
  }

  /** decode(encode(x)), in x's shape [..., d_in] (transcoders: [..., d_out], plus x · W_skipᵀ for skip transcoders). */
  forward(x: Tensor): Tensor {
    return tf.tidy(() => {
      const { acts, norm, headShape } = this.encodeWith(x, untapped);
      return this.withSkip(x, this.decodeWith(acts, norm, untapped, headShape));
    });
  }

  /** Frees the weights. */
  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    tf.dispose(Object.values(this.weights));
  }

  /** True once dispose() ran. */
  get isDisposed(): boolean {
    return this.disposed;
  }

  /** True for transcoders (they read cfg.hookName and write cfg.hookNameOut). */
  isTranscoder(): boolean {
    return this.cfg.architecture.endsWith("transcoder");
  }

  /** "the standard SAE at blocks.1.hook_resid_pre (folder)". */
  describe(): string {
    return `the ${this.cfg.architecture} SAE at ${this.cfg.hookName} (${this.source})`;
  }

  /** Throws unless the last axis of `t` is `width` (the cfg field `field`). */
  private checkWidth(t: Tensor, width: number, field: string, what: string): void {
    if (t.rank < 1 || t.shape[t.rank - 1] !== width)
      throw new Error(`${this.describe()}: ${what} got shape [${t.shape}], but its last axis must be ${field} = ${width}`);
  }

  /** encode with taps at the SAE's hook points; returns the activations, the normalisation state and hook_z's head shape. */
  encodeWith(x: Tensor, tap: SaeTap): { acts: Tensor; norm: SaeNormState; headShape?: number[] } {
    this.checkAlive();
    let headShape: number[] | undefined;
    if (this.cfg.reshapeActivations === "hook_z") {
      if (x.rank < 2 || x.shape[x.rank - 2]! * x.shape[x.rank - 1]! !== this.cfg.dIn)
        throw new Error(
          `${this.describe()}: a hook_z SAE reads [..., heads, d_head] with heads × d_head = d_in = ${this.cfg.dIn}, got [${x.shape}]`,
        );
      headShape = x.shape.slice(-2);
      x = x.reshape([...x.shape.slice(0, -2), this.cfg.dIn]); // [..., heads·d_head]
    }
    this.checkWidth(x, this.cfg.dIn, "d_in", "an input");
    let sae_in = tap("hook_sae_input", x); // [..., d_in]
    const norm: SaeNormState = {};
    if (this.cfg.normalizeActivations === "constant_norm_rescale") {
      norm.coeff = tf.scalar(Math.sqrt(this.cfg.dIn)).div(tf.norm(sae_in, "euclidean", -1, true)); // [..., 1]
      sae_in = sae_in.mul(norm.coeff);
    } else if (this.cfg.normalizeActivations === "layer_norm") {
      norm.mean = sae_in.mean(-1, true); // [..., 1]
      const centred = sae_in.sub(norm.mean);
      norm.std = centred
        .square()
        .sum(-1, true)
        .div(this.cfg.dIn - 1)
        .sqrt(); // unbiased, [..., 1]
      sae_in = centred.div(norm.std.add(LAYER_NORM_EPS));
    }
    if (this.cfg.applyBDecToInput && !this.isTranscoder()) sae_in = sae_in.sub(this.weight("b_dec"));
    return { acts: tap("hook_sae_acts_post", this.activate(sae_in, tap)), norm, headShape };
  }

  /** Feature activations [..., d_sae] of the prepared input [..., d_in], before hook_sae_acts_post. */
  private activate(sae_in: Tensor, tap: SaeTap): Tensor {
    const arch = this.cfg.architecture;
    if (arch === "gated") {
      const gate = linear(sae_in, this.weight("W_enc"), this.weight("b_gate")).greater(0).toFloat(); // [..., d_sae]
      const wMag = this.weight("W_enc").mul(this.weight("r_mag").exp()); // [d_in, d_sae]
      const magnitude = tap("hook_sae_acts_pre", linear(sae_in, wMag, this.weight("b_mag"))); // [..., d_sae]
      return gate.mul(magnitude.relu());
    }
    const pre = tap("hook_sae_acts_pre", linear(sae_in, this.weight("W_enc"), this.weight("b_enc"))); // [..., d_sae]
    if (arch === "topk") {
      const ranked = this.cfg.rescaleActsByDecoderNorm ? pre.mul(this.decoderNorms()) : pre;
      // The k-th largest value per row is the bar: a mask [..., d_sae] instead of a one-hot [..., k, d_sae].
      // Rows differ from a scatter of the top k only on exact ties above 0 (ties at or below 0 are cut by relu).
      const last = ranked.rank - 1;
      const begin = ranked.shape.map((_, axis) => (axis === last ? this.cfg.k! - 1 : 0));
      const size = ranked.shape.map((n, axis) => (axis === last ? 1 : n));
      const kth = tf.topk(ranked, this.cfg.k!).values.slice(begin, size); // [..., 1]
      return ranked.relu().mul(ranked.greaterEqual(kth).toFloat());
    }
    if (arch.startsWith("jumprelu")) return pre.relu().mul(pre.greater(this.weight("threshold")).toFloat());
    return pre.relu();
  }

  /** ‖W_dec row‖ per feature, [d_sae]. */
  private decoderNorms(): Tensor {
    return tf.norm(this.weight("W_dec"), "euclidean", -1);
  }

  /** decode with taps: the reconstruction, de-normalised with `norm`, in hook_z's `headShape` when given. */
  decodeWith(acts: Tensor, norm: SaeNormState, tap: SaeTap, headShape?: number[]): Tensor {
    this.checkAlive();
    const scaled = this.cfg.rescaleActsByDecoderNorm ? acts.div(this.decoderNorms()) : acts;
    let out = tap("hook_sae_recons", linear(scaled, this.weight("W_dec"), this.weight("b_dec"))); // [..., d_out]
    if (this.isTranscoder()) return out;
    if (norm.coeff) out = out.div(norm.coeff);
    if (norm.std && norm.mean) out = out.mul(norm.std).add(norm.mean);
    return headShape ? out.reshape([...out.shape.slice(0, -1), ...headShape]) : out;
  }

  /** Adds a skip transcoder's x · W_skipᵀ to `out` (other SAEs: `out` as it is). */
  withSkip(x: Tensor, out: Tensor): Tensor {
    if (!this.cfg.architecture.includes("skip")) return out;
    return out.add(linear(x, this.weight("W_skip").transpose()));
  }

  private checkAlive(): void {
    if (this.disposed) throw new Error(`${this.describe()} was disposed`);
  }
}
