/**
 * Trains the embedded SAE on tslens's own engine: a TopK sparse autoencoder on attn-only-2l's
 * `blocks.1.hook_resid_pre` (between its previous-token layer and its induction layer), over the Python corpus the
 * model was trained on.
 *
 *   npm run train -- sae        (writes models/saes/attn-only-2l-resid1-topk/ and its README.md)
 *
 * Activations come from the model as `lens.loadModel` gives it (weights processed), computed fresh for every step
 * from random corpus windows (BOS first, as the model was trained); BOS positions are left out. The last
 * HELDOUT_TOKENS tokens of the corpus are never trained on: the card's metrics are measured on rows cut from them.
 * Adam with a linear decay over the last fifth; decoder rows kept at unit norm; AuxK (OpenAI's top-k SAE recipe)
 * gives dead features a gradient by reconstructing the residual error from the top dead latents. Fixed seeds: the
 * same command gives the same SAE on the same backend.
 */
import * as fs from "fs";
import * as path from "path";
import { writeSafetensors } from "../../src/loading/save";
import type { HookedTransformer } from "../../src/model/hookedTransformer";
import { loadModel } from "../../src/model/loadModel";
import { backend, tf } from "../../src/tensor";
import type { Tensor } from "../../src/tensor";
import { rng } from "../data";
import { prepareData } from "../train";
import { writeSaeCard } from "./card";

const REPO = path.resolve(__dirname, "..", "..", "..");

/** Everything that decides the SAE. */
export const SAE_RECIPE = {
  name: "attn-only-2l-resid1-topk",
  model: "attn-only-2l",
  hookName: "blocks.1.hook_resid_pre",
  layer: 1,
  dSae: 2048,
  k: 16,
  /** AuxK: latents used to reconstruct the residual error, and the aux loss's weight. */
  kAux: 64,
  auxCoefficient: 1 / 32,
  /** A feature is dead for AuxK when it has not fired for this many training tokens. */
  deadAfterTokens: 200_000,
  /** Corpus windows per step (each BOS + ctx − 1 tokens; BOS dropped). */
  rows: 8,
  ctx: 256,
  steps: 1200,
  lr: 3e-3,
  /** The learning rate decays linearly to 0 over this final share of the steps. */
  decayShare: 0.2,
  seed: 20261203,
  /** The corpus's last tokens, kept out of training. */
  heldoutTokens: 65_536,
  /** Held-out evaluation rows (BOS + ctx − 1 tokens each) spread evenly over the held-out tokens. */
  heldoutRows: 32,
  logEvery: 50,
};

/** The held-out evaluation rows: `heldoutRows` windows, evenly spaced over the corpus's held-out tail. */
export function heldoutRows(tokens: Int32Array, bos: number, recipe = SAE_RECIPE): number[][] {
  const start = tokens.length - recipe.heldoutTokens;
  const span = recipe.ctx - 1;
  const stride = Math.floor((recipe.heldoutTokens - span) / (recipe.heldoutRows - 1));
  const rows: number[][] = [];
  for (let r = 0; r < recipe.heldoutRows; r++) {
    const at = start + r * stride;
    rows.push([bos, ...tokens.subarray(at, at + span)]);
  }
  return rows;
}

/** The SAE's trainable parameters (SAELens names). */
interface SaeParams {
  W_enc: tf.Variable; // [d_in, d_sae]
  b_enc: tf.Variable; // [d_sae]
  W_dec: tf.Variable; // [d_sae, d_in]
  b_dec: tf.Variable; // [d_in]
}

/** Residual-stream activations [rows·(ctx−1), d_in] at the hook of `rows` random training windows (BOS dropped). */
function sampleActivations(model: HookedTransformer, tokens: Int32Array, bos: number, random: () => number): Tensor {
  const { rows, ctx, heldoutTokens, layer } = SAE_RECIPE;
  const trainEnd = tokens.length - heldoutTokens;
  const ids = new Int32Array(rows * ctx);
  for (let r = 0; r < rows; r++) {
    const at = Math.floor(random() * (trainEnd - ctx));
    ids[r * ctx] = bos;
    ids.set(tokens.subarray(at, at + ctx - 1), r * ctx + 1);
  }
  return tf.tidy(() => {
    const batch = tf.tensor2d(ids, [rows, ctx], "int32"); // [rows, ctx]
    const resid = model.runWithHooks(batch, { fwdHooks: [], stopAtLayer: layer }); // [rows, ctx, d_in]: blocks.1.hook_resid_pre
    return resid.slice([0, 1, 0], [-1, -1, -1]).reshape([-1, model.cfg.dModel]); // [rows·(ctx−1), d_in]
  });
}

