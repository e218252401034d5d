/**
 * The SAELens fixtures (scripts/fixtures/make_sae_fixtures.py → tests/fixtures/saes/<name>/): each folder holds an
 * SAE saved by sae-lens and reference.safetensors with its outputs.
 */
import * as path from "path";
import { tf } from "../../src";
import { SafetensorsFile } from "../../src/loading/safetensors";
import type { Tensor } from "../../src/tensor";
import { REPO_ROOT } from "../support/paths";

export const SAE_FIXTURES = path.join(REPO_ROOT, "tests", "fixtures", "saes");

/** Every fixture SAE's folder name. */
export const SAE_NAMES = [
  "standard",
  "standard-no-bdec",
  "jumprelu",
  "topk",
  "topk-rescaled",
  "gated",
  "hook-z",
  "constant-norm-rescale",
  "layer-norm",
  "transcoder",
  "jumprelu-transcoder",
  "skip-transcoder",
  "batchtopk",
];

/** The reference tensors of fixture `name` (tokens as int32); caller disposes. */
export async function saeReference(name: string): Promise<Record<string, Tensor>> {
  const file = await SafetensorsFile.open(path.join(SAE_FIXTURES, name, "reference.safetensors"));
  try {
    const out: Record<string, Tensor> = {};
    for (const key of file.names()) {
      if (key === "tokens") {
        const { values, shape } = await file.readInt32(key);
        out[key] = tf.tensor(values, shape, "int32");
      } else {
        const { values, shape } = await file.readFloat32(key);
        out[key] = tf.tensor(values, shape);
      }
    }
    return out;
  } finally {
    await file.close();
  }
}
