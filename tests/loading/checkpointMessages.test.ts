/**
 * What loading says about a checkpoint that does not match its config: a missing tensor names the files, the key
 * and the config field that asked for it; unused tensors and NaN/Inf weights are warned about, once per load,
 * by name. Failed loads leave no tensors behind.
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
const GPT2 = path.join(FIXTURES, "gpt2-tiny");
const NATIVE = path.join(REPO_ROOT, "models", "attn-only-2l");

const folders: string[] = [];
after(() => folders.forEach((dir) => fs.rmSync(dir, { recursive: true, force: true })));

/** A temp copy of a model folder (no reference files), with files replaced or (null) removed. */
function modelCopy(source: string, replace: Record<string, Buffer | string | null> = {}): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "tslens-ckpt-"));
  folders.push(dir);
  for (const f of fs.readdirSync(source))
    if (!f.startsWith("reference")) fs.copyFileSync(path.join(source, f), path.join(dir, f));
  for (const [f, data] of Object.entries(replace)) {
    if (data === null) fs.rmSync(path.join(dir, f));
    else fs.writeFileSync(path.join(dir, f), data);
  }
  return dir;
}

/** Every tensor of `folder`/model.safetensors as F32 specs. */
async function tensorsOf(folder: string): Promise<Record<string, TensorSpec>> {
  const file = await SafetensorsFile.open(path.join(folder, "model.safetensors"));
  const out: Record<string, TensorSpec> = {};
  for (const name of file.names()) out[name] = await file.readFloat32(name);
  await file.close();
  return out;
}

/** A config.json with `changes` applied. */
function configWith(folder: string, changes: Record<string, unknown>): string {
  return JSON.stringify({ ...JSON.parse(fs.readFileSync(path.join(folder, "config.json"), "utf8")), ...changes });
}

/** Escapes `text` for a RegExp. */
const literal = (text: string) => text.replace(/[.*+?^${}()|[\]\\/]/g, "\\$&");

async function rejectsCleanly(promise: Promise<unknown>, pattern: RegExp): Promise<void> {
  const before = tf.memory().numTensors;
  await assert.rejects(promise, pattern);
  assert.equal(tf.memory().numTensors, before, "tensors left allocated after the failed load");
}

/** console.warn lines printed while `run` runs, and its result. */
async function withWarnings<T>(run: () => Promise<T>): Promise<{ result: T; lines: string[] }> {
  const lines: string[] = [];
  const original = console.warn;
  console.warn = (...args: unknown[]) => void lines.push(args.join(" "));
  try {
    return { result: await run(), lines };
  } finally {
    console.warn = original;
  }
}

