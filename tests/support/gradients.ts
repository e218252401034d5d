/**
 * Shared setup of the gradient and hook tests: fixture models loaded raw for a describe block, the logit-difference
 * metric they differentiate, and small tensor measures.
 */
import * as path from "path";
import type { Tensor } from "@tensorflow/tfjs-core";
import { HookedTransformer, loadModel, tf } from "../../src";
import { FIXTURES } from "./hfReference";

/** Loads fixture `name` without weight processing. */
export function loadRaw(name: string): Promise<HookedTransformer> {
  return loadModel(path.join(FIXTURES, name), { processWeights: false });
}

/**
 * Loads the fixtures `folders` (key → fixture folder) without weight processing before the enclosing describe's
 * tests and disposes them after; the returned object holds them under the same keys once loaded.
 */
export function rawModels<K extends string>(folders: Record<K, string>): Record<K, HookedTransformer> {
  const models = {} as Record<K, HookedTransformer>;
  const keys = Object.keys(folders) as K[];
  before(async () => {
    for (const key of keys) models[key] = await loadRaw(folders[key]);
  });
  after(() => {
    for (const key of keys) models[key]?.dispose();
  });
  return models;
}

/** Logit of token 7 minus logit of token 3 at position 7 of row 0, a scalar [] (the inputs have 8 positions). */
export const logitDiff = (logits: Tensor): Tensor =>
  tf.tidy(() =>
    logits
      .slice([0, 7, 7], [1, 1, 1])
      .sub(logits.slice([0, 7, 3], [1, 1, 1]))
      .reshape([]),
  );

/** The largest absolute value of `t`. */
export const maxAbs = (t: Tensor): number => tf.tidy(() => t.abs().max().dataSync()[0]);
