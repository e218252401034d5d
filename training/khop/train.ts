/**
 * Trains the k-hop models of notebook 08 on tslens's own engine (TensorFlow.js gradients):
 *
 *   npm run train -- khop                 (every model; or: npm run train -- khop depth-2)
 *
 * Attention-only models of depth 1, 2 and 3 with the same width (d_model 64, 4 heads of 16), and two wider models
 * with as many attention weights as depth 3 (one layer of 12 heads, two layers of 6), on the k-hop task of
 * training/khop/task.ts: first k = 1 only, then k = 1 or 2, then k = 1, 2 or 3 (KHOP_RECIPE.curriculum). The loss is the
 * cross-entropy of the answers at the query positions, plus that of each link's source predicted at its target (and, for
 * depth-3, that of the first hop's symbol read by the logit lens after layer 1 at every query). Adam, linear warm-up then linear decay; fixed seeds: the same command gives the same models
 * on the same backend. Writes models/khop/<name>/ (config.json, model.safetensors, training-log.json), then
 * models/khop/task.json and models/khop/MODEL_CARD.md.
 */
import * as fs from "fs";
import * as path from "path";
import { configFromJson, TransformerConfig } from "../../src/loading/config";
import { forward, forwardWeights } from "../../src/model/forward";
import { HookedTransformer } from "../../src/model/hookedTransformer";
import { HookContext } from "../../src/model/hooks";
import { backend, initBackend, tf } from "../../src/tensor";
import type { Tensor } from "../../src/tensor";
import { rng } from "../data";
import { initParams } from "../train";
import { writeKhopCard, writeTaskFile, writeTokenizer } from "./card";
import { contextLength, KHOP_SPEC, KhopExample, khopTestSet, khopVocab, sampleKhopBatch } from "./task";

export const KHOP_DIR = path.resolve(__dirname, "..", "..", "..", "models", "khop");

/** One k-hop model: its depth and its heads. */
export interface KhopModelSpec {
  name: string;
  nLayers: number;
  nHeads: number;
  /** What the card says the model is for. */
  role: string;
  /** Steps and curriculum of this model when they differ from the recipe's. */
  schedule?: Partial<Pick<KhopRecipe, "steps" | "curriculum" | "firstHopLensWeight">>;
}

/** The shipped models: depth at fixed width, then width at the attention weights of depth 3. */
export const KHOP_MODELS: KhopModelSpec[] = [
  { name: "depth-1", nLayers: 1, nHeads: 4, role: "depth" },
  { name: "depth-2", nLayers: 2, nHeads: 4, role: "depth" },
  // Trained on the answers alone, its first hop formed late and its second never (k = 2 at chance after 1400 steps
  // with k = 2 questions); with the first hop read by the logit lens after layer 1, k = 2 forms within 300 steps.
  {
    name: "depth-3",
    nLayers: 3,
    nHeads: 4,
    role: "depth",
    schedule: {
      steps: 3000,
      curriculum: [
        { fromStep: 1, ks: [1] },
        { fromStep: 600, ks: [1, 2] },
        { fromStep: 2200, ks: [1, 2, 3] },
      ],
      firstHopLensWeight: 1,
    },
  },
  { name: "wide-1x12", nLayers: 1, nHeads: 12, role: "width (as many weights as depth-3)" },
  { name: "wide-2x6", nLayers: 2, nHeads: 6, role: "width (as many weights as depth-3)" },
];

/** How every k-hop model is trained. */
export interface KhopRecipe {
  dModel: number;
  dHead: number;
  batch: number;
  steps: number;
  lr: number;
  warmup: number;
  /** The learning rate falls linearly from lr (after warm-up) to lr · finalLrShare at the last step. */
  finalLrShare: number;
  initStd: number;
  posInitStd: number;
  /** Train W_U as W_Eᵀ (the saved model stores both); false: W_U is a matrix of its own. */
  tiedEmbeddings: boolean;
  /**
   * Weight of a second loss: at each link's target, predict the link's source (the token before). It trains a
   * previous-token head in layer 0 within a few hundred steps; 0 = answers only.
   */
  sourceLossWeight: number;
  /**
   * Weight of a third loss: at every query, the residual stream after layer nLayers − 2 read through ln_final and W_U
   * (the logit lens) predicts the first hop's symbol, so that the last layer is left free for a second move; 0 = none.
   */
  firstHopLensWeight: number;
  /**
   * Curriculum: from each phase's first step on, questions draw k uniformly from its ks. Questions that no model can
   * answer yet (k = 2 before one hop works) only add noise, so k = 1 comes first.
   */
  curriculum: { fromStep: number; ks: number[] }[];
  seed: number;
  logEvery: number;
  /** Held-out contexts for the accuracy logged during training (seed + 1; the notebook uses its own seed). */
  validationContexts: number;
}

