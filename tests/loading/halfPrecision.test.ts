/**
 * BF16 and F16 checkpoints, single-file or sharded with model.safetensors.index.json, load as fp32: the logits equal
 * those of the fp32 checkpoint holding the same rounded values. A shard cut short names the shard and the tensor.
 */
import { strict as assert } from "assert";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { initBackend, loadModel, tf } from "../../src";
import { SafetensorsFile } from "../../src/loading/safetensors";
import { REPO_ROOT } from "../support/paths";
import { TensorSpec, writeSafetensors } from "../support/safetensors-writer";

const FIXTURES = path.join(REPO_ROOT, "tests", "fixtures", "models");
const folders: string[] = [];
after(() => folders.forEach((dir) => fs.rmSync(dir, { recursive: true, force: true })));

/** The BF16 bits of `x`, rounded to nearest (ties to even). */
function bf16Bits(x: number): number {
  const bits = new Uint32Array(new Float32Array([x]).buffer)[0];
  return ((bits + 0x7fff + ((bits >>> 16) & 1)) >>> 16) & 0xffff;
}

/** The value of BF16 bits, independently of the library: the upper half of an fp32. */
const bf16Value = (h: number) => new Float32Array(new Uint32Array([h << 16]).buffer)[0];

/** The F16 bits of `x` (normal and subnormal range; fixture weights are far from the limits), ties to even. */
function f16Bits(x: number): number {
  const bits = new Uint32Array(new Float32Array([x]).buffer)[0];
  const sign = (bits >>> 16) & 0x8000;
  const exponent = ((bits >>> 23) & 0xff) - 127 + 15;
  let mantissa = bits & 0x7fffff;
  if (exponent >= 31) throw new Error(`${x} is beyond F16's range`);
  let shift = 13;
  let base = exponent << 10;
  if (exponent <= 0) {
    if (exponent < -10) return sign;
    mantissa |= 0x800000;
    shift = 14 - exponent;
    base = 0;
  }
  let half = base + (mantissa >>> shift);
  const rest = mantissa & ((1 << shift) - 1);
  const middle = 1 << (shift - 1);
  if (rest > middle || (rest === middle && half & 1)) half++;
  return sign | half;
}

/** The value of F16 bits, by the format's definition. */
function f16Value(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const exponent = (h >> 10) & 0x1f;
  const fraction = h & 0x3ff;
  return exponent === 0 ? sign * 2 ** -14 * (fraction / 1024) : sign * 2 ** (exponent - 15) * (1 + fraction / 1024);
}

type Half = "BF16" | "F16";
const HALF: Record<Half, { bits: (x: number) => number; value: (h: number) => number }> = {
  BF16: { bits: bf16Bits, value: bf16Value },
  F16: { bits: f16Bits, value: f16Value },
};

/** Every tensor of a fixture model, as fp32. */
async function fixtureTensors(model: string): Promise<[string, TensorSpec][]> {
  const file = await SafetensorsFile.open(path.join(FIXTURES, model, "model.safetensors"));
  try {
    const out: [string, TensorSpec][] = [];
    for (const name of file.names()) out.push([name, await file.readFloat32(name)]);
    return out;
  } finally {
    await file.close();
  }
}

/** A temp folder with the fixture's config.json. */
function folderFor(model: string): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "tslens-half-"));
  folders.push(dir);
  fs.copyFileSync(path.join(FIXTURES, model, "config.json"), path.join(dir, "config.json"));
  return dir;
}

/**
 * Writes `tensors` rounded to `dtype` (in `shards` files with an index when shards > 1) and, into a second folder,
 * the fp32 checkpoint of the same rounded values; returns both folders.
 */
function writeRounded(model: string, tensors: [string, TensorSpec][], dtype: Half, shards: number) {
  const half = folderFor(model);
  const fp32 = folderFor(model);
  const halfSpecs: [string, TensorSpec][] = [];
  const fp32Specs: Record<string, TensorSpec> = {};
  for (const [name, { shape, values }] of tensors) {
    const bits = Uint16Array.from(values!, HALF[dtype].bits);
    halfSpecs.push([name, { shape, dtype, raw: new Uint8Array(bits.buffer) }]);
    fp32Specs[name] = { shape, values: Float32Array.from(bits, HALF[dtype].value) };
  }
  writeSafetensors(path.join(fp32, "model.safetensors"), fp32Specs);
  if (shards === 1) {
    writeSafetensors(path.join(half, "model.safetensors"), Object.fromEntries(halfSpecs));
    return { half, fp32 };
  }
  const weightMap: Record<string, string> = {};
  const per = Math.ceil(halfSpecs.length / shards);
  for (let s = 0; s < shards; s++) {
    const file = `model-${s + 1}-of-${shards}.safetensors`;
    const part = halfSpecs.slice(s * per, (s + 1) * per);
    part.forEach(([name]) => (weightMap[name] = file));
    writeSafetensors(path.join(half, file), Object.fromEntries(part));
  }
  fs.writeFileSync(path.join(half, "model.safetensors.index.json"), JSON.stringify({ metadata: {}, weight_map: weightMap }));
  return { half, fp32 };
}

