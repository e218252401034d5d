/**
 * Trains the embedded models on tslens's own engine (TensorFlow.js gradients):
 *
 *   npm run train                        (both models, ~20 min on 2 cores; or: npm run train -- attn-only-2l)
 *
 * Corpus: the Python standard library from Debian (scripts/fetch-corpus.sh; its
 * sha256 is recorded), tokenised one byte per token. Every training sequence is
 * <|endoftext|> followed by a window of the corpus at a seeded random offset.
 * Adam with linear warm-up; fixed seeds; the same command gives the same model on
 * the same backend. Writes models/<name>/ (config.json, model.safetensors,
 * tokenizer files, training-log.json).
 */
import { execFileSync } from "child_process";
import { createHash } from "crypto";
import * as fs from "fs";
import * as path from "path";
import { configFromJson, TransformerConfig } from "../src/loading/config";
import { parameterShapes } from "../src/loading/keymaps/native";
import { forward, fuseWeights } from "../src/model/forward";
import { HookedTransformer } from "../src/model/hookedTransformer";
import { HookContext } from "../src/model/hooks";
import { backend, initBackend, tf } from "../src/tensor";
import type { Tensor } from "../src/tensor";
import { Tokenizer } from "../src/tokenizer";
import { byteTokenizerFiles } from "./byteTokenizer";
import { writeModelCard } from "./modelCard";

const REPO = path.resolve(__dirname, "..", "..");
const BOS = 256;

/** What differs between the embedded models. */
interface TrainSpec {
  nLayers: number;
  steps: number;
}

const SPECS: Record<string, TrainSpec> = {
  "attn-only-2l": { nLayers: 2, steps: 3500 },
  "attn-only-1l": { nLayers: 1, steps: 3500 },
};

/** One recipe for every model. */
const RECIPE = {
  dModel: 256,
  nHeads: 8,
  nCtx: 256,
  batch: 8,
  lr: 1e-3,
  warmup: 100,
  initStd: 0.02,
  seed: 20261128,
  logEvery: 25,
  /** Share of sequences that repeat one corpus span (16–127 bytes) to the end of the context. */
  repeatedSpanShare: 0.2,
  /** Share of sequences that repeat a span of random printable bytes instead. */
  randomSpanShare: 0.4,
};

/** Deterministic PRNG (mulberry32). */
function rng(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = Math.imul(state ^ (state >>> 15), state | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 2 ** 32;
  };
}

/** The tslens-native config.json of a model with `nLayers` attention-only layers. */
export function nativeConfig(nLayers: number): Record<string, unknown> {
  return {
    tslens_format: 1,
    n_layers: nLayers,
    n_heads: RECIPE.nHeads,
    d_model: RECIPE.dModel,
    d_head: RECIPE.dModel / RECIPE.nHeads,
    d_vocab: 257,
    n_ctx: RECIPE.nCtx,
    attn_only: true,
    normalization_type: "LN",
    positional_embedding_type: "standard",
    default_prepend_bos: true,
  };
}

/** Parameters as trainable variables: N(0, initStd) matrices (Box–Muller on the seeded PRNG), LN w = 1, biases 0. */
function initParams(cfg: TransformerConfig, random: () => number): Map<string, tf.Variable> {
  const params = new Map<string, tf.Variable>();
  for (const [name, shape] of parameterShapes(cfg)) {
    const size = shape.reduce((a, b) => a * b, 1);
    const values = new Float32Array(size);
    if (/\.w$/.test(name)) values.fill(1);
    else if (!/\.(_?b_[A-Za-z]+|b)$/.test(name)) {
      for (let i = 0; i < size; i++) {
        const u = Math.max(random(), 1e-12);
        values[i] = RECIPE.initStd * Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * random());
      }
    }
    const initial = tf.tensor(values, shape);
    params.set(name, tf.variable(initial, true, name)); // the variable holds its own copy
    initial.dispose();
  }
  return params;
}

/**
 * A batch [batch, nCtx]. Most sequences are BOS + nCtx−1 corpus bytes from a seeded random offset.
 * To teach in-context copying within a short training run, some repeat one span (16–127 bytes) to
 * the end of the context: a corpus span (repeatedSpanShare) or random printable bytes (randomSpanShare).
 */
function sampleBatch(corpus: Uint8Array, random: () => number): Tensor {
  const { batch, nCtx } = RECIPE;
  const ids = new Int32Array(batch * nCtx);
  for (let b = 0; b < batch; b++) {
    const start = Math.floor(random() * (corpus.length - nCtx));
    const kind = random();
    const repeats = kind < RECIPE.repeatedSpanShare + RECIPE.randomSpanShare;
    const span = repeats ? 16 + Math.floor(random() * 112) : nCtx;
    const source =
      kind < RECIPE.randomSpanShare
        ? Uint8Array.from({ length: span }, () => 32 + Math.floor(random() * 95))
        : corpus.subarray(start, start + span);
    ids[b * nCtx] = BOS;
    for (let p = 1; p < nCtx; p++) ids[b * nCtx + p] = source[(p - 1) % span];
  }
  return tf.tensor2d(ids, [batch, nCtx], "int32");
}

