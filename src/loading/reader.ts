/**
 * The WeightReader a key map reads a checkpoint through. Besides reading, it keeps what a user needs to hear
 * about the checkpoint: a missing tensor is explained against the config that asked for it (which file, which
 * key, which config field implies it), and after loading it can tell which tensors nothing read and which held
 * NaN or infinite values.
 */
import { tf } from "../tensor";
import { baseName } from "./fileNames";
import type { TransformerConfig } from "./config";
import type { WeightReader } from "./keymaps/types";
import { SafetensorsError, SafetensorsFile } from "./safetensors";
import { adoptableFloat32, GarbagePacer, tensorFromValues } from "./tensorMemory";

/** Where a checkpoint comes from, for messages. */
export interface CheckpointSource {
  folder: string;
  configFile: string;
  hfConfig: Record<string, unknown>;
  cfg: TransformerConfig;
  /** The index of a sharded checkpoint, when there is one. */
  indexFile?: string;
}

/** A tensor that held NaN or infinite values. */
export interface NonFiniteTensor {
  key: string;
  file: string;
  nan: number;
  infinite: number;
  size: number;
}

/** How many NaN and how many ±Infinity values `values` holds. */
export function countNonFinite(values: Float32Array): { nan: number; infinite: number } {
  let [nan, infinite] = [0, 0];
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (v - v !== 0) {
      if (Number.isNaN(v)) nan++;
      else infinite++;
    }
  }
  return { nan, infinite };
}

/** The config.json key that holds the number of layers, as the file spells it. */
function layersField(hf: Record<string, unknown>): string {
  return ["n_layer", "num_hidden_layers", "n_layers", "nLayers"].find((k) => hf[k] !== undefined) ?? "n_layers";
}

/** Matches a per-layer tensor name: the prefix up to the layer index, and the index. */
const LAYER_KEY = /^(.*?(?:^|\.)(?:h|layers|blocks)\.)(\d+)\./;

/** Reads tensors from `files`, checking shapes, remembering what was read and which values were not finite. */
export class CheckpointReader implements WeightReader {
  private readonly owner = new Map<string, SafetensorsFile>();
  /** Tensors read so far. */
  readonly used = new Set<string>();
  /** Tensors read that held NaN or infinite values. */
  readonly nonFinite: NonFiniteTensor[] = [];
  /** Key maps free most tensors they read once reshaped: their arrays are collected every 512 MB read. */
  private readonly pacer = new GarbagePacer(512 * 1024 * 1024);

  constructor(
    private readonly files: SafetensorsFile[],
    private readonly source: CheckpointSource,
  ) {
    for (const file of files) for (const name of file.names()) this.owner.set(name, file);
  }

  /** True when the checkpoint has `key`. */
  has(key: string): boolean {
    return this.owner.has(key);
  }

  /** The tensor `key` as fp32 [...shape]; throws naming the file, the key and the config when it is missing or misshapen. */
  async get(key: string, shape: number[]): Promise<tf.Tensor> {
    const file = this.owner.get(key);
    if (!file) throw new SafetensorsError(this.missingMessage(key, shape));
    const entry = file.tensors.get(key)!;
    const matches = entry.shape.length === shape.length && entry.shape.every((dim, i) => dim === shape[i]);
    if (!matches) {
      throw new SafetensorsError(
        `${file.path}: tensor "${key}" has shape [${entry.shape.join(", ")}] but the config needs [${shape.join(", ")}] (${this.source.configFile})`,
      );
    }
    const { values } = await file.readFloat32(key, adoptableFloat32);
    const { nan, infinite } = countNonFinite(values);
    if (nan + infinite > 0) this.nonFinite.push({ key, file: file.path, nan, infinite, size: values.length });
    this.used.add(key);
    this.pacer.allocated(values.byteLength);
    return tensorFromValues(values, shape); // [...shape]
  }

