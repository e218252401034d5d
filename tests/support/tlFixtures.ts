/**
 * TransformerLens's own outputs (tests/fixtures/analysis, written by
 * scripts/fixtures/make_analysis_fixtures.py): results by name, with the call that made
 * each and its labels.
 */
import * as fs from "fs";
import * as path from "path";
import { SafetensorsFile } from "../../src/loading/safetensors";
import { tf } from "../../src";
import type { Tensor } from "../../src/tensor";
import { REPO_ROOT } from "./paths";

export const ANALYSIS_FIXTURES = path.join(REPO_ROOT, "tests", "fixtures", "analysis");

/** One model's TransformerLens results. */
export interface TlResults {
  /** Float results as tensors (caller disposes via dispose()). */
  get(name: string): Tensor;
  /** Integer results (tokens) as nested arrays. */
  ints(name: string): number[] | number[][];
  labels(name: string): string[];
  call(name: string): string;
  names(): string[];
  dispose(): void;
}

/** Names of the results stored for `model` (read synchronously, to declare one test per result). */
export function tlResultNames(model: string): string[] {
  const manifest = JSON.parse(fs.readFileSync(path.join(ANALYSIS_FIXTURES, "manifest.json"), "utf8"));
  return Object.keys(manifest.models[model].results);
}

/** Reads `<model>.safetensors` and its manifest entry. */
export async function tlResults(model: string): Promise<TlResults> {
  const manifest = JSON.parse(fs.readFileSync(path.join(ANALYSIS_FIXTURES, "manifest.json"), "utf8"));
  const entries: Record<string, { call: string; shape: number[]; labels?: string[] }> = manifest.models[model].results;
  const file = await SafetensorsFile.open(path.join(ANALYSIS_FIXTURES, `${model}.safetensors`));
  const floats = new Map<string, Tensor>();
  const ints = new Map<string, number[] | number[][]>();
  try {
    for (const name of file.names()) {
      const shape = entries[name].shape;
      if (
        name.endsWith("tokens") ||
        ["answers", "wrong", "patching.clean", "patching.corrupted", "patching.answer_wrong"].includes(name)
      ) {
        const { values } = await file.readInt32(name);
        const flat = Array.from(values);
        ints.set(
          name,
          shape.length === 2 ? Array.from({ length: shape[0] }, (_, i) => flat.slice(i * shape[1], (i + 1) * shape[1])) : flat,
        );
      } else {
        const { values } = await file.readFloat32(name);
        floats.set(name, tf.tensor(values, shape));
      }
    }
  } finally {
    await file.close();
  }
  const must = <T>(map: Map<string, T>, name: string): T => {
    const v = map.get(name);
    if (v === undefined) throw new Error(`no TransformerLens result "${name}" for ${model}`);
    return v;
  };
  return {
    get: (name) => must(floats, name),
    ints: (name) => must(ints, name),
    labels: (name) => entries[name].labels ?? [],
    call: (name) => entries[name].call,
    names: () => Object.keys(entries),
    dispose: () => tf.dispose([...floats.values()]),
  };
}
