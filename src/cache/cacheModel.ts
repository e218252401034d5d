/**
 * What the cache helpers need from the model that produced a cache: its config and its
 * parameters by TransformerLens name (a structural type, so src/cache does not depend on
 * the HookedTransformer class).
 */
import type { Tensor } from "@tensorflow/tfjs-core";
import type { TransformerConfig } from "../loading/config";
import type { Tokenizer } from "../tokenizer";

/** The model side of an ActivationCache. */
export interface CacheModel {
  readonly cfg: TransformerConfig;
  /** A parameter by TransformerLens name, owned by the model (e.g. "blocks.0.attn.W_O"). */
  param(name: string): Tensor;
  /** Parameter names the model holds. */
  paramNames(): string[];
  /** Its tokenizer, if it has one (for the cache's strTokens). */
  readonly tokenizer?: Tokenizer;
}
