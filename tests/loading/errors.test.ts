/**
 * Bad input gets one clear error naming the problem, and nothing stays allocated.
 */
import { strict as assert } from "assert";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { initBackend, loadModel, tf } from "../../src";
import { SafetensorsFile } from "../../src/loading/safetensors";
import { REPO_ROOT } from "../support/paths";
import { safetensorsBytes, writeSafetensors } from "../support/safetensors-writer";

const GPT2 = path.join(REPO_ROOT, "tests", "fixtures", "models", "gpt2-tiny");

/** Copies the GPT-2 fixture into a temp folder, optionally replacing files. */
function modelCopy(replace: Record<string, Buffer | string> = {}): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "tslens-bad-"));
  for (const f of ["config.json", "model.safetensors"]) fs.copyFileSync(path.join(GPT2, f), path.join(dir, f));
  for (const [f, data] of Object.entries(replace)) fs.writeFileSync(path.join(dir, f), data);
  return dir;
}

async function rejectsWith(promise: Promise<unknown>, pattern: RegExp): Promise<void> {
  const before = tf.memory().numTensors;
  await assert.rejects(promise, pattern);
  assert.equal(tf.memory().numTensors, before, "tensors left allocated after the error");
}

describe("bad input", function () {
  this.timeout(60_000);
  let tmp: string;
  before(async () => {
    await initBackend();
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), "tslens-st-"));
  });
  after(() => fs.rmSync(tmp, { recursive: true, force: true }));

  describe("safetensors", function () {
    const open = (name: string, bytes: Buffer) => {
      const file = path.join(tmp, name);
      fs.writeFileSync(file, bytes);
      return SafetensorsFile.open(file);
    };
    const ok = { a: { shape: [2, 3], values: new Float32Array([1, 2, 3, 4, 5, 6]) } };

    it("reads F32, F16 and BF16 to fp32", async () => {
      const f16 = new Uint8Array(new Uint16Array([0x3c00, 0xc000, 0x3555]).buffer); // 1, -2, ~0.333
      const bf16 = new Uint8Array(new Uint16Array([0x3f80, 0xc040]).buffer); // 1, -3
      const file = await open(
        "types.safetensors",
        safetensorsBytes({ ...ok, h: { shape: [3], dtype: "F16", raw: f16 }, b: { shape: [2], dtype: "BF16", raw: bf16 } }),
      );
      try {
        assert.deepEqual(Array.from((await file.readFloat32("a")).values), [1, 2, 3, 4, 5, 6]);
        const h = Array.from((await file.readFloat32("h")).values);
        assert.deepEqual(h.slice(0, 2), [1, -2]);
        assert.ok(Math.abs(h[2] - 1 / 3) < 1e-3);
        assert.deepEqual(Array.from((await file.readFloat32("b")).values), [1, -3]);
      } finally {
        await file.close();
      }
    });

    it("rejects a file truncated inside the data", async () => {
      const bytes = safetensorsBytes(ok);
      await assert.rejects(
        open("trunc.safetensors", bytes.subarray(0, bytes.length - 5)),
        /tensor "a" has data_offsets \[0, 24\] past the end of the data \(19 bytes\)/,
      );
    });

    it("rejects a header length past the end of the file", async () => {
      await assert.rejects(
        open("len.safetensors", safetensorsBytes(ok, { headerLength: 10_000n })),
        /header length 10000 runs past the end of the file/,
      );
    });

    it("rejects a file shorter than the length field", async () => {
      await assert.rejects(open("short.safetensors", Buffer.from([1, 2, 3])), /too short for the 8-byte header length/);
    });

    it("rejects overlapping and out-of-range offsets", async () => {
      const overlap = {
        a: { shape: [2], offsets: [0, 8] as [number, number] },
        b: { shape: [2], offsets: [4, 12] as [number, number] },
      };
      await assert.rejects(open("overlap.safetensors", safetensorsBytes(overlap)), /tensors "a" and "b" overlap/);
      const range = { a: { shape: [2], offsets: [0, 800] as [number, number] } };
      await assert.rejects(open("range.safetensors", safetensorsBytes(range)), /past the end of the data/);
      const size = { a: { shape: [3], offsets: [0, 8] as [number, number] } };
      await assert.rejects(open("size.safetensors", safetensorsBytes(size)), /has 8 bytes but its shape \[3\] of F32 needs 12/);
    });

    it("rejects an unknown dtype and refuses integer tensors as weights", async () => {
      await assert.rejects(
        open("dtype.safetensors", safetensorsBytes({ a: { shape: [1], dtype: "F8_E9", raw: new Uint8Array(1) } })),
        /tensor "a" has unknown dtype "F8_E9"/,
      );
      const file = await open("int.safetensors", safetensorsBytes({ i: { shape: [1], dtype: "I32", raw: new Uint8Array(4) } }));
      await assert.rejects(file.readFloat32("i"), /tensor "i" has dtype I32; weights must be F32, F16 or BF16/);
      await file.close();
    });

    it("rejects a header that is not JSON", async () => {
      const bytes = Buffer.concat([Buffer.from([5, 0, 0, 0, 0, 0, 0, 0]), Buffer.from("{oops")]);
      await assert.rejects(open("json.safetensors", bytes), /header is not valid JSON/);
    });
  });

  describe("loadModel", function () {
    it("names a missing tensor", async () => {
      const file = await SafetensorsFile.open(path.join(GPT2, "model.safetensors"));
      const tensors: Record<string, { shape: number[]; values: Float32Array }> = {};
      for (const name of file.names()) if (name !== "transformer.h.1.mlp.c_fc.bias") tensors[name] = await file.readFloat32(name);
      await file.close();
      const dir = modelCopy();
      writeSafetensors(path.join(dir, "model.safetensors"), tensors);
      await rejectsWith(
        loadModel(dir),
        /model\.safetensors has no tensor "transformer\.h\.1\.mlp\.c_fc\.bias" \(expected shape \[128\]\)/,
      );
    });

    it("names a tensor whose shape does not fit the config", async () => {
      const config = JSON.parse(fs.readFileSync(path.join(GPT2, "config.json"), "utf8"));
      const dir = modelCopy({ "config.json": JSON.stringify({ ...config, n_positions: 128 }) });
      await rejectsWith(
        loadModel(dir),
        /tensor "transformer\.wpe\.weight" has shape \[64, 32\] but the config needs \[128, 32\]/,
      );
    });

    it("names an unknown model_type", async () => {
      const dir = modelCopy({ "config.json": JSON.stringify({ model_type: "mamba" }) });
      await rejectsWith(loadModel(dir), /unknown model_type "mamba" \(supported: gpt2, gpt_neox, llama/);
    });

    it("rejects a truncated model.safetensors", async () => {
      const full = fs.readFileSync(path.join(GPT2, "model.safetensors"));
      const dir = modelCopy({ "model.safetensors": full.subarray(0, full.length - 100) });
      await rejectsWith(loadModel(dir), /model\.safetensors: tensor ".*" has data_offsets .* past the end of the data/);
    });

    it("rejects hub ids with .. or absolute components before any download", async () => {
      for (const id of ["a/../../b", "../x", "org/name/../../etc"])
        await rejectsWith(loadModel(id), /Invalid Hugging Face repo id .*"\.\." is not allowed/);
      await rejectsWith(loadModel("/no/such/folder"), /no model folder at \/no\/such\/folder/);
    });

    it("says how to build a bundled model that is missing, instead of trying the hub", async () => {
      const empty = fs.mkdtempSync(path.join(os.tmpdir(), "tslens-models-"));
      const previous = process.env.TSLENS_MODELS_DIR;
      process.env.TSLENS_MODELS_DIR = empty;
      try {
        for (const load of [() => loadModel(), () => loadModel("attn-only-1l")]) {
          await rejectsWith(
            load(),
            /the bundled model "attn-only-(2l|1l)" is not in this installation .*npm run train -- attn-only/,
          );
        }
      } finally {
        if (previous === undefined) delete process.env.TSLENS_MODELS_DIR;
        else process.env.TSLENS_MODELS_DIR = previous;
        fs.rmSync(empty, { recursive: true, force: true });
      }
    });
  });

  describe("prompts", function () {
    it("rejects a prompt longer than nCtx, an empty prompt and out-of-vocabulary ids", async () => {
      const model = await loadModel(GPT2, { processWeights: false });
      try {
        const before = tf.memory().numTensors;
        assert.throws(
          () => model.forward([Array.from({ length: 65 }, () => 1)]),
          /the prompt has 65 tokens, longer than the model's context nCtx = 64/,
        );
        assert.throws(() => model.forward([[]]), /the prompt is empty/);
        assert.throws(() => model.forward([[1, 96]]), /token id 96 at \[0, 1\] is outside the vocabulary \[0, 96\)/);
        assert.equal(tf.memory().numTensors, before);
      } finally {
        model.dispose();
      }
    });
  });
});
