/**
 * Lean loading: a loaded model holds its parameters and nothing else, weight processing replaces one weight at a
 * time (its peak stays near the largest weight, not the whole model), the sliced unembedding matches the
 * whole-tensor formulas, and loaded arrays are handed to native TensorFlow without a copy.
 */
import { strict as assert } from "assert";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { initBackend, loadModel, processWeights, tf } from "../../src";
import { adoptableFloat32, tensorFromValues } from "../../src/loading/tensorMemory";
import { SafetensorsFile } from "../../src/loading/safetensors";
import { processUnembed } from "../../src/model/processUnembed";
import { REPO_ROOT } from "../support/paths";
import { TensorSpec, writeSafetensors } from "../support/safetensors-writer";

const FIXTURES = path.join(REPO_ROOT, "tests", "fixtures", "models");
const folders: string[] = [];
after(() => folders.forEach((dir) => fs.rmSync(dir, { recursive: true, force: true })));

/** Seeded uniform values in [-scale, scale] (around `centre`). */
function randomValues(count: number, seed: number, scale = 0.1, centre = 0): Float32Array {
  const out = new Float32Array(count);
  let state = seed >>> 0;
  for (let i = 0; i < count; i++) {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    out[i] = centre + scale * (2 * (state / 2 ** 32) - 1);
  }
  return out;
}

/**
 * A fixture's architecture with `layers` layers of seeded random weights (layer 0's tensors repeated per layer),
 * so that the model is many times its largest tensor.
 */
async function deepRandomModel(fixture: string, layers: number, layerField: string): Promise<string> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "tslens-lean-"));
  folders.push(dir);
  const config = JSON.parse(fs.readFileSync(path.join(FIXTURES, fixture, "config.json"), "utf8"));
  fs.writeFileSync(path.join(dir, "config.json"), JSON.stringify({ ...config, [layerField]: layers }));
  const file = await SafetensorsFile.open(path.join(FIXTURES, fixture, "model.safetensors"));
  const specs: Record<string, TensorSpec> = {};
  let seed = 1;
  const add = (name: string, shape: number[]) => {
    const count = shape.reduce((a, b) => a * b, 1);
    const isNorm = /(ln_|norm|layernorm)[^.]*\.weight$/.test(name);
    specs[name] = { shape, values: randomValues(count, seed++, 0.1, isNorm ? 1 : 0) };
  };
  for (const name of file.names()) {
    const shape = file.tensors.get(name)!.shape;
    const layer = /\.(?:h|layers)\.(\d+)\./.exec(name);
    if (!layer) add(name, shape);
    else if (layer[1] === "0") for (let l = 0; l < layers; l++) add(name.replace(`.${layer[1]}.`, `.${l}.`), shape);
  }
  await file.close();
  writeSafetensors(path.join(dir, "model.safetensors"), specs);
  return dir;
}

