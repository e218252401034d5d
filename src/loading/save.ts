/**
 * Saving models in the tslens-native format: config.json with TransformerLens-style
 * fields (`"tslens_format": 1`) and model.safetensors with TransformerLens names and
 * layouts (F32). `loadModel(folder)` reads it back. Used for models without a
 * Hugging Face class, such as attention-only toy models.
 */
import * as fs from "fs";
import * as path from "path";
import type { TransformerConfig } from "./config";
import type { Tensor } from "@tensorflow/tfjs-core";

/** Writes F32 tensors to `file` as safetensors, one tensor at a time, atomically (temp file + rename). */
export async function writeSafetensors(
  file: string,
  tensors: [string, { shape: number[]; values: Float32Array }][],
  metadata: Record<string, string> = {},
): Promise<void> {
  const header: Record<string, unknown> = { __metadata__: metadata };
  let offset = 0;
  for (const [name, { shape, values }] of tensors) {
    const expected = shape.reduce((a, b) => a * b, 1);
    if (values.length !== expected)
      throw new Error(`tensor "${name}" has ${values.length} values but shape [${shape}] needs ${expected}`);
    header[name] = { dtype: "F32", shape, data_offsets: [offset, offset + values.byteLength] };
    offset += values.byteLength;
  }
  // The data region starts 8-aligned, as the format recommends.
  let json = JSON.stringify(header);
  json += " ".repeat((8 - ((8 + Buffer.byteLength(json)) % 8)) % 8);
  const length = Buffer.alloc(8);
  length.writeBigUInt64LE(BigInt(Buffer.byteLength(json)));
  const tmp = `${file}.partial-${process.pid}`;
  const handle = await fs.promises.open(tmp, "w");
  try {
    await handle.write(length);
    await handle.write(Buffer.from(json, "utf8"));
    for (const [, { values }] of tensors) await handle.write(new Uint8Array(values.buffer, values.byteOffset, values.byteLength));
  } catch (err) {
    await handle.close();
    fs.rmSync(tmp, { force: true });
    throw err;
  }
  await handle.close();
  fs.renameSync(tmp, file);
}

/** The tslens-native config.json for `cfg` (snake_case, TransformerLens field names). */
export function nativeConfig(cfg: TransformerConfig): Record<string, unknown> {
  return {
    tslens_format: 1,
    n_layers: cfg.nLayers,
    n_heads: cfg.nHeads,
    d_model: cfg.dModel,
    d_head: cfg.dHead,
    d_mlp: cfg.dMlp,
    d_vocab: cfg.dVocab,
    d_vocab_out: cfg.dVocabOut,
    n_ctx: cfg.nCtx,
    act_fn: cfg.actFn,
    normalization_type: cfg.normalizationType,
    positional_embedding_type: cfg.positionalEmbeddingType,
    attn_only: cfg.attnOnly,
    n_key_value_heads: cfg.nKeyValueHeads,
    rotary_dim: cfg.rotaryDim,
    rotary_base: cfg.rotaryBase,
    rotary_adjacent_pairs: cfg.rotaryAdjacentPairs,
    parallel_attn_mlp: cfg.parallelAttnMlp,
    gated_mlp: cfg.gatedMlp,
    eps: cfg.eps,
    use_attn_scale: cfg.useAttnScale,
    default_prepend_bos: cfg.defaultPrependBos,
  };
}

/** Config fields nativeConfig does not write: a model using any of them would load back as a different model. */
const UNSAVED_FIELDS = [
  "qkNorm",
  "qkNormAcrossHeads",
  "normPlacement",
  "attnScale",
  "attnScoresSoftCap",
  "outputLogitsSoftCap",
  "localLayers",
  "rotaryBaseLocal",
  "slidingWindow",
] as const;

/** Saves `cfg` and `params` into `folder` (created if needed) in the tslens-native format. */
export async function saveNative(folder: string, cfg: TransformerConfig, params: ReadonlyMap<string, Tensor>): Promise<void> {
  if (cfg.ropeScaling !== null) throw new Error("saving models with rope scaling in the tslens format is not supported");
  const unsaved = UNSAVED_FIELDS.filter((field) => cfg[field] !== undefined && cfg[field] !== false);
  if (unsaved.length > 0)
    throw new Error(`the tslens-native format cannot hold this model's ${unsaved.join(", ")}: save is not supported for it`);
  fs.mkdirSync(folder, { recursive: true });
  const tensors: [string, { shape: number[]; values: Float32Array }][] = [];
  for (const [name, tensor] of [...params.entries()].sort(([a], [b]) => a.localeCompare(b))) {
    tensors.push([name, { shape: tensor.shape, values: (await tensor.data()) as Float32Array }]);
  }
  await writeSafetensors(path.join(folder, "model.safetensors"), tensors, { format: "tslens" });
  fs.writeFileSync(path.join(folder, "config.json"), JSON.stringify(nativeConfig(cfg), null, 2) + "\n");
}
