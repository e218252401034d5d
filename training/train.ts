/**
 * Trains the embedded models on tslens's own engine (TensorFlow.js gradients):
 *
 *   npm run train                        (every model, then the SAE; or: npm run train -- attn-only-2l)
 *   npm run train -- sae                 (only the embedded SAE: training/sae/trainSae.ts)
 *   npm run train -- khop                (the k-hop models of notebook 08: training/khop/train.ts)
 *
 * Corpus: the Python standard library from Debian (scripts/fetch-corpus.sh; its
 * sha256 is recorded), tokenised by a 1024-token byte-level BPE learnt from it
 * (training/tokenizer.ts). Batches mix corpus windows with repeated spans
 * (training/data.ts). Adam with linear warm-up; fixed seeds; the same command gives
 * the same model on the same backend. Writes models/<name>/ (config.json,
 * model.safetensors, tokenizer files, training-log.json, MODEL_CARD.md).
 */
import * as fs from "fs";
import * as path from "path";
import { configFromJson, TransformerConfig } from "../src/loading/config";
import { parameterShapes } from "../src/loading/keymaps/native";
import { forward, forwardWeights } from "../src/model/forward";
import { HookedTransformer } from "../src/model/hookedTransformer";
import { HookContext } from "../src/model/hooks";
import { backend, initBackend, tf } from "../src/tensor";
import type { Tensor } from "../src/tensor";
import { Tokenizer } from "../src/tokenizer";
import { loadCorpus, tokenizeCorpus } from "./corpus";
import { DataMix, rng, sampleBatch, sampleCopyBatch } from "./data";
import { writeModelCard } from "./modelCard";
import { trainSae } from "./sae/trainSae";
import { buildTokenizer, TOKENIZERS_REQUIREMENT, VOCAB_SIZE } from "./tokenizer";

const REPO = path.resolve(__dirname, "..", "..");

/** What differs between the embedded models. */
interface TrainSpec {
  nLayers: number;
  steps: number;
  /** Layers with an MLP after attention (absent: attention only). */
  mlp?: MlpSpec;
}

/** The MLP of every layer: d_mlp hidden units and their activation. */
export interface MlpSpec {
  dMlp: number;
  actFn: "gelu" | "gelu_new";
}

const GELU_2L_STEPS = 2000;

const SPECS: Record<string, TrainSpec> = {
  "attn-only-2l": { nLayers: 2, steps: 4500 },
  "attn-only-1l": { nLayers: 1, steps: 4500 },
  "gelu-2l": { nLayers: 2, steps: GELU_2L_STEPS, mlp: { dMlp: 512, actFn: "gelu" } },
};

/** The training recipe shared by every embedded model. */
export interface Recipe extends DataMix {
  dModel: number;
  /** "standard" learns W_pos; "shortformer" learns W_pos for q and k only; "rotary" rotates q and k (all of d_head, base 10000). */
  positional: "standard" | "shortformer" | "rotary";
  nHeads: number;
  /** Train W_U as W_Eᵀ (one shared matrix); the saved model stores both, so it loads as an untied model. */
  tiedEmbeddings: boolean;
  lr: number;
  warmup: number;
  initStd: number;
  /**
   * Curriculum: after this many steps (0 = never), copy rows switch to the "pairs" layout. Repeating rows make
   * previous-token heads form fast; afterwards only an induction head predicts the pairs.
   */
  pairsAfterStep: number;
  /** Init std of W_pos (shortformer positions join ln1's output, whose entries have std ≈ 1). */
  posInitStd: number;
  seed: number;
  logEvery: number;
}

export const RECIPE: Recipe = {
  dModel: 128,
  positional: "shortformer",
  nHeads: 4,
  tiedEmbeddings: true,
  nCtx: 256,
  batch: 8,
  lr: 1e-2,
  warmup: 100,
  initStd: 0.088,
  posInitStd: 1,
  seed: 20261128,
  logEvery: 25,
  repeatedCorpusShare: 0.1,
  repeatedRandomShare: 0.2,
  minSpan: 8,
  maxSpan: 100,
  copyBatch: 32,
  copyLen: 101,
  tripleShare: 0.5,
  copyLayout: "fill",
  pairsAfterStep: 750,
};

