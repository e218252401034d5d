/**
 * `loadModel(nameOrPath, options)`: a local Hugging Face (or tslens-native)
 * folder, a model bundled under models/, or a Hugging Face hub id (downloaded
 * into the Hugging Face cache) → a HookedTransformer on the best backend.
 */
import * as fs from "fs";
import * as path from "path";
import { loadCheckpoint } from "../loading/checkpoint";
import { resolveHubModel } from "../loading/hub";
import type { ProgressOption } from "../loading/hub";
import { initBackend, noteSlowBackendOnce } from "../tensor";
import { Tokenizer } from "../tokenizer";
import { HookedTransformer } from "./hookedTransformer";
import { processedOrDisposed } from "./processWeights";

/** Folder of the models bundled with tslens (TSLENS_MODELS_DIR overrides it). */
export const BUNDLED_MODELS_DIR = path.resolve(__dirname, "..", "..", "..", "models");

/** The models tslens trains and bundles (`npm run train`). */
export const EMBEDDED_MODELS = ["attn-only-2l", "attn-only-1l"];

/** Options of loadModel. */
export interface LoadModelOptions {
  /** Fold LayerNorm, centre writing weights and the unembedding, fold value biases (default true, as TransformerLens). */
  processWeights?: boolean;
  /** Hub revision (branch, tag or commit), for hub ids. */
  revision?: string;
  /** Hugging Face cache folder, for hub ids. */
  cacheDir?: string;
  /** Download progress, for hub ids: a bar per file by default (a widget in a notebook cell, else on stderr), false, or a callback. */
  progress?: ProgressOption;
}

const TOKENIZER_FILES = ["tokenizer.json", "vocab.json"];

/** Where the model files for `nameOrPath` are: a local folder, a bundled model, or a downloaded hub snapshot. */
async function modelFolder(nameOrPath: string, options: LoadModelOptions): Promise<string> {
  if (fs.existsSync(nameOrPath)) {
    if (!fs.statSync(nameOrPath).isDirectory()) throw new Error(`${nameOrPath} is a file; loadModel takes a model folder`);
    return path.resolve(nameOrPath);
  }
  const bundled = path.join(process.env.TSLENS_MODELS_DIR || BUNDLED_MODELS_DIR, nameOrPath);
  if (/^[\w.-]+$/.test(nameOrPath) && fs.existsSync(path.join(bundled, "config.json"))) return bundled;
  if (EMBEDDED_MODELS.includes(nameOrPath)) {
    throw new Error(
      `the bundled model "${nameOrPath}" is not in this installation (no ${path.join(bundled, "config.json")}); ` +
        `train it with \`npm run train -- ${nameOrPath}\``,
    );
  }
  if (path.isAbsolute(nameOrPath)) throw new Error(`no model folder at ${nameOrPath}`);
  return resolveHubModel(nameOrPath, { revision: options.revision, cacheDir: options.cacheDir, progress: options.progress });
}

/** The model `loadModel()` loads without a name: the bundled 2-layer attention-only model. */
export const DEFAULT_MODEL = "attn-only-2l";

/** Loads a model (default: the bundled attn-only-2l); see LoadModelOptions. */
export async function loadModel(nameOrPath: string = DEFAULT_MODEL, options: LoadModelOptions = {}): Promise<HookedTransformer> {
  await initBackend();
  noteSlowBackendOnce();
  const folder = await modelFolder(nameOrPath, options);
  const tokenizer = TOKENIZER_FILES.some((f) => fs.existsSync(path.join(folder, f))) ? Tokenizer.fromFolder(folder) : undefined;
  const { cfg, params } = await loadCheckpoint(folder);
  const model = new HookedTransformer(cfg, params, tokenizer, folder);
  return processedOrDisposed(model, options.processWeights ?? true);
}
