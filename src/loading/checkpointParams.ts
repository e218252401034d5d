/**
 * From opened safetensors files and a parsed config to TransformerLens parameters: the key map of the config's
 * architecture, the consistency check between config and weights, and the warnings about unread or non-finite
 * tensors. Platform-free: ./checkpoint reads a folder on disk into it (Node), the browser build hands it files held
 * in memory. Either every parameter loads or nothing stays allocated; the files are closed either way.
 */
import { tf } from "../tensor";
import { checkConsistency } from "./consistency";
import { gemma3MultimodalKeyMap, gemmaKeyMap, olmo2KeyMap } from "./keymaps/gemma";
import { gpt2KeyMap } from "./keymaps/gpt2";
import { llamaKeyMap } from "./keymaps/llama";
import { nativeKeyMap } from "./keymaps/native";
import { neoxKeyMap } from "./keymaps/neox";
import { phi3KeyMap } from "./keymaps/phi3";
import { qwen2KeyMap, qwen3KeyMap } from "./keymaps/qwen";
import type { KeyMap, Params } from "./keymaps/types";
import { CheckpointReader, CheckpointSource, warnAboutCheckpoint } from "./reader";
import type { SafetensorsFile } from "./safetensors";

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

/** The conversion running now: conversions take turns (see paramsFromFiles). */
let converting: Promise<unknown> = Promise.resolve();

/**
 * Reads the TransformerLens parameters of `source.cfg`'s architecture out of `files` (a model's one
 * model.safetensors, or its shards), then closes them. Throws naming the file, key and config field at fault.
 * Loads started together convert one at a time: a conversion frees its intermediates with one engine scope that spans
 * its reads, and the engine's scopes are one stack, so two interleaved conversions would free each other's tensors.
 */
export function paramsFromFiles(files: SafetensorsFile[], source: CheckpointSource): Promise<Params> {
  const turn = converting.then(() => convert(files, source));
  converting = turn.catch(() => undefined); // the next one waits for this one, whether it loads or fails
  return turn;
}

async function convert(files: SafetensorsFile[], source: CheckpointSource): Promise<Params> {
  const { configFile, hfConfig, cfg } = source;
  const architecture = cfg.originalArchitecture;
  const keyMap = KEY_MAPS[architecture];
  const reader = new CheckpointReader(files, source);
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
  return params;
}