export const KHOP_RECIPE: KhopRecipe = {
  dModel: 64,
  dHead: 16,
  batch: 64,
  steps: 1600,
  lr: 5e-3,
  warmup: 100,
  finalLrShare: 0.1,
  initStd: 0.08,
  posInitStd: 1,
  tiedEmbeddings: false,
  sourceLossWeight: 1,
  firstHopLensWeight: 0,
  curriculum: [
    { fromStep: 1, ks: [1] },
    { fromStep: 400, ks: [1, 2] },
    { fromStep: 900, ks: [1, 2, 3] },
  ],
  seed: 20261203,
  logEvery: 100,
  validationContexts: 150,
};

/** The tslens-native config.json of `model`: attention only, LayerNorm, shortformer positions; texts get "<bos>" first. */
export function khopConfig(model: KhopModelSpec, recipe: KhopRecipe = KHOP_RECIPE): Record<string, unknown> {
  return {
    tslens_format: 1,
    n_layers: model.nLayers,
    n_heads: model.nHeads,
    d_model: recipe.dModel,
    d_head: recipe.dHead,
    d_vocab: khopVocab(KHOP_SPEC).names.length,
    n_ctx: contextLength(KHOP_SPEC),
    attn_only: true,
    normalization_type: "LN",
    positional_embedding_type: "shortformer",
    default_prepend_bos: true,
  };
}

/** Logits at `positions` [batch · positions, d_vocab] of `tokens` [batch, pos] under `params`. */
function logitsAt(cfg: TransformerConfig, params: ReadonlyMap<string, Tensor>, tokens: Tensor, positions: number[]): Tensor {
  const { weights } = forwardWeights(cfg, params);
  const logits = forward(cfg, weights, new HookContext(), tokens); // [batch, pos, d_vocab]
  const picked = tf.gather(logits, positions, 1); // [batch, positions, d_vocab]
  return picked.reshape([-1, cfg.dVocab]); // [batch · positions, d_vocab]
}

/** Mean cross-entropy of `logits` [n, d_vocab] against the ids `targets` [n]. */
function crossEntropy(logits: Tensor, targets: Tensor, dVocab: number): Tensor {
  return tf.logSoftmax(logits).mul(tf.oneHot(targets, dVocab)).sum(-1).mean().neg();
}

/** Share of the questions of `examples` whose answer is the argmax at the query's position, per k (index k − 1). */
export function accuracyByK(
  cfg: TransformerConfig,
  params: ReadonlyMap<string, Tensor>,
  examples: KhopExample[],
  maxK = KHOP_SPEC.maxK,
): number[] {
  const predicted = tf.tidy(() => {
    const tokens = tf.tensor2d(
      examples.map((e) => e.tokens),
      undefined,
      "int32",
    ); // [n, pos]
    const positions = examples[0].questions.map((q) => q.position);
    return logitsAt(cfg, params, tokens, positions).argMax(-1).dataSync(); // [n · questions]
  });
  const right = new Array(maxK).fill(0);
  const total = new Array(maxK).fill(0);
  examples
    .flatMap((e) => e.questions)
    .forEach((q, i) => {
      total[q.k - 1]++;
      if (predicted[i] === q.answer) right[q.k - 1]++;
    });
  return right.map((r, i) => (total[i] ? r / total[i] : NaN));
}

/** For every question of every context of `tokens` (queries at `positions`), the symbol one link after its query. */
export function firstHops(tokens: Int32Array, batch: number, length: number, nLinks: number, positions: number[]): Int32Array {
  const out = new Int32Array(batch * positions.length);
  for (let b = 0; b < batch; b++) {
    const next = new Map<number, number>();
    for (let i = 0; i < nLinks; i++) next.set(tokens[b * length + 1 + 3 * i], tokens[b * length + 2 + 3 * i]);
    positions.forEach((p, i) => {
      const hop = next.get(tokens[b * length + p]);
      if (hop === undefined) throw new Error(`khop: the query at ${p} of context ${b} links nowhere`);
      out[b * positions.length + i] = hop;
    });
  }
  return out;
}

