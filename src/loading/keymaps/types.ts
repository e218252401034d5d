/**
 * What a key map needs: read a Hugging Face tensor with the shape the config
 * implies, and produce TransformerLens-named parameters.
 */
import type { Tensor } from "@tensorflow/tfjs-core";
import type { TransformerConfig } from "../config";

/** Reads checkpoint tensors by name, checking their shapes. */
export interface WeightReader {
  /** True when the checkpoint has `key`. */
  has(key: string): boolean;
  /** The tensor `key` as fp32; throws naming the key when it is missing or its shape is not `shape`. */
  get(key: string, shape: number[]): Promise<Tensor>;
}

/** TransformerLens parameter name → tensor (TransformerLens layouts, see transformerlens-semantics.md §1). */
export type Params = Map<string, Tensor>;

/** Converts one architecture's checkpoint into TransformerLens parameters; `hf` is the raw config.json. */
export type KeyMap = (reader: WeightReader, cfg: TransformerConfig, hf: Record<string, unknown>) => Promise<Params>;
