/**
 * Loads a model folder (config.json + model.safetensors, or sharded with
 * model.safetensors.index.json) into a TransformerConfig and TransformerLens
 * parameters. Either everything loads or nothing stays allocated.
 */
import * as fs from "fs";
import * as path from "path";
import { paramsFromFiles } from "./checkpointParams";
import { configFromJson, ConfigError, TransformerConfig } from "./config";
import type { Params } from "./keymaps/types";
import { SafetensorsError, SafetensorsFile } from "./safetensors";

/** A loaded checkpoint. */
export interface Checkpoint {
  cfg: TransformerConfig;
  params: Params;
  /** The raw config.json. */
  hfConfig: Record<string, unknown>;
  folder: string;
}

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

/** Opens the weight files of `folder`: model.safetensors, or the shards an index names (`indexFile` then). */
async function openWeights(folder: string): Promise<{ files: SafetensorsFile[]; indexFile?: string }> {
  const single = path.join(folder, "model.safetensors");
  if (fs.existsSync(single)) return { files: [await SafetensorsFile.open(single)] };
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
  return { files, indexFile };
}

/** Loads config and weights from a local model folder. */
export async function loadCheckpoint(folder: string): Promise<Checkpoint> {
  const configFile = path.join(folder, "config.json");
  const hfConfig = readJson(configFile);
  const cfg = configFromJson(hfConfig, configFile);
  const { files, indexFile } = await openWeights(folder);
  const params = await paramsFromFiles(files, { folder, configFile, hfConfig, cfg, indexFile });
  return { cfg, params, hfConfig, folder };
}