/** The tslens-native config.json of a model with `nLayers` layers: attention only, or attention + `mlp`. */
export function nativeConfig(
  nLayers: number,
  recipe: Recipe = RECIPE,
  vocabSize = VOCAB_SIZE,
  mlp?: MlpSpec,
): Record<string, unknown> {
  return {
    tslens_format: 1,
    n_layers: nLayers,
    n_heads: recipe.nHeads,
    d_model: recipe.dModel,
    d_head: recipe.dModel / recipe.nHeads,
    d_vocab: vocabSize,
    n_ctx: recipe.nCtx,
    ...(mlp ? { attn_only: false, d_mlp: mlp.dMlp, act_fn: mlp.actFn } : { attn_only: true }),
    normalization_type: "LN",
    positional_embedding_type: recipe.positional,
    ...(recipe.positional === "rotary" ? { rotary_dim: recipe.dModel / recipe.nHeads, rotary_base: 10000 } : {}),
    default_prepend_bos: true,
  };
}

/** Parameters as trainable variables: N(0, initStd) matrices (W_pos: posInitStd; Box–Muller on the seeded PRNG), LN w = 1, biases 0. */
export function initParams(
  cfg: TransformerConfig,
  recipe: Pick<Recipe, "tiedEmbeddings" | "initStd" | "posInitStd">,
  random: () => number,
): Map<string, tf.Variable> {
  const params = new Map<string, tf.Variable>();
  for (const [name, shape] of parameterShapes(cfg)) {
    if (recipe.tiedEmbeddings && name === "unembed.W_U") continue;
    const size = shape.reduce((a, b) => a * b, 1);
    const values = new Float32Array(size);
    if (/\.w$/.test(name)) values.fill(1);
    else if (!/\.(_?b_[A-Za-z]+|b)$/.test(name)) {
      for (let i = 0; i < size; i++) {
        const u = Math.max(random(), 1e-12);
        const std = name === "pos_embed.W_pos" ? recipe.posInitStd : recipe.initStd;
        values[i] = std * Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * random());
      }
    }
    const initial = tf.tensor(values, shape);
    params.set(name, tf.variable(initial, true, name)); // the variable holds its own copy
    initial.dispose();
  }
  return params;
}

/** One point of the training curve: mean loss over the last logEvery steps. */
export interface CurvePoint {
  step: number;
  loss: number;
  seconds: number;
}

/** What runTraining reads: the token stream and its BOS id. */
export interface TrainingData {
  tokens: Int32Array;
  bos: number;
}

/** Trains fresh parameters for `cfg` on `data` with `recipe`; returns them (as variables) and the curve. */
export function runTraining(
  cfg: TransformerConfig,
  data: TrainingData,
  steps: number,
  recipe: Recipe = RECIPE,
  onLog: (point: CurvePoint, params: Map<string, tf.Variable>) => void = () => undefined,
): { params: Map<string, tf.Variable>; curve: CurvePoint[] } {
  const random = rng(recipe.seed + cfg.nLayers);
  const params = initParams(cfg, recipe, random);
  // The parameters as the forward pass reads them: with tied embeddings, W_U [dModel, dVocab] is W_Eᵀ.
  const withUnembed = (): Map<string, Tensor> =>
    recipe.tiedEmbeddings ? new Map<string, Tensor>([...params, ["unembed.W_U", params.get("embed.W_E")!.transpose()]]) : params;
  const optimizer = tf.train.adam(recipe.lr, 0.9, 0.99);
  const curve: CurvePoint[] = [];
  const started = Date.now();
  let window = 0;
  try {
    for (let step = 1; step <= steps; step++) {
      (optimizer as unknown as { learningRate: number }).learningRate = recipe.lr * Math.min(1, step / recipe.warmup);
      const loss = tf.tidy(() => {
        const batches = [sampleBatch(data.tokens, cfg.dVocab, data.bos, recipe, random)]; // [batch, nCtx]
        const mix: DataMix =
          recipe.pairsAfterStep > 0 && step > recipe.pairsAfterStep ? { ...recipe, copyLayout: "pairs" } : recipe;
        if (recipe.copyBatch > 0) batches.push(sampleCopyBatch(cfg.dVocab, data.bos, mix, random)); // [copyBatch, copyLen]
        return optimizer.minimize(() => {
          const { weights } = forwardWeights(cfg, withUnembed());
          const losses = batches.map((tokens) => {
            const logits = forward(cfg, weights, new HookContext(), tokens); // [rows, pos, dVocab]
            return HookedTransformer.lossFromLogits(logits, tokens);
          });
          return tf.addN(losses).div(losses.length) as tf.Scalar;
        }, true)!;
      });
      window += loss.dataSync()[0];
      loss.dispose();
      if (step % recipe.logEvery === 0 || step === steps) {
        const point = {
          step,
          loss: +(window / (step % recipe.logEvery || recipe.logEvery)).toFixed(4),
          seconds: Math.round((Date.now() - started) / 1000),
        };
        curve.push(point);
        onLog(point, params);
        window = 0;
      }
    }
  } catch (err) {
    // A failed run frees what it made (so its variables' names can be registered again), then rethrows.
    optimizer.dispose();
    tf.dispose([...params.values()]);
    throw err;
  }
  optimizer.dispose();
  if (recipe.tiedEmbeddings) {
    const unembed = params.get("embed.W_E")!.transpose(); // [dModel, dVocab]
    params.set("unembed.W_U", tf.variable(unembed, false, "unembed.W_U"));
    unembed.dispose();
  }
  return { params, curve };
}