  /** The checkpoint's files, for messages: one path, or the folder with the shard names and the index. */
  describeFiles(): string {
    const { folder, indexFile } = this.source;
    if (this.files.length === 1 && !indexFile) return this.files[0].path;
    const names = this.files.map((f) => baseName(f.path));
    const shown = names.length > 3 ? `${names.slice(0, 3).join(", ")}, … (${names.length} shards)` : names.join(", ");
    return `${folder} (${shown}${indexFile ? `, listed in ${baseName(indexFile)}` : ""})`;
  }

  /** Why `key` is missing: the layer count when the config asks for more layers than the files hold, else the architecture. */
  private missingMessage(key: string, shape: number[]): string {
    const { configFile, hfConfig, cfg } = this.source;
    const head = `${this.describeFiles()} has no tensor "${key}" (expected shape [${shape.join(", ")}])`;
    const layer = LAYER_KEY.exec(key);
    if (layer) {
      const [, prefix, index] = layer;
      const present = new Set<number>();
      for (const name of this.owner.keys()) {
        const m = LAYER_KEY.exec(name);
        if (m && m[1] === prefix) present.add(Number(m[2]));
      }
      const count = present.size === 0 ? 0 : Math.max(...present) + 1;
      if (Number(index) >= count) {
        const held = count === 0 ? "no layers" : `layers 0…${count - 1} only`;
        const files = this.files.length === 1 ? `${baseName(this.files[0].path)} has` : `its ${this.files.length} shards have`;
        return `${head}: ${configFile} says ${layersField(hfConfig)} = ${cfg.nLayers} but ${files} ${held}`;
      }
    }
    if (key === "lm_head.weight" && hfConfig.tie_word_embeddings !== true)
      return `${head}: ${configFile} does not set tie_word_embeddings = true, so the unembedding must be stored as lm_head.weight`;
    const type = hfConfig.model_type ?? (hfConfig.tslens_format !== undefined ? "tslens-native" : undefined);
    return `${head}, which ${configFile} implies (model_type ${JSON.stringify(type)}, read as ${cfg.originalArchitecture})`;
  }

  /** Tensors of the checkpoint that were never read, except those matching `ignored` (buffers a checkpoint may carry). */
  unused(ignored: RegExp[]): string[] {
    return [...this.owner.keys()].filter((name) => !this.used.has(name) && !ignored.some((re) => re.test(name)));
  }
}

/** "a", "b", "c", … and N more: at most `max` names. */
function listNames(names: string[], max = 10): string {
  const shown = names.slice(0, max).map((n) => JSON.stringify(n));
  return names.length > max ? `${shown.join(", ")} … and ${names.length - max} more` : shown.join(", ");
}

/** Warns once (console.warn) about tensors nothing read and about NaN or infinite weights, naming them and the files. */
export function warnAboutCheckpoint(reader: CheckpointReader, ignored: RegExp[], architecture: string): void {
  const unused = reader.unused(ignored);
  if (unused.length > 0)
    console.warn(
      `${reader.describeFiles()}: ${unused.length} tensor(s) that ${architecture} loading does not use were ignored: ${listNames(unused)}`,
    );
  const bad = reader.nonFinite;
  if (bad.length > 0) {
    const described = bad.map((t) => {
      const parts = [t.nan > 0 ? `${t.nan} NaN` : "", t.infinite > 0 ? `${t.infinite} infinite` : ""].filter(Boolean);
      return `"${t.key}" (${parts.join(" and ")} of ${t.size} values)`;
    });
    const shown =
      described.length > 10
        ? `${described.slice(0, 10).join(", ")} … and ${described.length - 10} more tensors`
        : described.join(", ");
    console.warn(
      `${reader.describeFiles()}: ${bad.length} tensor(s) hold non-finite weights: ${shown}. ` +
        "The model loads, but its outputs will be NaN or infinite wherever these weights are used.",
    );
  }
}