/** One point of a training curve: mean loss over the last logEvery steps and held-out accuracy per k. */
export interface KhopCurvePoint {
  step: number;
  loss: number;
  accuracy: number[];
  seconds: number;
}

/** Trains fresh parameters for `cfg` with `recipe`; returns them (as variables; tied: W_U = W_Eᵀ) and the curve. */
export function trainKhop(
  cfg: TransformerConfig,
  recipe: KhopRecipe = KHOP_RECIPE,
  onLog: (point: KhopCurvePoint) => void = () => undefined,
): { params: Map<string, tf.Variable>; curve: KhopCurvePoint[] } {
  const init = { tiedEmbeddings: recipe.tiedEmbeddings, initStd: recipe.initStd, posInitStd: recipe.posInitStd };
  const params = initParams(cfg, init, rng(recipe.seed + 100 * cfg.nLayers + cfg.nHeads));
  const random = rng(recipe.seed); // the same batches for every model
  const nLinks = KHOP_SPEC.cycles.reduce((a, b) => a + b, 0);
  const targetSlots = Array.from({ length: nLinks }, (_, i) => 2 + 3 * i); // each link's tgt position
  const sourceSlots = targetSlots.map((p) => p - 1);
  const lensPoint = `blocks.${Math.max(0, cfg.nLayers - 2)}.hook_resid_post`;
  const contexts: HookContext[] = []; // the cached residuals of each step's forward, freed after its gradients
  const validation = khopTestSet(recipe.seed + 1, recipe.validationContexts);
  const withUnembed = (): Map<string, Tensor> =>
    recipe.tiedEmbeddings ? new Map<string, Tensor>([...params, ["unembed.W_U", params.get("embed.W_E")!.transpose()]]) : params;
  const optimizer = tf.train.adam(recipe.lr, 0.9, 0.99);
  const curve: KhopCurvePoint[] = [];
  const started = Date.now();
  let window = 0;
  try {
    for (let step = 1; step <= recipe.steps; step++) {
      const decay = 1 - (1 - recipe.finalLrShare) * Math.max(0, (step - recipe.warmup) / (recipe.steps - recipe.warmup));
      (optimizer as unknown as { learningRate: number }).learningRate = recipe.lr * Math.min(1, step / recipe.warmup) * decay;
      const phase = recipe.curriculum.filter((c) => c.fromStep <= step).pop();
      if (!phase) throw new Error(`khop: the curriculum has no phase for step ${step}`);
      const batch = sampleKhopBatch(random, recipe.batch, phase.ks);
      const loss = tf.tidy(() => {
        const tokens = tf.tensor2d(batch.tokens, [batch.batch, batch.length], "int32"); // [batch, pos]
        const answers = tf.tensor1d(batch.answers, "int32"); // [batch · questions]
        const sources = tf.gather(tokens, sourceSlots, 1).reshape([-1]); // [batch · links]
        const hopOnes = tf.tensor1d(firstHops(batch.tokens, batch.batch, batch.length, nLinks, batch.positions), "int32"); // [batch · questions]
        return optimizer.minimize(() => {
          if (recipe.firstHopLensWeight !== 0) {
            // one forward pass for every loss: answers, sources at targets, the lens at the queries
            const nQ = batch.positions.length;
            const slots = [...batch.positions, ...targetSlots];
            const { weights } = forwardWeights(cfg, withUnembed());
            const ctx = new HookContext([], (name) => name === lensPoint);
            contexts.push(ctx);
            const logits = tf.gather(forward(cfg, weights, ctx, tokens), slots, 1); // [batch, slots, d_vocab]
            const part = (from: number, size: number): Tensor =>
              logits.slice([0, from, 0], [-1, size, -1]).reshape([-1, cfg.dVocab]);
            let total = crossEntropy(part(0, nQ), answers, cfg.dVocab);
            total = total.add(crossEntropy(part(nQ, nLinks), sources, cfg.dVocab).mul(recipe.sourceLossWeight));
            const resid = tf.gather(ctx.cache[lensPoint], batch.positions, 1); // [batch, questions, d_model]
            const centred = resid.sub(resid.mean(-1, true)); // [batch, questions, d_model]
            const unit = centred.div(centred.square().mean(-1, true).add(cfg.eps).sqrt()); // [batch, questions, d_model]
            const normalized = unit.mul(weights.lnFinal.w!).add(weights.lnFinal.b!); // [batch, questions, d_model]
            const lensNoBias = tf.matMul(normalized.reshape([-1, cfg.dModel]), weights.W_U); // [batch · questions, d_vocab]
            const lens = weights.b_U ? lensNoBias.add(weights.b_U) : lensNoBias;
            total = total.add(crossEntropy(lens, hopOnes, cfg.dVocab).mul(recipe.firstHopLensWeight));
            return total as tf.Scalar;
          }
          const queries = crossEntropy(logitsAt(cfg, withUnembed(), tokens, batch.positions), answers, cfg.dVocab);
          if (recipe.sourceLossWeight === 0) return queries as tf.Scalar;
          const links = crossEntropy(logitsAt(cfg, withUnembed(), tokens, targetSlots), sources, cfg.dVocab);
          return queries.add(links.mul(recipe.sourceLossWeight)) as tf.Scalar;
        }, true)!;
      });
      for (const ctx of contexts.splice(0)) ctx.disposeCache();
      window += loss.dataSync()[0];
      loss.dispose();
      if (step % recipe.logEvery === 0 || step === recipe.steps) {
        const accuracy = tf.tidy(() => accuracyByK(cfg, withUnembed(), validation)).map((a) => +a.toFixed(3));
        const point = {
          step,
          loss: +(window / (step % recipe.logEvery || recipe.logEvery)).toFixed(4),
          accuracy,
          seconds: Math.round((Date.now() - started) / 1000),
        };
        curve.push(point);
        onLog(point);
        window = 0;
      }
    }
  } catch (err) {
    // A failed run frees what it made (so its variables' names can be registered again), then rethrows.
    for (const ctx of contexts.splice(0)) ctx.disposeCache();
    optimizer.dispose();
    tf.dispose([...params.values()]);
    throw err;
  }
  optimizer.dispose();
  if (recipe.tiedEmbeddings) {
    const unembed = params.get("embed.W_E")!.transpose(); // [d_model, d_vocab]
    params.set("unembed.W_U", tf.variable(unembed, false, "unembed.W_U"));
    unembed.dispose();
  }
  return { params, curve };
}