/** The corpus, the tokenizer learnt from it and the tokenised corpus, built or read from .cache/. */
export function prepareData(): {
  corpus: ReturnType<typeof loadCorpus>;
  tokenizerDir: string;
  tokenizer: Tokenizer;
  data: TrainingData;
} {
  const corpus = loadCorpus();
  const tokenizerDir = buildTokenizer(corpus.file, corpus.sha256);
  const tokenizer = Tokenizer.fromFolder(tokenizerDir);
  const tokens = tokenizeCorpus(corpus, tokenizer, fs.readFileSync(path.join(tokenizerDir, "tokenizer.json"), "utf8"));
  if (tokenizer.bosTokenId === null) throw new Error(`${tokenizerDir}: the tokenizer has no BOS token`);
  return { corpus, tokenizerDir, tokenizer, data: { tokens, bos: tokenizer.bosTokenId } };
}

/** Trains one model and writes it to models/<name>/. */
async function train(name: string, stepsOverride?: number): Promise<void> {
  const spec = SPECS[name];
  if (!spec) throw new Error(`unknown model "${name}" (known: ${Object.keys(SPECS).join(", ")})`);
  await initBackend();
  const { corpus, tokenizerDir, tokenizer, data } = prepareData();
  const configJson = nativeConfig(spec.nLayers, RECIPE, tokenizer.vocabSize, spec.mlp);
  const cfg = configFromJson(configJson, name);
  const steps = stepsOverride ?? spec.steps;
  const started = Date.now();
  console.log(
    `training ${name} on ${backend()}: ${steps} steps of ${RECIPE.batch}×${RECIPE.nCtx} + ${RECIPE.copyBatch}×${RECIPE.copyLen} tokens`,
  );
  const { params, curve } = runTraining(cfg, data, steps, RECIPE, (point) =>
    console.log(`step ${point.step}: loss ${point.loss} (${point.seconds} s, ${tf.memory().numTensors} tensors)`),
  );
  const folder = path.join(REPO, "models", name);
  const model = new HookedTransformer(cfg, params as Map<string, Tensor>, tokenizer);
  await model.save(folder);
  fs.writeFileSync(path.join(folder, "config.json"), JSON.stringify(configJson, null, 2) + "\n");
  for (const file of ["tokenizer.json", "tokenizer_config.json"])
    fs.copyFileSync(path.join(tokenizerDir, file), path.join(folder, file));
  const log = {
    model: name,
    recipe: RECIPE,
    steps,
    backend: backend(),
    tokenizer: TOKENIZERS_REQUIREMENT,
    corpus: { source: corpus.source, bytes: corpus.bytes, tokens: data.tokens.length, sha256: corpus.sha256 },
    seconds: Math.round((Date.now() - started) / 1000),
    curve,
  };
  fs.writeFileSync(path.join(folder, "training-log.json"), JSON.stringify(log, null, 1) + "\n");
  model.dispose();
  console.log(`saved ${folder} after ${log.seconds} s`);
}

/** `train all` (the default): every embedded model in turn, each followed by its model card, then the embedded SAE (`train sae`). */
async function main(name = "all", steps?: number): Promise<void> {
  if (name === "sae") return trainSae(steps);
  for (const model of name === "all" ? Object.keys(SPECS) : [name]) {
    await train(model, steps);
    await writeModelCard(model);
  }
  if (name === "all") await trainSae();
}

if (require.main === module) {
  const [name, ...rest] = process.argv.slice(2);
  // `npm run train -- khop [model] [steps]`: the k-hop models of notebook 08 (training/khop/train.ts)
  const run =
    name === "khop"
      ? import("./khop/train").then((khop) => {
          const steps = Number(rest.find((r) => /^\d+$/.test(r))) || undefined;
          return khop.trainKhopModels(rest.find((r) => !/^\d+$/.test(r)) ?? "all", steps);
        })
      : main(name, rest[0] ? Number(rest[0]) : undefined);
  run.catch((err) => {
    console.error(err);
    process.exit(1);
  });
}
