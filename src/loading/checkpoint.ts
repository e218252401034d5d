/**
 * Loads a model folder (config.json + model.safetensors, or sharded with
 * model.safetensors.index.json) into a TransformerConfig and TransformerLens
 * parameters. Either everything loads or nothing stays allocated.
 */
import * as fs from "fs";
import * as path from "path";
import { tf } from "../tensor";
import { configFromJson, ConfigError, TransformerConfig } from "./config";
import { checkConsistency } from "./consistency";
import { gemma3MultimodalKeyMap, gemmaKeyMap, olmo2KeyMap } from "./keymaps/gemma";
import { gpt2KeyMap } from "./keymaps/gpt2";
import { llamaKeyMap } from "./keymaps/llama";
import { nativeKeyMap } from "./keymaps/native";
import { neoxKeyMap } from "./keymaps/neox";
import { phi3KeyMap } from "./keymaps/phi3";
import { qwen2KeyMap, qwen3KeyMap } from "./keymaps/qwen";
import type { KeyMap, Params } from "./keymaps/types";
import { CheckpointReader, warnAboutCheckpoint } from "./reader";
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
  Qwen2ForCausalLM: qwen2KeyMap,
  Qwen3ForCausalLM: qwen3KeyMap,
  MistralForCausalLM: llamaKeyMap,
  Phi3ForCausalLM: phi3KeyMap,
  GemmaForCausalLM: gemmaKeyMap,
  Gemma2ForCausalLM: gemmaKeyMap,
  Gemma3ForCausalLM: gemmaKeyMap,
  Gemma3ForConditionalGeneration: gemma3MultimodalKeyMap,
  Olmo2ForCausalLM: olmo2KeyMap,
  tslens: nativeKeyMap,
};

/**
 * Tensors a checkpoint may hold that no key map reads, so they are not reported as unused: causal-mask buffers of
 * older GPT-2 / GPT-NeoX checkpoints, rotary frequency buffers, and a tied model's copy of its embedding.
 */
const IGNORED: Record<string, RegExp[]> = {
  GPT2LMHeadModel: [/\.attn\.(masked_)?bias$/],
  GPTNeoXForCausalLM: [/\.attention\.(masked_)?bias$/, /\.rotary_emb\.inv_freq$/],
  LlamaForCausalLM: [/\.rotary_emb\.inv_freq$/, /^lm_head\.weight$/],
  Qwen2ForCausalLM: [/\.rotary_emb\.inv_freq$/, /^lm_head\.weight$/],
  Qwen3ForCausalLM: [/\.rotary_emb\.inv_freq$/, /^lm_head\.weight$/],
  MistralForCausalLM: [/\.rotary_emb\.inv_freq$/, /^lm_head\.weight$/],
  GemmaForCausalLM: [/\.rotary_emb\.inv_freq$/, /^lm_head\.weight$/],
  Gemma2ForCausalLM: [/\.rotary_emb\.inv_freq$/, /^lm_head\.weight$/],
  Gemma3ForCausalLM: [/\.rotary_emb(_local)?\.inv_freq$/, /^lm_head\.weight$/],
  Gemma3ForConditionalGeneration: [
    /\.rotary_emb(_local)?\.inv_freq$/,
    /(^|\.)lm_head\.weight$/,
    /^(model\.)?vision_tower\./,
    /^(model\.)?multi_modal_projector\./,
  ],
  Olmo2ForCausalLM: [/\.rotary_emb\.inv_freq$/],
  Phi3ForCausalLM: [/\.rotary_emb\.inv_freq$/, /^lm_head\.weight$/],
  tslens: [],
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
  const architecture = cfg.originalArchitecture;
  const keyMap = KEY_MAPS[architecture];
  const { files, indexFile } = await openWeights(folder);
  const reader = new CheckpointReader(files, { folder, configFile, hfConfig, cfg, indexFile });
  tf.engine().startScope();
  let params: Params | undefined;
  try {
    checkConsistency(files, { configFile, hfConfig, cfg });
    params = await keyMap(reader, cfg, hfConfig);
  } finally {
    // Keep the parameters; every intermediate (or everything, after an error) is disposed.
    tf.engine().endScope(params ? [...params.values()] : undefined);
    await Promise.all(files.map((f) => f.close()));
  }
  warnAboutCheckpoint(reader, IGNORED[architecture] ?? [], architecture === "tslens" ? "tslens-native" : architecture);
  return { cfg, params, hfConfig, folder };
}
