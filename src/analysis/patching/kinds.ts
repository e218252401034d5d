/**
 * What each activation-patching sweep patches: the hook point (per layer), and the index axes
 * after `layer` — each with the activation axis it fixes and its length. The output of a sweep
 * is [n_layers, ...axis lengths], as TransformerLens's patching module returns it.
 */
import type { TransformerConfig } from "../../loading/config";
import type { BlockHookSuffix } from "../../model/hookPoints";

/** An index axis of a sweep. */
export interface IndexAxis {
  name: "pos" | "head" | "dest" | "src";
  /** The activation axis (0 = batch) this index fixes. */
  actAxis: number;
}

/** One kind of patch. */
export interface PatchKind {
  /** Hook point after "blocks.{l}.", e.g. "hook_resid_pre" or "attn.hook_z". */
  hook: BlockHookSuffix;
  axes: IndexAxis[];
}

const pos: IndexAxis = { name: "pos", actAxis: 1 };

/** Every sweep tslens runs, by TransformerLens's helper name without "get_act_patch_". */
export const PATCH_KINDS = {
  resid_pre: { hook: "hook_resid_pre", axes: [pos] },
  resid_mid: { hook: "hook_resid_mid", axes: [pos] },
  attn_out: { hook: "hook_attn_out", axes: [pos] },
  mlp_out: { hook: "hook_mlp_out", axes: [pos] },
  attn_head_out_by_pos: { hook: "attn.hook_z", axes: [pos, { name: "head", actAxis: 2 }] },
  attn_head_q_by_pos: { hook: "attn.hook_q", axes: [pos, { name: "head", actAxis: 2 }] },
  attn_head_k_by_pos: { hook: "attn.hook_k", axes: [pos, { name: "head", actAxis: 2 }] },
  attn_head_v_by_pos: { hook: "attn.hook_v", axes: [pos, { name: "head", actAxis: 2 }] },
  attn_head_pattern_by_pos: {
    hook: "attn.hook_pattern",
    axes: [
      { name: "head", actAxis: 1 },
      { name: "dest", actAxis: 2 },
    ],
  },
  attn_head_pattern_dest_src_pos: {
    hook: "attn.hook_pattern",
    axes: [
      { name: "head", actAxis: 1 },
      { name: "dest", actAxis: 2 },
      { name: "src", actAxis: 3 },
    ],
  },
  attn_head_out_all_pos: { hook: "attn.hook_z", axes: [{ name: "head", actAxis: 2 }] },
  attn_head_q_all_pos: { hook: "attn.hook_q", axes: [{ name: "head", actAxis: 2 }] },
  attn_head_k_all_pos: { hook: "attn.hook_k", axes: [{ name: "head", actAxis: 2 }] },
  attn_head_v_all_pos: { hook: "attn.hook_v", axes: [{ name: "head", actAxis: 2 }] },
  attn_head_pattern_all_pos: { hook: "attn.hook_pattern", axes: [{ name: "head", actAxis: 1 }] },
} satisfies Record<string, PatchKind>;

export type PatchKindName = keyof typeof PATCH_KINDS;

/** The activation axis that holds query positions: 2 for attention patterns [batch, head, dest, src], else 1. */
export function queryAxis(kind: PatchKind): number {
  return kind.hook === "attn.hook_pattern" ? 2 : 1;
}

/**
 * The first position a run with index `tuple` changes: its "pos" or "dest" index, or 0 when it patches every
 * position. With causal attention, positions before it stay as in the corrupted run.
 */
export function firstChangedPosition(kind: PatchKind, tuple: number[]): number {
  const i = kind.axes.findIndex((axis) => axis.name === "pos" || axis.name === "dest");
  return i < 0 ? 0 : tuple[i];
}

/** Length of each index axis for `cfg` and `nPos` tokens (k and v heads are the KV heads under GQA). */
export function axisSizes(kind: PatchKind, cfg: TransformerConfig, nPos: number): number[] {
  const kvHook = kind.hook === "attn.hook_k" || kind.hook === "attn.hook_v";
  return kind.axes.map((axis) => (axis.name === "head" ? (kvHook ? (cfg.nKeyValueHeads ?? cfg.nHeads) : cfg.nHeads) : nPos));
}
