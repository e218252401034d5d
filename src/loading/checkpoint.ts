/**
 * Loads a model folder (config.json + model.safetensors, or sharded with
 * model.safetensors.index.json) into a TransformerConfig and TransformerLens
 * parameters. Either everything loads or nothing stays allocated.
 */
import * as fs from "fs";
import * as path from "path";
import { tf } from "../tensor";
import { configFromJson, ConfigError, TransformerConfig } from "./config";
import { gpt2KeyMap } from "./keymaps/gpt2";
import { llamaKeyMap } from "./keymaps/llama";
import { nativeKeyMap } from "./keymaps/native";
import { neoxKeyMap } from "./keymaps/neox";
import type { KeyMap, Params, WeightReader } from "./keymaps/types";
import { SafetensorsError, SafetensorsFile } from "./safetensors";

/** A loaded checkpoint. */
export interface Checkpoint {
  cfg: TransformerConfig;
  params: Params;
  /** The raw config.json. */
  hfConfig: Record<string, unknown>;
  folder: string;
}

const KEY_MAPS: Record<string, KeyMap> = {
  GPT2LMHeadModel: gpt2KeyMap,
  GPTNeoXForCausalLM: neoxKeyMap,
  LlamaForCausalLM: llamaKeyMap,
  tslens: nativeKeyMap,
};

function readJson(file: string): Record<string, unknown> {
  let text: string;
  try {
    text = fs.readFileSync(file, "utf8");
  } catch (err) {
    throw new ConfigError(`cannot read ${file}: ${(err as Error).message}`);
  }
  try {
    return JSON.parse(text);
  } catch (err) {
    throw new ConfigError(`${file} is not valid JSON: ${(err as Error).message}`);
  }
}

/** Opens the weight files of `folder`: model.safetensors, or the shards an index names. */
async function openWeights(folder: string): Promise<SafetensorsFile[]> {
  const single = path.join(folder, "model.safetensors");
  if (fs.existsSync(single)) return [await SafetensorsFile.open(single)];
  const indexFile = path.join(folder, "model.safetensors.index.json");
  if (!fs.existsSync(indexFile)) throw new SafetensorsError(`${folder}: no model.safetensors or model.safetensors.index.json`);
  const index = readJson(indexFile);
  const weightMap = index.weight_map as Record<string, unknown> | undefined;
  if (!weightMap || typeof weightMap !== "object") throw new SafetensorsError(`${indexFile}: missing weight_map`);
  const shards = [...new Set(Object.values(weightMap))];
  const files: SafetensorsFile[] = [];
  try {
    for (const shard of shards) {
      if (typeof shard !== "string" || shard.includes("/") || shard.includes("\\") || shard.startsWith(".")) {
        throw new SafetensorsError(`${indexFile}: invalid shard file name ${JSON.stringify(shard)}`);
      }
      files.push(await SafetensorsFile.open(path.join(folder, shard)));
    }
  } catch (err) {
    await Promise.all(files.map((f) => f.close()));
    throw err;
  }
  return files;
}

/** A WeightReader over one or more safetensors files. */
function readerFor(files: SafetensorsFile[]): WeightReader {
  const owner = new Map<string, SafetensorsFile>();
  for (const file of files) for (const name of file.names()) owner.set(name, file);
  return {
    has: (key) => owner.has(key),
    get: async (key, shape) => {
      const file = owner.get(key);
      if (!file) throw new SafetensorsError(`checkpoint has no tensor "${key}" (expected shape [${shape.join(", ")}])`);
      const entry = file.tensors.get(key)!;
      const matches = entry.shape.length === shape.length && entry.shape.every((dim, i) => dim === shape[i]);
      if (!matches) {
        throw new SafetensorsError(
          `${file.path}: tensor "${key}" has shape [${entry.shape.join(", ")}] but the config needs [${shape.join(", ")}]`,
        );
      }
      const { values } = await file.readFloat32(key);
      return tf.tensor(values, shape, "float32");
    },
  };
}

/** Loads config and weights from a local model folder. */
export async function loadCheckpoint(folder: string): Promise<Checkpoint> {
  const configFile = path.join(folder, "config.json");
  const hfConfig = readJson(configFile);
  const cfg = configFromJson(hfConfig, configFile);
  const keyMap = KEY_MAPS[cfg.originalArchitecture];
  const files = await openWeights(folder);
  tf.engine().startScope();
  let params: Params | undefined;
  try {
    params = await keyMap(readerFor(files), cfg, hfConfig);
  } finally {
    // Keep the parameters; every intermediate (or everything, after an error) is disposed.
    tf.engine().endScope(params ? [...params.values()] : undefined);
    await Promise.all(files.map((f) => f.close()));
  }
  return { cfg, params, hfConfig, folder };
}