/** Largest |a − b| between the logits of two folders' models on the same tokens, with the given processing. */
async function logitGap(a: string, b: string, processWeights: boolean): Promise<number> {
  const [first, second] = [await loadModel(a, { processWeights }), await loadModel(b, { processWeights })];
  try {
    return tf.tidy(() => {
      const tokens = tf.tensor2d([[1, 5, 9, 14, 2, 33, 60, 7]], undefined, "int32"); // [1, 8]
      return first.forward(tokens).sub(second.forward(tokens)).abs().max().dataSync()[0];
    });
  } finally {
    first.dispose();
    second.dispose();
  }
}

describe("half-precision checkpoints", function () {
  this.timeout(60_000);
  before(() => initBackend());

  for (const model of ["gpt2-tiny", "llama-tiny"]) {
    for (const [dtype, shards] of [
      ["BF16", 2],
      ["F16", 3],
      ["BF16", 1],
    ] as [Half, number][]) {
      it(`${model} as ${dtype}${shards > 1 ? `, ${shards} shards with an index` : ", one file"}: logits equal the fp32 checkpoint of the same values (1e-5)`, async () => {
        const tensors = await fixtureTensors(model);
        const { half, fp32 } = writeRounded(model, tensors, dtype, shards);
        const before = tf.memory().numTensors;
        for (const processWeights of [false, true]) {
          const gap = await logitGap(half, fp32, processWeights);
          assert.ok(gap <= 1e-5, `processWeights ${processWeights}: logits differ by ${gap}`);
        }
        assert.equal(tf.memory().numTensors, before, "tensors left behind");
      });
    }
  }

  it("rounding to the half type changes the weights (the comparison above is not between identical files)", async () => {
    const tensors = await fixtureTensors("llama-tiny");
    const { half } = writeRounded("llama-tiny", tensors, "BF16", 2);
    const gap = await logitGap(half, path.join(FIXTURES, "llama-tiny"), false);
    assert.ok(gap > 1e-5, `BF16 rounding moved the logits by only ${gap}`);
  });

  it("a BF16 tensor larger than the conversion buffer (8 MB) reads whole, every value in place", async () => {
    const count = 5_000_003; // 10 MB of BF16: two conversion chunks and a remainder
    const bits = new Uint16Array(count);
    for (let i = 0; i < count; i++) bits[i] = Math.imul(i, 40503) >>> 7; // every bit pattern, NaNs included
    const dir = folderFor("llama-tiny");
    const file = path.join(dir, "big.safetensors");
    writeSafetensors(file, { big: { shape: [count], dtype: "BF16", raw: new Uint8Array(bits.buffer) } });
    const opened = await SafetensorsFile.open(file);
    try {
      const { values } = await opened.readFloat32("big");
      assert.equal(values.length, count);
      const words = new Uint32Array(values.buffer, values.byteOffset, count); // compared as bits (NaN ≠ NaN)
      let mismatches = 0;
      for (let i = 0; i < count; i++) if (words[i] !== (bits[i] << 16) >>> 0) mismatches++;
      assert.equal(mismatches, 0);
      assert.equal(values[4_194_304], bf16Value(bits[4_194_304]));
    } finally {
      await opened.close();
    }
  });

  for (const dtype of ["F32", "BF16"]) {
    it(`a ${dtype} file cut short after its header was read: the read names the file, the tensor and the bytes there were`, async () => {
      const dir = folderFor("llama-tiny");
      const file = path.join(dir, "shrinks.safetensors");
      const count = 1000;
      const raw = new Uint8Array(count * (dtype === "F32" ? 4 : 2)).fill(0x3f);
      writeSafetensors(file, { first: { shape: [4], values: new Float32Array(4) }, w: { shape: [count], dtype, raw } });
      const opened = await SafetensorsFile.open(file);
      try {
        fs.truncateSync(file, fs.statSync(file).size - 100);
        await assert.rejects(
          opened.readFloat32("w"),
          new RegExp(
            `${file.replace(/[.*+?^${}()|[\]\\/]/g, "\\$&")}: tensor "w" is truncated \\(the file ends after ${raw.length - 100} of its ${raw.length} bytes\\)`,
          ),
        );
      } finally {
        await opened.close();
      }
    });
  }

  it("a shard cut short is refused naming the shard and the tensor, leaving no tensors", async () => {
    const tensors = await fixtureTensors("llama-tiny");
    const { half } = writeRounded("llama-tiny", tensors, "BF16", 2);
    const shard = path.join(half, "model-2-of-2.safetensors");
    const bytes = fs.readFileSync(shard);
    fs.writeFileSync(shard, bytes.subarray(0, bytes.length - 10));
    const before = tf.memory().numTensors;
    await assert.rejects(
      loadModel(half),
      (err: Error) =>
        err.message.includes(shard) && /tensor "[^"]+" has data_offsets \[\d+, \d+\] past the end of the data/.test(err.message),
    );
    assert.equal(tf.memory().numTensors, before);
  });
});