describe("checkpoint messages", function () {
  this.timeout(60_000);
  before(() => initBackend());

  it("a config asking for more layers than the checkpoint has names the field, both files and the layers there are", async () => {
    const gpt2 = modelCopy(GPT2, { "config.json": configWith(GPT2, { n_layer: 1000 }) });
    await rejectsCleanly(
      loadModel(gpt2),
      new RegExp(
        `${literal(path.join(gpt2, "model.safetensors"))} has no tensor "transformer\\.h\\.2\\.ln_1\\.weight" \\(expected shape \\[32\\]\\): ` +
          `${literal(path.join(gpt2, "config.json"))} says n_layer = 1000 but model\\.safetensors has layers 0…1 only`,
      ),
    );
    const native = modelCopy(NATIVE, { "config.json": configWith(NATIVE, { n_layers: 1000 }) });
    await rejectsCleanly(loadModel(native), /config\.json says n_layers = 1000 but model\.safetensors has layers 0…1 only/);
    const llamaDir = path.join(FIXTURES, "llama-tiny");
    const llama = modelCopy(llamaDir, { "config.json": configWith(llamaDir, { num_hidden_layers: 3 }) });
    await rejectsCleanly(
      loadModel(llama),
      /has no tensor "model\.layers\.2\.input_layernorm\.weight" .*config\.json says num_hidden_layers = 3 but model\.safetensors has layers 0…1 only/,
    );
  });

  it("in a sharded checkpoint, names the folder, the shards and the index", async () => {
    const tensors = await tensorsOf(GPT2);
    const names = Object.keys(tensors);
    const dir = modelCopy(GPT2, { "model.safetensors": null, "config.json": configWith(GPT2, { n_layer: 4 }) });
    const shards = ["model-00001-of-00002.safetensors", "model-00002-of-00002.safetensors"];
    const halves = [names.slice(0, names.length / 2), names.slice(names.length / 2)];
    halves.forEach((half, i) =>
      writeSafetensors(path.join(dir, shards[i]), Object.fromEntries(half.map((n) => [n, tensors[n]]))),
    );
    const weightMap = Object.fromEntries(halves.flatMap((half, i) => half.map((n) => [n, shards[i]])));
    fs.writeFileSync(path.join(dir, "model.safetensors.index.json"), JSON.stringify({ weight_map: weightMap }));
    await rejectsCleanly(
      loadModel(dir),
      new RegExp(
        `${literal(dir)} \\(model-00001-of-00002\\.safetensors, model-00002-of-00002\\.safetensors, listed in model\\.safetensors\\.index\\.json\\) ` +
          `has no tensor "transformer\\.h\\.2\\.ln_1\\.weight" .*says n_layer = 4 but its 2 shards have layers 0…1 only`,
      ),
    );
  });

  it("a tensor missing within the config's layers names the file, the key and the config that implies it", async () => {
    const tensors = await tensorsOf(GPT2);
    delete tensors["transformer.h.1.mlp.c_fc.bias"];
    const dir = modelCopy(GPT2);
    writeSafetensors(path.join(dir, "model.safetensors"), tensors);
    await rejectsCleanly(
      loadModel(dir),
      new RegExp(
        `${literal(path.join(dir, "model.safetensors"))} has no tensor "transformer\\.h\\.1\\.mlp\\.c_fc\\.bias" \\(expected shape \\[128\\]\\), ` +
          `which ${literal(path.join(dir, "config.json"))} implies \\(model_type "gpt2", read as GPT2LMHeadModel\\)`,
      ),
    );
    const llamaDir = path.join(FIXTURES, "llama-tiny");
    const untied = await tensorsOf(llamaDir);
    delete untied["lm_head.weight"];
    const llama = modelCopy(llamaDir);
    writeSafetensors(path.join(llama, "model.safetensors"), untied);
    await rejectsCleanly(
      loadModel(llama),
      /has no tensor "lm_head\.weight" .*config\.json does not set tie_word_embeddings = true, so the unembedding must be stored as lm_head\.weight/,
    );
  });

  it("warns once, naming the file and the tensors, about tensors the loader does not use (truncated when many)", async () => {
    const tensors = await tensorsOf(GPT2);
    tensors["transformer.h.0.adapter.weight"] = { shape: [2], values: new Float32Array([1, 2]) };
    tensors["transformer.h.0.attn.bias"] = { shape: [1, 1, 4, 4] }; // a causal-mask buffer: expected, not reported
    const dir = modelCopy(GPT2);
    writeSafetensors(path.join(dir, "model.safetensors"), tensors);
    const { result, lines } = await withWarnings(() => loadModel(dir));
    result.dispose();
    assert.equal(lines.length, 1, lines.join("\n"));
    assert.equal(
      lines[0],
      `${path.join(dir, "model.safetensors")}: 1 tensor(s) that GPT2LMHeadModel loading does not use were ignored: "transformer.h.0.adapter.weight"`,
    );
    for (let i = 0; i < 25; i++) tensors[`extra.${String(i).padStart(2, "0")}`] = { shape: [1] };
    writeSafetensors(path.join(dir, "model.safetensors"), tensors);
    const many = await withWarnings(() => loadModel(dir));
    many.result.dispose();
    assert.equal(many.lines.length, 1);
    assert.match(
      many.lines[0],
      /26 tensor\(s\) that GPT2LMHeadModel loading does not use were ignored: .*"extra\.08" … and 16 more$/,
    );
  });

  it("warns at load about NaN and infinite weights, naming the tensors and how many values", async () => {
    const tensors = await tensorsOf(GPT2);
    const qkv = tensors["transformer.h.0.attn.c_attn.weight"].values!;
    qkv[5] = NaN;
    qkv[6] = NaN;
    qkv[7] = -Infinity;
    tensors["transformer.ln_f.bias"].values![0] = Infinity;
    const dir = modelCopy(GPT2);
    writeSafetensors(path.join(dir, "model.safetensors"), tensors);
    const { result: model, lines } = await withWarnings(() => loadModel(dir));
    try {
      assert.equal(lines.length, 1, lines.join("\n"));
      assert.equal(
        lines[0],
        `${path.join(dir, "model.safetensors")}: 2 tensor(s) hold non-finite weights: ` +
          `"transformer.h.0.attn.c_attn.weight" (2 NaN and 1 infinite of 3072 values), "transformer.ln_f.bias" (1 infinite of 32 values). ` +
          "The model loads, but its outputs will be NaN or infinite wherever these weights are used.",
      );
      const logits = model.forward([[1, 2]]);
      assert.equal(
        tf.tidy(() => tf.isFinite(logits).all().dataSync()[0]),
        0,
        "the warning is about real non-finite output",
      );
      logits.dispose();
    } finally {
      model.dispose();
    }
  });

  it("loads the fixtures and the bundled model without any warning", async () => {
    for (const dir of ["gpt2-tiny", "neox-tiny", "llama-tiny", "llama-tiny-tied", "llama-tiny-tokenizer"]
      .map((m) => path.join(FIXTURES, m))
      .concat(NATIVE)) {
      const { result, lines } = await withWarnings(() => loadModel(dir));
      result.dispose();
      assert.deepEqual(lines, [], dir);
    }
  });

  it("a folder without tokenizer.json loads; its text error names the folder, the file and what to pass instead", async () => {
    const dir = modelCopy(NATIVE, { "tokenizer.json": null, "tokenizer_config.json": null });
    const model = await loadModel(dir);
    try {
      assert.throws(
        () => model.toTokens("def f():"),
        new RegExp(`this model has no tokenizer: ${literal(dir)} has no tokenizer\\.json .*Pass token ids instead`),
      );
      const logits = model.forward([[0, 5, 9]]);
      logits.dispose();
    } finally {
      model.dispose();
    }
  });
});
