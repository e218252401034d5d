/**
 * Reading the Hugging Face reference activations the fixture scripts commit (scripts/fixtures/*.py →
 * tests/fixtures/models/<model>/reference-<input>.safetensors) and comparing with them.
 */
import { strict as assert } from "assert";
import * as path from "path";
import { tf } from "../../src";
import { SafetensorsFile } from "../../src/loading/safetensors";
import type { Tensor } from "../../src/tensor";
import { REPO_ROOT } from "./paths";

/** Where the fixture models and their references live. */
export const FIXTURES = path.join(REPO_ROOT, "tests", "fixtures", "models");

/** Largest |a − b|, after checking shapes agree. */
export function maxAbsDiff(actual: Tensor, expected: Tensor, what: string): number {
  assert.deepEqual(actual.shape, expected.shape, `${what}: shape`);
  return tf.tidy(() => actual.sub(expected).abs().max().dataSync()[0]);
}

/** The reference tokens [batch, pos] (int32) and tensors by name of `model` on `input` ("single", "batch", …); caller disposes. */
export async function hfReference(model: string, input: string): Promise<{ tokens: Tensor; tensors: Map<string, Tensor> }> {
  const file = await SafetensorsFile.open(path.join(FIXTURES, model, `reference-${input}.safetensors`));
  try {
    const tok = await file.readInt32("tokens");
    const tensors = new Map<string, Tensor>();
    for (const name of file.names()) {
      if (name === "tokens") continue;
      const { shape, values } = await file.readFloat32(name);
      tensors.set(name, tf.tensor(values, shape));
    }
    return { tokens: tf.tensor(tok.values, tok.shape, "int32"), tensors };
  } finally {
    await file.close();
  }
}
