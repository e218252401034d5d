/**
 * Loading a model in a browser page from its files' contents: config.json, model.safetensors and the tokenizer
 * files, as bytes or text already in memory (embedded in the page, or fetched by the page itself). The same steps
 * as Node's loadModel(folder) — config parsed and checked, weights read through the architecture's key map and
 * checked against the config, the tokenizer built and validated, weights processed as TransformerLens does — with
 * nothing read from disk.
 */
import { paramsFromFiles } from "../../src/loading/checkpointParams";
import { configFromJson, ConfigError } from "../../src/loading/config";
import { SafetensorsFile } from "../../src/loading/safetensors";
import { HookedTransformer } from "../../src/model/hookedTransformer";
import { processedOrDisposed } from "../../src/model/processWeights";
import { Tokenizer } from "../../src/tokenizer/tokenizer";
import { parseJsonObject, type JsonObject } from "../../src/tokenizer/json";
import { checkTokenizerJson } from "../../src/tokenizer/validate";
import { initLiveBackend, type LiveBackendRequest } from "./backend";

/** A JSON file's contents: its text, or the object it parses to. */
export type JsonFile = string | Record<string, unknown>;

/** A model's files, in memory. */
export interface ModelFiles {
  /** Names the model in messages, as a folder would (e.g. "attn-only-2l"). */
  name: string;
  /** config.json (Hugging Face or tslens-native). */
  config: JsonFile;
  /** model.safetensors. */
  weights: ArrayBuffer | Uint8Array;
  /** tokenizer.json; without it the model takes token ids only. */
  tokenizer?: JsonFile;
  /** tokenizer_config.json. */
  tokenizerConfig?: JsonFile;
  /** special_tokens_map.json. */
  specialTokensMap?: JsonFile;
}

/** Options of loadModelFromFiles. */
export interface LiveLoadOptions {
  /** Fold LayerNorm, centre writing weights and the unembedding, fold value biases (default true, as loadModel). */
  processWeights?: boolean;
  /** The page's backend, when none is chosen yet (default "wasm"); see initLiveBackend. */
  backend?: LiveBackendRequest;
}

/** config.json as an object; bad JSON is a ConfigError naming the file. */
function configObject(file: string, config: JsonFile): Record<string, unknown> {
  if (typeof config !== "string") return config;
  let parsed: unknown;
  try {
    parsed = JSON.parse(config);
  } catch (err) {
    throw new ConfigError(`${file} is not valid JSON: ${(err as Error).message}`);
  }
  if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed))
    throw new ConfigError(`${file} is not a JSON object`);
  return parsed as Record<string, unknown>;
}

/** A tokenizer file as an object (parsed and checked as Tokenizer.fromFolder does). */
function tokenizerObject(folder: string, name: string, file: JsonFile): JsonObject {
  return typeof file === "string" ? parseJsonObject(folder, name, file) : parseJsonObject(folder, name, JSON.stringify(file));
}

/** The tokenizer of `files` (tokenizer.json and its companions), or undefined when there is none. */
export function tokenizerFromFiles(files: ModelFiles): Tokenizer | undefined {
  if (files.tokenizer === undefined) return undefined;
  const folder = files.name;
  const tokenizerJson = tokenizerObject(folder, "tokenizer.json", files.tokenizer);
  checkTokenizerJson(folder, tokenizerJson);
  const config =
    files.tokenizerConfig === undefined ? {} : tokenizerObject(folder, "tokenizer_config.json", files.tokenizerConfig);
  const specialTokensMap =
    files.specialTokensMap === undefined ? null : tokenizerObject(folder, "special_tokens_map.json", files.specialTokensMap);
  return Tokenizer.fromContents({ folder, source: "tokenizer.json", tokenizerJson, config, specialTokensMap });
}

/** Throws naming the first field of `files` that is missing or of the wrong kind. */
function checkFiles(files: ModelFiles): void {
  const usage = "loadModel takes { name, config, weights, tokenizer?, tokenizerConfig?, specialTokensMap? }";
  if (typeof files !== "object" || files === null) throw new Error(`${usage}, got ${String(files)}`);
  if (typeof files.name !== "string" || files.name === "") throw new Error(`${usage}: name (a text naming the model) is missing`);
  if (files.config === undefined) throw new Error(`${usage}: ${files.name} has no config (config.json)`);
  if (!(files.weights instanceof ArrayBuffer || files.weights instanceof Uint8Array))
    throw new Error(`${usage}: ${files.name}'s weights (model.safetensors) must be an ArrayBuffer or a Uint8Array`);
}

/** Loads a model from its files' contents (see ModelFiles) on the page's backend. Nothing stays allocated on an error. */
export async function loadModelFromFiles(files: ModelFiles, options: LiveLoadOptions = {}): Promise<HookedTransformer> {
  checkFiles(files);
  await initLiveBackend(options.backend);
  const folder = files.name;
  const configFile = `${folder}/config.json`;
  const hfConfig = configObject(configFile, files.config);
  const cfg = configFromJson(hfConfig, configFile);
  const tokenizer = tokenizerFromFiles(files);
  const bytes = files.weights instanceof Uint8Array ? files.weights : new Uint8Array(files.weights);
  const weights = await SafetensorsFile.fromBytes(`${folder}/model.safetensors`, bytes);
  const params = await paramsFromFiles([weights], { folder, configFile, hfConfig, cfg });
  const model = new HookedTransformer(cfg, params, tokenizer, folder);
  return processedOrDisposed(model, options.processWeights ?? true);
}
