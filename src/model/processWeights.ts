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
 *
 * Each parameter is replaced as soon as its processed value exists (the old tensor freed then), one step at a
 * time, so processing needs little memory beyond the model's own; the unembedding, often the largest tensor, is
 * rebuilt in slices (processUnembed.ts).
 */
import type { Tensor } from "@tensorflow/tfjs-core";
import { tf } from "../tensor";
import type { HookedTransformer } from "./hookedTransformer";
import { GarbagePacer } from "../loading/tensorMemory";
import { processUnembed } from "./processUnembed";

/** Which steps to run (all by default). */
export interface ProcessWeightsOptions {
  foldLn?: boolean;
  centerWritingWeights?: boolean;
  centerUnembed?: boolean;
  foldValueBiases?: boolean;
}

/**
 * Parameter edits applied at once: each replacement frees the tensor it replaces, so old and new weights coexist
 * one tensor at a time. Folded norm weights are removed at the end.
 */
class Edits {
  private readonly names: Set<string>;
  private readonly dropped = new Set<string>();
  private readonly pacer = new GarbagePacer(256 * 1024 * 1024);
  constructor(private readonly model: HookedTransformer) {
    this.names = new Set(model.paramNames());
  }
  has(name: string): boolean {
    return this.names.has(name) && !this.dropped.has(name);
  }
  get(name: string): Tensor {
    return this.model.param(name);
  }
  /** Replaces `name` by `value` now (kept out of any enclosing tidy) and frees the old tensor. */
  set(name: string, value: Tensor): void {
    const oldBytes = this.names.has(name) ? this.model.param(name).size * 4 : 0;
    this.model.setParams(new Map([[name, tf.keep(value)]]));
    this.names.add(name);
    // A replaced weight may have lived in an array loading made: collect those every so often.
    this.pacer.allocated(oldBytes);
  }
  /** Frees `name` now; it must be set again before processing ends. */
  free(name: string): void {
    this.model.deleteParams([name]);
    this.names.delete(name);
  }
  /** Marks `name` for removal when processing ends. */
  drop(name: string): void {
    this.dropped.add(name);
  }
  /** Removes the dropped parameters. */
  finish(): void {
    this.model.deleteParams([...this.dropped].filter((name) => this.names.has(name)));
  }
}

const centred = (w: Tensor, axis: number) => w.sub(w.mean(axis, true));

/** Folds the blocks' norms into the maps that read them (ln_final is folded with the unembedding). */
function foldLn(model: HookedTransformer, e: Edits): void {
  const { cfg } = model;
  const isLn = cfg.normalizationType === "LN";
  if (!isLn && cfg.normalizationType !== "RMS") return;
  const fold = (ln: string, readers: { w: string; b?: string; headed: boolean }[]) => {
    if (!e.has(`${ln}.w`)) return; // OLMo-2 has no ln1 / ln2 (its norms come after the sublayers and stay)
    for (const r of readers) {
      if (!e.has(r.w)) continue;
      tf.tidy(() => {
        const w = e.get(`${ln}.w`); // [d_model]
        const b = isLn ? e.get(`${ln}.b`) : undefined;
        const W = e.get(r.w); // [h, d_model, e] or [d_model, m]
        const scale = r.headed ? w.reshape([1, -1, 1]) : w.reshape([-1, 1]);
        const dAxis = r.headed ? 1 : 0;
        if (b && r.b && e.has(r.b)) {
          const extra = r.headed ? W.mul(b.reshape([1, -1, 1])).sum(1) : tf.matMul(b.reshape([1, -1]), W).reshape([-1]);
          e.set(r.b, e.get(r.b).add(extra));
        }
        const scaled = W.mul(scale);
        e.set(r.w, isLn ? centred(scaled, dAxis) : scaled);
      });
    }
    e.drop(`${ln}.w`);
    if (isLn) e.drop(`${ln}.b`);
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
  e.drop("ln_final.w");
  if (isLn) e.drop("ln_final.b");
  cfg.normalizationType = isLn ? "LNPre" : "RMSPre";
}

function centerWritingWeights(model: HookedTransformer, e: Edits): void {
  const { cfg } = model;
  if (cfg.normalizationType !== "LN" && cfg.normalizationType !== "LNPre") return;
  const centre = (name: string) => tf.tidy(() => e.set(name, centred(e.get(name), -1)));
  centre("embed.W_E");
  if (e.has("pos_embed.W_pos")) centre("pos_embed.W_pos");
  for (let l = 0; l < cfg.nLayers; l++) {
    const b = `blocks.${l}.`;
    centre(`${b}attn.W_O`);
    centre(`${b}attn.b_O`);
    if (cfg.attnOnly) continue;
    centre(`${b}mlp.W_out`);
    centre(`${b}mlp.b_out`);
  }
}

function foldValueBiases(model: HookedTransformer, e: Edits, recentre: boolean): void {
  const { cfg } = model;
  for (let l = 0; l < cfg.nLayers; l++) {
    tf.tidy(() => {
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
    });
  }
}

/**
 * Processes `model`'s weights in place (see the file comment); returns the model. Options are checked before any
 * weight changes; an error after that (out of memory) leaves the model partly processed, so dispose it then.
 */
export function processWeights(model: HookedTransformer, options: ProcessWeightsOptions = {}): HookedTransformer {
  // Shortformer q/k read ln1(x) + W_pos: folding ln1 into W_Q/W_K would rescale the positions too,
  // so (as TransformerLens's from_pretrained) these models skip folding and centring by default.
  const shortformer = model.cfg.positionalEmbeddingType === "shortformer";
  if (shortformer && options.foldLn) throw new Error("foldLn is not valid for shortformer models: W_pos is added after ln1");
  // Soft-capped logits (Gemma 2) change under a per-position shift, so, as TransformerLens, W_U stays uncentred.
  const softCapped = model.cfg.outputLogitsSoftCap !== undefined;
  if (softCapped && options.centerUnembed)
    throw new Error("centerUnembed is not valid for a model with final-logit soft-capping (it would change the log-probs)");
  const fold = options.foldLn ?? !shortformer;
  const centre = options.centerWritingWeights ?? !shortformer;
  const norm = model.cfg.normalizationType;
  const e = new Edits(model);
  // The unembedding first: when it is the tied embedding's transpose it is rebuilt from the embedding, before
  // centring changes that.
  processUnembed(e, {
    foldLn: fold && (norm === "LN" || norm === "RMS"),
    isLn: norm === "LN",
    centre: options.centerUnembed ?? (!shortformer && !softCapped),
  });
  if (fold) foldLn(model, e);
  if (centre) centerWritingWeights(model, e);
  const isLn = model.cfg.normalizationType === "LN" || model.cfg.normalizationType === "LNPre";
  if (options.foldValueBiases ?? true) foldValueBiases(model, e, centre && isLn);
  e.finish();
  return model;
}

/** Processes a freshly built model's weights when `process` is true; on an error it disposes the model and rethrows. */
export function processedOrDisposed(model: HookedTransformer, process: boolean): HookedTransformer {
  if (!process) return model;
  try {
    return processWeights(model);
  } catch (err) {
    model.dispose();
    throw err;
  }
}
