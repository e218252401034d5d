/**
 * Weight processing at load, as TransformerLens's from_pretrained does by default.
 * Each step leaves log-probabilities unchanged:
 * - foldLn: LayerNorm / RMSNorm weights (and LN biases) move into the next linear map;
 *   norms become LNPre / RMSPre. LN also centres the reading weights.
 * - centerWritingWeights (LN only): whatever writes to the residual stream has zero mean over d_model.
 * - centerUnembed: W_U and b_U have zero mean over the vocabulary (logits shift per position); skipped under
 *   final-logit soft-capping, where a shift is not harmless.
 * Post-norms (ln1_post, ln2_post: Gemma 2 / 3, OLMo-2) sit after the writing weights and keep their weights.
 * - foldValueBiases: b_V moves into b_O (pattern rows sum to 1).
 */
import type { Tensor } from "@tensorflow/tfjs-core";
import { tf } from "../tensor";
import type { HookedTransformer } from "./hookedTransformer";

/** Which steps to run (all by default). */
export interface ProcessWeightsOptions {
  foldLn?: boolean;
  centerWritingWeights?: boolean;
  centerUnembed?: boolean;
  foldValueBiases?: boolean;
}

/** Parameter edits collected in one pass, applied together. */
class Edits {
  readonly updates = new Map<string, Tensor>();
  readonly deleted: string[] = [];
  constructor(private readonly model: HookedTransformer) {}
  has(name: string): boolean {
    return !this.deleted.includes(name) && (this.updates.has(name) || this.model.paramNames().includes(name));
  }
  get(name: string): Tensor {
    return this.updates.get(name) ?? this.model.param(name);
  }
  set(name: string, value: Tensor): void {
    const previous = this.updates.get(name);
    if (previous && previous !== value) previous.dispose();
    this.updates.set(name, tf.keep(value));
  }
}

const centred = (w: Tensor, axis: number) => w.sub(w.mean(axis, true));

function foldLn(model: HookedTransformer, e: Edits): void {
  const { cfg } = model;
  const isLn = cfg.normalizationType === "LN";
  if (!isLn && cfg.normalizationType !== "RMS") return;
  const fold = (ln: string, readers: { w: string; b?: string; headed: boolean }[]) => {
    if (!e.has(`${ln}.w`)) return; // OLMo-2 has no ln1 / ln2 (its norms come after the sublayers and stay)
    const w = e.get(`${ln}.w`); // [d_model]
    const b = isLn ? e.get(`${ln}.b`) : undefined;
    for (const r of readers) {
      if (!e.has(r.w)) continue;
      const W = e.get(r.w); // [h, d_model, e] or [d_model, m]
      const scale = r.headed ? w.reshape([1, -1, 1]) : w.reshape([-1, 1]);
      const dAxis = r.headed ? 1 : 0;
      if (b && r.b && e.has(r.b)) {
        const extra = r.headed ? W.mul(b.reshape([1, -1, 1])).sum(1) : tf.matMul(b.reshape([1, -1]), W).reshape([-1]);
        e.set(r.b, e.get(r.b).add(extra));
      }
      const scaled = W.mul(scale);
      e.set(r.w, isLn ? centred(scaled, dAxis) : scaled);
    }
    e.deleted.push(`${ln}.w`, ...(isLn ? [`${ln}.b`] : []));
  };
  for (let l = 0; l < cfg.nLayers; l++) {
    const a = `blocks.${l}.attn.`;
    const heads = ["Q", "K", "V"].flatMap((x) => [
      { w: `${a}W_${x}`, b: `${a}b_${x}`, headed: true },
      { w: `${a}_W_${x}`, b: `${a}_b_${x}`, headed: true },
    ]);
    fold(`blocks.${l}.ln1`, heads);
    if (!cfg.attnOnly) {
      const m = `blocks.${l}.mlp.`;
      fold(`blocks.${l}.ln2`, [
        { w: `${m}W_in`, b: `${m}b_in`, headed: false },
        { w: `${m}W_gate`, headed: false },
      ]);
    }
  }
  fold("ln_final", [{ w: "unembed.W_U", b: "unembed.b_U", headed: false }]);
  cfg.normalizationType = isLn ? "LNPre" : "RMSPre";
}