/** Unit-norm random decoder rows, the encoder initialised as their transpose, b_dec at the data's mean. */
function initParams(dIn: number, firstBatch: Tensor, random: () => number): SaeParams {
  const { dSae } = SAE_RECIPE;
  const values = new Float32Array(dSae * dIn);
  for (let i = 0; i < values.length; i++)
    values[i] = Math.sqrt(-2 * Math.log(Math.max(random(), 1e-12))) * Math.cos(2 * Math.PI * random());
  return tf.tidy(() => {
    const raw = tf.tensor2d(values, [dSae, dIn]); // [d_sae, d_in]
    const wDec = raw.div(tf.norm(raw, "euclidean", 1, true)); // [d_sae, d_in], unit rows
    return {
      W_enc: tf.variable(wDec.transpose(), true, "W_enc"),
      b_enc: tf.variable(tf.zeros([dSae]), true, "b_enc"),
      W_dec: tf.variable(wDec, true, "W_dec"),
      b_dec: tf.variable(firstBatch.mean(0), true, "b_dec"),
    };
  });
}

/** The k largest latents of each row: their flat indices into pre [n·d_sae] and their ReLU'd values [n·k]. */
interface SparseCode {
  /** Feature index of each kept latent, [n·k] int32 (no gradient). */
  features: Tensor;
  /** ReLU(pre) at the kept latents, [n·k], with gradient. */
  values: Tensor;
}

/** Keeps the k entries of each row ranking highest in `ranked` [n, d_sae] (no gradient), valued by ReLU(pre). */
function topK(pre: Tensor, ranked: Tensor, k: number): SparseCode {
  const [n, dSae] = pre.shape as [number, number];
  const { indices } = tf.topk(detached(ranked), k); // [n, k] int32
  const rowStart = tf.range(0, n * dSae, dSae, "int32").reshape([n, 1]); // [n, 1]
  const flat = indices.add(rowStart).reshape([-1]); // [n·k] into pre's flat layout
  return { features: indices.reshape([-1]), values: tf.gather(pre.reshape([-1]), flat).relu() };
}

/** Σ over each row's k kept latents of value · W_dec[feature], [n, d_in] (no bias): the decoder, sparsely. */
function decodeSparse(p: SaeParams, code: SparseCode, n: number): Tensor {
  const dIn = p.W_dec.shape[1]!;
  const rows = tf.gather(p.W_dec, code.features); // [n·k, d_in]
  return rows.mul(code.values.expandDims(1)).reshape([n, -1, dIn]).sum(1); // [n, d_in]
}

/** One training step's losses. */
interface StepResult {
  mse: number;
  aux: number;
  /** Features that fired (non-zero) on some token of the batch. */
  fired: Set<number>;
}

/** One Adam step on x [n, d_in]; `dead` [d_sae] marks the AuxK candidates (null: none dead). */
function trainStep(p: SaeParams, optimizer: tf.Optimizer, x: Tensor, dead: Tensor | null, numDead: number): StepResult {
  const { k, kAux, auxCoefficient } = SAE_RECIPE;
  const n = x.shape[0]!;
  const fired = new Set<number>();
  let mse = 0;
  let aux = 0;
  tf.tidy(() => {
    const variance = x.sub(x.mean(0)).square().sum(1).mean(); // scalar: E‖x − E x‖², normalises both losses
    const loss = optimizer.minimize(
      () => {
        const pre = tf.matMul(x.sub(p.b_dec), p.W_enc).add(p.b_enc); // [n, d_sae]
        const code = topK(pre, pre, k);
        const recon = decodeSparse(p, code, n).add(p.b_dec); // [n, d_in]
        const mseLoss = x.sub(recon).square().sum(1).mean().div(variance);
        const ids = code.features.dataSync();
        code.values.dataSync().forEach((v, i) => v > 0 && fired.add(ids[i]!));
        mse = mseLoss.dataSync()[0]!;
        if (!dead) return mseLoss as tf.Scalar;
        // AuxK: the top kAux dead latents reconstruct what the top-k reconstruction missed.
        const deadRanked = pre.add(dead.sub(1).mul(1e9)); // [n, d_sae]: live latents pushed far down
        const auxCode = topK(pre, deadRanked, Math.min(kAux, numDead));
        const residual = detached(x.sub(recon)); // [n, d_in]
        const auxLoss = residual
          .sub(decodeSparse(p, auxCode, n))
          .square()
          .sum(1)
          .mean()
          .div(variance);
        aux = auxLoss.dataSync()[0]!;
        return mseLoss.add(auxLoss.mul(auxCoefficient)) as tf.Scalar;
      },
      false,
      [p.W_enc, p.b_enc, p.W_dec, p.b_dec],
    );
    loss?.dispose();
    p.W_dec.assign(p.W_dec.div(tf.norm(p.W_dec, "euclidean", 1, true))); // decoder rows back to unit norm
  });
  return { mse, aux, fired };
}

/** A copy of `t` outside the gradient tape (TensorFlow.js has no stop-gradient op, and no gradient for TopK). */
function detached(t: Tensor): Tensor {
  return tf.tensor(t.dataSync(), t.shape, t.dtype); // same shape as t
}