/** Trains one model and writes models/khop/<name>/. */
async function trainOne(model: KhopModelSpec, recipe: KhopRecipe): Promise<void> {
  const configJson = khopConfig(model, recipe);
  const cfg = configFromJson(configJson, `khop/${model.name}`);
  console.log(`training khop/${model.name} on ${backend()}: ${recipe.steps} steps of ${recipe.batch} contexts`);
  const started = Date.now();
  const cpuBefore = process.cpuUsage();
  const { params, curve } = trainKhop(cfg, recipe, (p) =>
    console.log(
      `step ${p.step}: loss ${p.loss}, accuracy k=1…3 ${p.accuracy.join(" ")} (${p.seconds} s, ${tf.memory().numTensors} tensors)`,
    ),
  );
  const cpu = process.cpuUsage(cpuBefore); // µs of CPU, every thread of the process
  const folder = path.join(KHOP_DIR, model.name);
  const hooked = new HookedTransformer(cfg, params as Map<string, Tensor>);
  await hooked.save(folder);
  hooked.dispose();
  fs.writeFileSync(path.join(folder, "config.json"), JSON.stringify(configJson, null, 2) + "\n");
  writeTokenizer(folder);
  const log = {
    model: `khop/${model.name}`,
    spec: model,
    recipe,
    task: KHOP_SPEC,
    backend: backend(),
    seconds: Math.round((Date.now() - started) / 1000),
    cpuSeconds: Math.round((cpu.user + cpu.system) / 1e6),
    curve,
  };
  fs.writeFileSync(path.join(folder, "training-log.json"), JSON.stringify(log, null, 1) + "\n");
  console.log(`saved ${folder} after ${log.seconds} s`);
}

/** Trains the named model (default: all of them), then writes task.json and the card ("card": only those). */
export async function trainKhopModels(name = "all", steps?: number): Promise<void> {
  if (name === "card") {
    writeTaskFile(KHOP_DIR);
    return writeKhopCard(KHOP_DIR);
  }
  const models = name === "all" ? KHOP_MODELS : KHOP_MODELS.filter((m) => m.name === name);
  if (models.length === 0) throw new Error(`unknown k-hop model "${name}" (known: ${KHOP_MODELS.map((m) => m.name).join(", ")})`);
  await initBackend();
  const recipe = steps ? { ...KHOP_RECIPE, steps } : KHOP_RECIPE;
  for (const model of models) await trainOne(model, steps ? recipe : { ...recipe, ...model.schedule });
  writeTaskFile(KHOP_DIR);
  await writeKhopCard(KHOP_DIR);
}
