/**
 * How a component declares its hook points: a table, in forward order, of
 *   hook_<name>: { shape, rank?, when? }          one hook point (what passes through it, and when it exists)
 *   <sub>:       { points: <table>, when?, … }    a sub-component's table, its names prefixed by "<sub>."
 * src/model/hookPoints.ts puts the tables together; `hookNames(cfg)`, the forward pass's name objects and the
 * `HookName` type are all read off them. This file imports nothing of ours but the config type.
 */
import type { TransformerConfig } from "../loading/config";

/** What decides whether a hook point exists: each gate is a test of the model's config. */
export const GATES = {
  /** The model has a LayerNorm or RMSNorm (normalizationType is not null). */
  norm: (cfg: TransformerConfig) => cfg.normalizationType !== null,
  /** Rotary position embeddings (hook_rot_q / hook_rot_k). */
  rotary: (cfg: TransformerConfig) => cfg.positionalEmbeddingType === "rotary",
  /** Learnt positions (standard or shortformer): W_pos exists. */
  notRotary: (cfg: TransformerConfig) => cfg.positionalEmbeddingType !== "rotary",
  /** The per-head outputs hook_result (off by default). */
  useAttnResult: (cfg: TransformerConfig) => cfg.useAttnResult,
  /** Per-head copies of the attention input, hook_q_input / k_input / v_input (off by default). */
  useSplitQkvInput: (cfg: TransformerConfig) => cfg.useSplitQkvInput,
  /** The block has an MLP (not attnOnly). */
  mlp: (cfg: TransformerConfig) => !cfg.attnOnly,
  /** The MLP reads resid_mid (not parallel attention and MLP). */
  sequential: (cfg: TransformerConfig) => !cfg.parallelAttnMlp,
  /** Gated (SwiGLU) MLP: hook_pre_linear. */
  gatedMlp: (cfg: TransformerConfig) => cfg.gatedMlp,
  /** Per-head RMSNorm of q and k (Qwen3): attn.q_norm / attn.k_norm. */
  qkNorm: (cfg: TransformerConfig) => cfg.qkNorm === true,
  /** Norms before attention and MLP (ln1, ln2): all but OLMo-2's post-norm-only blocks. */
  preNorm: (cfg: TransformerConfig) => cfg.normPlacement !== "post",
  /** Norms on the attention and MLP outputs (ln1_post, ln2_post): Gemma 2 / 3, OLMo-2. */
  postNorm: (cfg: TransformerConfig) => cfg.normPlacement !== undefined,
} as const;

/** The name of a gate. */
export type Gate = keyof typeof GATES;

/** Gates a user turns on by setting `model.cfg.<gate> = true` (the error for a hook that is off names them). */
export const FLAG_GATES: readonly Gate[] = ["useAttnResult", "useSplitQkvInput"];

/** One hook point. */
export interface PointSpec {
  /** The axes of the activation, TransformerLens's names, e.g. "[batch, pos, d_model]". */
  readonly shape: string;
  /** Its rank when fixed (the type `cache.get` returns: 3 → Tensor3D, 4 → Tensor4D). */
  readonly rank?: 3 | 4;
  /** It exists only when every gate holds. */
  readonly when?: readonly Gate[];
}

/** A sub-component's table inside another table. */
export interface SubTable {
  readonly points: PointTable;
  /** Its points exist only when every gate holds. */
  readonly when?: readonly Gate[];
  /** Repeated per layer: the names are "<key>.<layer>.<point>" (the blocks). */
  readonly perLayer?: true;
  /** With this gate on, every point gains a head axis (ln1 under useSplitQkvInput), so no fixed rank. */
  readonly headAxisWhen?: Gate;
}

/** A component's hook points and sub-components, in forward order. */
export interface PointTable {
  readonly [key: string]: PointSpec | SubTable;
}

/** True when every gate of `when` holds for `cfg`. */
export function gatesHold(when: readonly Gate[] | undefined, cfg: TransformerConfig): boolean {
  return when === undefined || when.every((gate) => GATES[gate](cfg));
}

/** True when `entry` is a hook point (not a sub-component's table). */
export function isPoint(entry: PointSpec | SubTable): entry is PointSpec {
  return "shape" in entry;
}