describe("lean loading", function () {
  this.timeout(60_000);
  before(() => initBackend());

  const deep: [string, string, string][] = [
    ["GPT-2 (LayerNorm, tied unembedding)", "gpt2-tiny", "n_layer"],
    ["Llama (RMSNorm, GQA, tied unembedding)", "llama-tiny-tied", "num_hidden_layers"],
    ["Llama (untied unembedding)", "llama-tiny", "num_hidden_layers"],
  ];

  for (const [label, fixture, layerField] of deep) {
    it(`${label}: processWeights never holds more than a few times the largest weight beyond the model`, async () => {
      const folder = await deepRandomModel(fixture, 12, layerField);
      const model = await loadModel(folder, { processWeights: false });
      try {
        const sizes = model.paramNames().map((name) => model.param(name).size * 4);
        const [total, largest] = [sizes.reduce((a, b) => a + b, 0), Math.max(...sizes)];
        assert.ok(total > 20 * largest, `the test model should be many times its largest weight (${total} vs ${largest})`);
        const before = tf.memory().numBytes;
        const profile = await tf.profile(() => {
          processWeights(model);
        });
        const extra = profile.peakBytes - before;
        // Whole-model processing holds every old and new weight at once (about 2× the model); one at a time stays
        // within a few times the largest weight.
        assert.ok(extra <= 4 * largest, `peak ${extra} bytes above the model's ${total} (largest weight ${largest})`);
      } finally {
        model.dispose();
      }
    });
  }

  for (const fixture of ["gpt2-tiny", "llama-tiny", "llama-tiny-tied"]) {
    for (const processed of [true, false]) {
      it(`${fixture} (processWeights ${processed}): after loading, the only tensors are the parameters; dispose frees them`, async () => {
        const before = tf.memory().numTensors;
        const model = await loadModel(path.join(FIXTURES, fixture), { processWeights: processed });
        const held = tf.memory().numTensors - before;
        const params = model.paramNames().length;
        model.dispose();
        assert.equal(held, params, `${held} tensors held for ${params} parameters`);
        assert.equal(tf.memory().numTensors, before);
      });
    }
  }

  /** The whole-tensor formulas: ln_final folded into W_U / b_U, then both centred over the vocabulary. */
  function reference(W_U: tf.Tensor, b_U: tf.Tensor, w: tf.Tensor, b: tf.Tensor | undefined) {
    return tf.tidy(() => {
      let bias = b ? b_U.add(tf.matMul(b.reshape([1, -1]), W_U).reshape([-1])) : b_U;
      let weight = W_U.mul(w.reshape([-1, 1]));
      if (b) weight = weight.sub(weight.mean(0, true));
      weight = weight.sub(weight.mean(1, true));
      bias = bias.sub(bias.mean(0, true));
      return [weight, bias];
    });
  }

  for (const [tied, isLn] of [
    [true, true],
    [true, false],
    [false, true],
    [false, false],
  ]) {
    it(`the unembedding processed in slices (${tied ? "tied" : "untied"}, ${isLn ? "LayerNorm" : "RMSNorm"}) equals the whole-tensor formulas`, () => {
      const [d, v] = [12, 37];
      const params = new Map<string, tf.Tensor>();
      params.set("embed.W_E", tf.tensor(randomValues(v * d, 7), [v, d])); // [v, d]
      params.set("unembed.W_U", tied ? params.get("embed.W_E")!.transpose() : tf.tensor(randomValues(d * v, 8), [d, v])); // [d, v]
      params.set("unembed.b_U", tf.tensor(randomValues(v, 9), [v])); // [v]
      params.set("ln_final.w", tf.tensor(randomValues(d, 10, 0.2, 1), [d])); // [d]
      if (isLn) params.set("ln_final.b", tf.tensor(randomValues(d, 11), [d])); // [d]
      const embedBefore = params.get("embed.W_E")!.clone();
      const [W_U, b_U] = reference(
        params.get("unembed.W_U")!,
        params.get("unembed.b_U")!,
        params.get("ln_final.w")!,
        params.get("ln_final.b"),
      );
      const edits = {
        has: (name: string) => params.has(name),
        get: (name: string) => params.get(name)!,
        set: (name: string, value: tf.Tensor) => {
          const old = params.get(name);
          params.set(name, tf.keep(value));
          if (old && old !== value) old.dispose();
        },
        free: (name: string) => {
          params.get(name)!.dispose();
          params.delete(name);
        },
      };
      processUnembed(edits, { foldLn: true, isLn, centre: true, sliceValues: 5 * d }); // 8 slices, the last short
      const gap = (a: tf.Tensor, b: tf.Tensor) => tf.tidy(() => a.sub(b).abs().max().dataSync()[0]);
      assert.ok(gap(params.get("unembed.W_U")!, W_U) < 1e-6, "W_U");
      assert.ok(gap(params.get("unembed.b_U")!, b_U) < 1e-6, "b_U");
      assert.equal(gap(params.get("embed.W_E")!, embedBefore), 0, "the embedding is unchanged");
      tf.dispose([...params.values(), W_U, b_U, embedBefore]);
    });
  }

  it("arrays from adoptableFloat32 become native tensors without a copy (other backends: plain arrays)", () => {
    const values = adoptableFloat32(1 << 18);
    values.fill(2);
    const tensor = tensorFromValues(values, [512, 512]);
    try {
      values[3] = 7; // seen through the tensor only when it shares the array's memory
      const seen = tf.tidy(() => tensor.reshape([-1]).slice(3, 1).dataSync()[0]);
      if (tf.getBackend() === "tensorflow") assert.equal(seen, 7, "the tensor copied the array");
      else assert.equal(values.length, 1 << 18);
    } finally {
      tensor.dispose();
    }
  });
});