/** SAELens's cfg.json (sae-lens 6 layout) of the trained SAE. */
export function saeConfigJson(dIn: number, extra: Record<string, unknown> = {}): Record<string, unknown> {
  const r = SAE_RECIPE;
  return {
    architecture: "topk",
    d_in: dIn,
    d_sae: r.dSae,
    dtype: "float32",
    device: "cpu",
    apply_b_dec_to_input: true,
    normalize_activations: "none",
    reshape_activations: "none",
    k: r.k,
    rescale_acts_by_decoder_norm: false,
    metadata: {
      model_name: r.model,
      hook_name: r.hookName,
      hook_head_index: null,
      prepend_bos: true,
      context_size: r.ctx,
      exclude_special_tokens: true,
      dataset_path: "Python 3.11 standard library (scripts/fetch-corpus.sh)",
      model_class_name: "HookedTransformer",
      ...extra,
    },
  };
}

/** Trains the SAE and writes models/saes/<name>/ (cfg.json, sae_weights.safetensors, training-log.json, README.md). */
export async function trainSae(stepsOverride?: number): Promise<void> {
  const recipe = SAE_RECIPE;
  const steps = stepsOverride ?? recipe.steps;
  const { data, corpus } = prepareData();
  const model = await loadModel(recipe.model);
  const random = rng(recipe.seed);
  const dIn = model.cfg.dModel;
  const tokensPerStep = recipe.rows * (recipe.ctx - 1);
  console.log(`training the SAE ${recipe.name} on ${backend()}: ${steps} steps of ${tokensPerStep} tokens`);
  const first = sampleActivations(model, data.tokens, data.bos, random);
  const params = initParams(dIn, first, random);
  first.dispose();
  const optimizer = tf.train.adam(recipe.lr);
  const lastFired = new Float64Array(recipe.dSae); // tokens seen when each feature last fired
  const curve: { step: number; mse: number; aux: number; dead: number; seconds: number }[] = [];
  const started = Date.now();
  let window = { mse: 0, aux: 0, n: 0 };
  for (let step = 1; step <= steps; step++) {
    const decayFrom = steps * (1 - recipe.decayShare);
    (optimizer as unknown as { learningRate: number }).learningRate =
      recipe.lr * Math.min(1, (steps - step + 1) / Math.max(1, steps - decayFrom));
    const seen = (step - 1) * tokensPerStep;
    const deadFlags = Float32Array.from(lastFired, (t) => (seen - t >= recipe.deadAfterTokens ? 1 : 0));
    const numDead = deadFlags.reduce((a, b) => a + b, 0);
    const dead = numDead > 0 ? tf.tensor1d(deadFlags) : null; // [d_sae]
    const x = sampleActivations(model, data.tokens, data.bos, random); // [tokens, d_in]
    const result = trainStep(params, optimizer, x, dead, numDead);
    x.dispose();
    dead?.dispose();
    for (const f of result.fired) lastFired[f] = seen + tokensPerStep;
    window = { mse: window.mse + result.mse, aux: window.aux + result.aux, n: window.n + 1 };
    if (step % recipe.logEvery === 0 || step === steps) {
      const point = {
        step,
        mse: +(window.mse / window.n).toFixed(5),
        aux: +(window.aux / window.n).toFixed(5),
        dead: numDead,
        seconds: Math.round((Date.now() - started) / 1000),
      };
      curve.push(point);
      console.log(
        `step ${step}: normalised mse ${point.mse}, aux ${point.aux}, ${point.dead} dead (${point.seconds} s, ${tf.memory().numTensors} tensors)`,
      );
      window = { mse: 0, aux: 0, n: 0 };
    }
  }
  optimizer.dispose();
  const folder = path.join(REPO, "models", "saes", recipe.name);
  fs.mkdirSync(folder, { recursive: true });
  const tensors: [string, { shape: number[]; values: Float32Array }][] = (["W_enc", "b_enc", "W_dec", "b_dec"] as const).map(
    (name) => [name, { shape: params[name].shape, values: params[name].dataSync() as Float32Array }],
  );
  await writeSafetensors(path.join(folder, "sae_weights.safetensors"), tensors);
  fs.writeFileSync(path.join(folder, "cfg.json"), JSON.stringify(saeConfigJson(dIn), null, 2) + "\n");
  const heldout = heldoutRows(data.tokens, data.bos);
  fs.writeFileSync(
    path.join(folder, "heldout-tokens.json"),
    JSON.stringify({
      about: `${recipe.heldoutRows} rows (BOS + ${recipe.ctx - 1} tokens) evenly spaced over the last ${recipe.heldoutTokens} tokens of the corpus, never trained on`,
      rows: heldout,
    }) + "\n",
  );
  const log = {
    sae: recipe.name,
    recipe,
    steps,
    trainingTokens: steps * tokensPerStep,
    backend: backend(),
    corpus: { source: corpus.source, tokens: data.tokens.length, sha256: corpus.sha256 },
    seconds: Math.round((Date.now() - started) / 1000),
    curve,
  };
  fs.writeFileSync(path.join(folder, "training-log.json"), JSON.stringify(log, null, 1) + "\n");
  tf.dispose(Object.values(params));
  model.dispose();
  console.log(`saved ${folder} after ${log.seconds} s`);
  await writeSaeCard(folder);
}