function centerWritingWeights(model: HookedTransformer, e: Edits): void {
  const { cfg } = model;
  if (cfg.normalizationType !== "LN" && cfg.normalizationType !== "LNPre") return;
  e.set("embed.W_E", centred(e.get("embed.W_E"), -1));
  if (e.has("pos_embed.W_pos")) e.set("pos_embed.W_pos", centred(e.get("pos_embed.W_pos"), -1));
  for (let l = 0; l < cfg.nLayers; l++) {
    const b = `blocks.${l}.`;
    e.set(`${b}attn.W_O`, centred(e.get(`${b}attn.W_O`), -1));
    e.set(`${b}attn.b_O`, centred(e.get(`${b}attn.b_O`), -1));
    if (cfg.attnOnly) continue;
    e.set(`${b}mlp.W_out`, centred(e.get(`${b}mlp.W_out`), -1));
    e.set(`${b}mlp.b_out`, centred(e.get(`${b}mlp.b_out`), -1));
  }
}

function centerUnembed(e: Edits): void {
  e.set("unembed.W_U", centred(e.get("unembed.W_U"), 1));
  e.set("unembed.b_U", centred(e.get("unembed.b_U"), 0));
}

function foldValueBiases(model: HookedTransformer, e: Edits, recentre: boolean): void {
  const { cfg } = model;
  for (let l = 0; l < cfg.nLayers; l++) {
    const a = `blocks.${l}.attn.`;
    const name = e.has(`${a}b_V`) ? `${a}b_V` : `${a}_b_V`;
    const bV = e.get(name); // [h or kv, e]
    const groups = cfg.nHeads / bV.shape[0];
    const perHead =
      groups === 1
        ? bV
        : tf.gather(
            bV,
            Array.from({ length: cfg.nHeads }, (_, h) => Math.floor(h / groups)),
            0,
          );
    let bO = e.get(`${a}b_O`).add(e.get(`${a}W_O`).mul(perHead.expandDims(2)).sum([0, 1]));
    if (recentre) bO = centred(bO, -1);
    e.set(`${a}b_O`, bO);
    e.set(name, tf.zerosLike(bV));
  }
}

/** Processes `model`'s weights in place (see the file comment); returns the model. */
export function processWeights(model: HookedTransformer, options: ProcessWeightsOptions = {}): HookedTransformer {
  const e = new Edits(model);
  try {
    tf.tidy(() => {
      // Shortformer q/k read ln1(x) + W_pos: folding ln1 into W_Q/W_K would rescale the positions too,
      // so (as TransformerLens's from_pretrained) these models skip folding and centring by default.
      const shortformer = model.cfg.positionalEmbeddingType === "shortformer";
      if (shortformer && options.foldLn) throw new Error("foldLn is not valid for shortformer models: W_pos is added after ln1");
      if (options.foldLn ?? !shortformer) foldLn(model, e);
      const centre = options.centerWritingWeights ?? !shortformer;
      if (centre) centerWritingWeights(model, e);
      // Soft-capped logits (Gemma 2) change under a per-position shift, so, as TransformerLens, W_U stays uncentred.
      const softCapped = model.cfg.outputLogitsSoftCap !== undefined;
      if (softCapped && options.centerUnembed)
        throw new Error("centerUnembed is not valid for a model with final-logit soft-capping (it would change the log-probs)");
      if (options.centerUnembed ?? (!shortformer && !softCapped)) centerUnembed(e);
      const isLn = model.cfg.normalizationType === "LN" || model.cfg.normalizationType === "LNPre";
      if (options.foldValueBiases ?? true) foldValueBiases(model, e, centre && isLn);
    });
  } catch (err) {
    tf.dispose([...e.updates.values()]);
    throw err;
  }
  model.setParams(e.updates);
  model.deleteParams(e.deleted);
  return model;
}
