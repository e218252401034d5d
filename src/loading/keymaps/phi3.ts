/**
 * Phi3ForCausalLM → TransformerLens parameters. Phi-3 is the Llama layout with two fused projections:
 * `self_attn.qkv_proj.weight` [(heads + 2·kv_heads)·d_head, d_model] holds q, k and v stacked along its rows (in that
 * order), and `mlp.gate_up_proj.weight` [2·d_mlp, d_model] holds gate then up (transformers `chunk(2)`s its output
 * into gate, up). A reader that serves the Llama names as row slices of the fused tensors lets llama.ts do the rest.
 */
import type { Tensor } from "@tensorflow/tfjs-core";
import type { TransformerConfig } from "../config";
import { llamaKeyMap } from "./llama";
import type { KeyMap, WeightReader } from "./types";

/** Where a Llama tensor lives inside a fused Phi-3 tensor: its rows [start, start + rows) of `fused` [fusedRows, d]. */
interface FusedPart {
  fused: string;
  fusedRows: number;
  start: number;
  rows: number;
}

/** The fused tensor and row range a Llama-named projection of layer l comes from, or undefined for other names. */
function fusedPart(name: string, cfg: TransformerConfig): FusedPart | undefined {
  const m = /^(model\.layers\.\d+\.)(self_attn|mlp)\.(q_proj|k_proj|v_proj|gate_proj|up_proj)\.weight$/.exec(name);
  if (!m) return undefined;
  const [, layer, , proj] = m;
  const { nHeads: h, dHead: e, dMlp: mlp } = cfg;
  const kv = cfg.nKeyValueHeads ?? h;
  const qkvRows = (h + 2 * kv) * e;
  const parts: Record<string, FusedPart> = {
    q_proj: { fused: `${layer}self_attn.qkv_proj.weight`, fusedRows: qkvRows, start: 0, rows: h * e },
    k_proj: { fused: `${layer}self_attn.qkv_proj.weight`, fusedRows: qkvRows, start: h * e, rows: kv * e },
    v_proj: { fused: `${layer}self_attn.qkv_proj.weight`, fusedRows: qkvRows, start: (h + kv) * e, rows: kv * e },
    gate_proj: { fused: `${layer}mlp.gate_up_proj.weight`, fusedRows: 2 * mlp, start: 0, rows: mlp },
    up_proj: { fused: `${layer}mlp.gate_up_proj.weight`, fusedRows: 2 * mlp, start: mlp, rows: mlp },
  };
  return parts[proj];
}

/**
 * A WeightReader over a Phi-3 checkpoint that answers the Llama names: q/k/v_proj and gate/up_proj are row slices
 * of the fused tensors (each fused tensor is read once and freed when its last part was taken); every other name
 * passes through.
 */
class SplittingReader implements WeightReader {
  /** Fused tensors read and not yet fully handed out: the tensor and how many of its parts are still to come. */
  private readonly open = new Map<string, { tensor: Tensor; remaining: number }>();

  constructor(
    private readonly inner: WeightReader,
    private readonly cfg: TransformerConfig,
  ) {}

  /** True when the checkpoint has `key`, or the fused tensor holding it. */
  has(key: string): boolean {
    const part = fusedPart(key, this.cfg);
    return this.inner.has(part ? part.fused : key);
  }

  /** The tensor `key` [...shape]; for a fused part, the fused tensor's shape is what is checked (and named in errors). */
  async get(key: string, shape: number[]): Promise<Tensor> {
    const part = fusedPart(key, this.cfg);
    if (!part) return this.inner.get(key, shape);
    let entry = this.open.get(part.fused);
    if (!entry) {
      const fused = await this.inner.get(part.fused, [part.fusedRows, shape[1]]); // [fusedRows, d_model]
      entry = { tensor: fused, remaining: part.fused.endsWith("qkv_proj.weight") ? 3 : 2 };
      this.open.set(part.fused, entry);
    }
    const slice = entry.tensor.slice([part.start, 0], [part.rows, -1]); // [rows, d_model]
    if (--entry.remaining === 0) {
      entry.tensor.dispose();
      this.open.delete(part.fused);
    }
    return slice;
  }

  /** Frees fused tensors whose parts were not all taken (after an error). */
  dispose(): void {
    for (const { tensor } of this.open.values()) tensor.dispose();
    this.open.clear();
  }
}

/** Maps Phi-3 checkpoints: fused qkv_proj and gate_up_proj split into Llama's projections, then the Llama mapping. */
export const phi3KeyMap: KeyMap = async (reader, cfg, hf) => {
  const splitting = new SplittingReader(reader, cfg);
  try {
    return await llamaKeyMap(splitting, cfg, hf);
  } finally {
    splitting.dispose();
  }
};