/** One point of the training curve: mean loss over the last logEvery steps. */
export interface CurvePoint {
  step: number;
  loss: number;
  seconds: number;
}

/** Trains fresh parameters for `cfg` on `corpus` bytes with the recipe; returns them (as variables) and the curve. */
export function runTraining(
  cfg: TransformerConfig,
  corpus: Uint8Array,
  steps: number,
  seed: number,
  onLog: (point: CurvePoint) => void = () => undefined,
): { params: Map<string, tf.Variable>; curve: CurvePoint[] } {
  const random = rng(seed);
  const params = initParams(cfg, random);
  const optimizer = tf.train.adam(RECIPE.lr, 0.9, 0.99);
  const curve: CurvePoint[] = [];
  const started = Date.now();
  let window = 0;
  for (let step = 1; step <= steps; step++) {
    (optimizer as unknown as { learningRate: number }).learningRate = RECIPE.lr * Math.min(1, step / RECIPE.warmup);
    const loss = tf.tidy(() => {
      const tokens = sampleBatch(corpus, random);
      return optimizer.minimize(() => {
        const { weights } = fuseWeights(cfg, params);
        const logits = forward(cfg, weights, new HookContext(), tokens);
        return HookedTransformer.lossFromLogits(logits, tokens) as tf.Scalar;
      }, true)!;
    });
    window += loss.dataSync()[0];
    loss.dispose();
    if (step % RECIPE.logEvery === 0 || step === steps) {
      const point = {
        step,
        loss: +(window / (step % RECIPE.logEvery || RECIPE.logEvery)).toFixed(4),
        seconds: Math.round((Date.now() - started) / 1000),
      };
      curve.push(point);
      onLog(point);
      window = 0;
    }
  }
  optimizer.dispose();
  return { params, curve };
}

/** Builds (or reuses) the corpus and returns its bytes and sha256. */
function corpus(): { bytes: Uint8Array; sha256: string; source: string } {
  const dir = path.join(REPO, ".cache", "corpus");
  execFileSync("bash", [path.join(REPO, "scripts", "fetch-corpus.sh"), dir], { stdio: "inherit" });
  const bytes = fs.readFileSync(path.join(dir, "corpus.txt"));
  return {
    bytes: new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength),
    sha256: createHash("sha256").update(bytes).digest("hex"),
    source: fs.readFileSync(path.join(dir, "SOURCE"), "utf8").trim(),
  };
}

/** Trains one model and writes it to models/<name>/. */
async function train(name: string, stepsOverride?: number): Promise<void> {
  const spec = SPECS[name];
  if (!spec) throw new Error(`unknown model "${name}" (known: ${Object.keys(SPECS).join(", ")})`);
  await initBackend();
  const data = corpus();
  const configJson = nativeConfig(spec.nLayers);
  const cfg = configFromJson(configJson, name);
  const steps = stepsOverride ?? spec.steps;
  const started = Date.now();
  console.log(`training ${name} on ${backend()}: ${steps} steps of ${RECIPE.batch}×${RECIPE.nCtx} tokens`);
  const { params, curve } = runTraining(cfg, data.bytes, steps, RECIPE.seed + spec.nLayers, (point) =>
    console.log(`step ${point.step}: loss ${point.loss} (${point.seconds} s, ${tf.memory().numTensors} tensors)`),
  );
  const folder = path.join(REPO, "models", name);
  const files = byteTokenizerFiles();
  const model = new HookedTransformer(cfg, params as Map<string, Tensor>, new Tokenizer(files.tokenizer, files.config));
  await model.save(folder);
  fs.writeFileSync(path.join(folder, "config.json"), JSON.stringify(configJson, null, 2) + "\n");
  fs.writeFileSync(path.join(folder, "tokenizer.json"), JSON.stringify(files.tokenizer) + "\n");
  fs.writeFileSync(path.join(folder, "tokenizer_config.json"), JSON.stringify(files.config, null, 2) + "\n");
  const log = {
    model: name,
    recipe: RECIPE,
    steps,
    backend: backend(),
    corpus: { source: data.source, bytes: data.bytes.length, sha256: data.sha256 },
    seconds: Math.round((Date.now() - started) / 1000),
    curve,
  };
  fs.writeFileSync(path.join(folder, "training-log.json"), JSON.stringify(log, null, 1) + "\n");
  model.dispose();
  console.log(`saved ${folder} after ${log.seconds} s`);
}

/** `train all` (the default): every embedded model in turn, each followed by its model card. */
async function main(name = "all", steps?: number): Promise<void> {
  for (const model of name === "all" ? Object.keys(SPECS) : [name]) {
    await train(model, steps);
    await writeModelCard(model);
  }
}

if (require.main === module) {
  const [name, steps] = process.argv.slice(2);
  main(name, steps ? Number(steps) : undefined).catch((err) => {
    console.error(err);
    process.exit(1);
  });
}
