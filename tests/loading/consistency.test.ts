/**
 * A config.json that contradicts its weights is refused with one ConfigError naming the config key and value, the
 * tensor, its shape and the file — for every family, on doctored copies of the fixture checkpoints — before any
 * tensor is allocated (tf.memory().numTensors unchanged) and never with a model cut short (fewer layers).
 */
import { strict as assert } from "assert";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { loadModel, tf } from "../../src";
import { configFromJson } from "../../src/loading/config";
import { checkConsistency } from "../../src/loading/consistency";
import { SafetensorsFile } from "../../src/loading/safetensors";
import { writeSafetensors } from "../../src/loading/save";
import { FIXTURES } from "../support/hfReference";

type Config = Record<string, unknown>;

/** One doctored config: the edit, the key = value the message must name, and the tensor and shape it must name. */
interface Case {
  what: string;
  edit: (c: Config) => void;
  key: string;
  tensor?: string;
  shape?: string;
  /** Layers the fixture holds (2 unless set). */
  layers?: number;
}

/** Sets num_hidden_layers to `n`, keeping a Gemma 2/3 layer_types list one entry per layer (so the config itself is valid). */
function withLayers(c: Config, n: number): void {
  c.num_hidden_layers = n;
  if (Array.isArray(c.layer_types))
    c.layer_types = Array.from({ length: n }, (_, l) => (c.layer_types as string[])[l] ?? "full_attention");
}

/** The cases of a Llama-layout family (Llama, Qwen2, Qwen3, Mistral, Phi-3, Gemma, OLMo-2). */
function llamaCases(opts: {
  layers?: number;
  kvTo?: number;
  headDim: number;
  q: string;
  qShape: string;
  kv: string;
  kvShape: string;
  mlp: string;
  mlpShape: string;
}): Case[] {
  const layers = opts.layers ?? 2;
  const kvTo = opts.kvTo ?? 1;
  const cases: Case[] = [
    {
      what: "head_dim",
      edit: (c) => (c.head_dim = opts.headDim),
      key: `head_dim = ${opts.headDim}`,
      tensor: opts.q,
      shape: opts.qShape,
    },
    {
      what: "num_key_value_heads",
      edit: (c) => (c.num_key_value_heads = kvTo),
      key: `num_key_value_heads = ${kvTo}`,
      tensor: opts.kv,
      shape: opts.kvShape,
    },
    {
      what: "vocab_size",
      edit: (c) => (c.vocab_size = 100),
      key: "vocab_size = 100",
      tensor: "model.embed_tokens.weight",
      shape: "[96, 32]",
    },
    {
      what: "hidden_size",
      edit: (c) => (c.hidden_size = 64),
      key: "hidden_size = 64",
      tensor: "model.embed_tokens.weight",
      shape: "[96, 32]",
    },
    {
      what: "intermediate_size",
      edit: (c) => (c.intermediate_size = 56),
      key: "intermediate_size = 56",
      tensor: opts.mlp,
      shape: opts.mlpShape,
    },
    { what: "more layers", edit: (c) => withLayers(c, layers + 1), key: `num_hidden_layers = ${layers + 1}` },
    { what: "fewer layers", edit: (c) => withLayers(c, 1), key: "num_hidden_layers = 1" },
  ];
  return cases.map((c) => ({ ...c, layers }));
}

const L0 = "model.layers.0.";
const LLAMA = {
  headDim: 4,
  q: `${L0}self_attn.q_proj.weight`,
  qShape: "[32, 32]",
  kv: `${L0}self_attn.k_proj.weight`,
  kvShape: "[16, 32]",
  mlp: `${L0}mlp.gate_proj.weight`,
  mlpShape: "[48, 32]",
};

const FAMILIES: Record<string, Case[]> = {
  "gpt2-tiny": [
    {
      what: "vocab_size",
      edit: (c) => (c.vocab_size = 100),
      key: "vocab_size = 100",
      tensor: "transformer.wte.weight",
      shape: "[96, 32]",
    },
    { what: "n_embd", edit: (c) => (c.n_embd = 40), key: "n_embd = 40", tensor: "transformer.wte.weight", shape: "[96, 32]" },
    {
      what: "n_inner",
      edit: (c) => (c.n_inner = 136),
      key: "n_inner = 136",
      tensor: "transformer.h.0.mlp.c_fc.weight",
      shape: "[32, 128]",
    },
    {
      what: "n_positions",
      edit: (c) => (c.n_positions = 80),
      key: "n_positions = 80",
      tensor: "transformer.wpe.weight",
      shape: "[64, 32]",
    },
    { what: "more layers", edit: (c) => (c.n_layer = 3), key: "n_layer = 3" },
    { what: "fewer layers", edit: (c) => (c.n_layer = 1), key: "n_layer = 1" },
  ],
  "neox-tiny": [
    {
      what: "vocab_size",
      edit: (c) => (c.vocab_size = 100),
      key: "vocab_size = 100",
      tensor: "gpt_neox.embed_in.weight",
      shape: "[96, 32]",
    },
    {
      what: "hidden_size",
      edit: (c) => (c.hidden_size = 40),
      key: "hidden_size = 40",
      tensor: "gpt_neox.embed_in.weight",
      shape: "[96, 32]",
    },
    {
      what: "intermediate_size",
      edit: (c) => (c.intermediate_size = 72),
      key: "intermediate_size = 72",
      tensor: "gpt_neox.layers.0.mlp.dense_h_to_4h.weight",
      shape: "[64, 32]",
    },
    { what: "more layers", edit: (c) => (c.num_hidden_layers = 3), key: "num_hidden_layers = 3" },
    { what: "fewer layers", edit: (c) => (c.num_hidden_layers = 1), key: "num_hidden_layers = 1" },
  ],
  "llama-tiny": llamaCases(LLAMA),
  "qwen2-tiny": llamaCases(LLAMA),
  "qwen3-tiny": llamaCases({ ...LLAMA, headDim: 6, qShape: "[48, 32]", kvShape: "[24, 32]" }),
  "mistral-tiny": llamaCases(LLAMA),
  // head_dim 16 keeps phi3-tiny's partial rotary (0.75) an even 12 features, so the config itself is valid.
  "phi3-tiny": llamaCases({
    headDim: 16,
    q: `${L0}self_attn.qkv_proj.weight`,
    qShape: "[64, 32]",
    kv: `${L0}self_attn.qkv_proj.weight`,
    kvShape: "[64, 32]",
    mlp: `${L0}mlp.gate_up_proj.weight`,
    mlpShape: "[96, 32]",
  }),
  "gemma-tiny": llamaCases({ ...LLAMA, headDim: 6, qShape: "[48, 32]", kvTo: 2, kvShape: "[12, 32]" }),
  "gemma2-tiny": llamaCases({ ...LLAMA, layers: 3, headDim: 6, qShape: "[48, 32]", kvShape: "[24, 32]" }),
  "gemma3-tiny": llamaCases({ ...LLAMA, layers: 3, headDim: 6, qShape: "[48, 32]", kvShape: "[24, 32]" }),
  "olmo2-tiny": llamaCases(LLAMA),
};

const escape = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");

describe("a config that contradicts its weights: one ConfigError naming the key, value, tensor, shape and file", function () {
  this.timeout(60_000);
  const made: string[] = [];
  after(() => made.forEach((f) => fs.rmSync(f, { recursive: true, force: true })));

  /** A copy of fixture `model` with its config.json changed by `edit`. */
  const doctored = (model: string, edit: (c: Config) => void) => {
    const folder = fs.mkdtempSync(path.join(os.tmpdir(), `tslens-consistency-${model}-`));
    made.push(folder);
    fs.copyFileSync(path.join(FIXTURES, model, "model.safetensors"), path.join(folder, "model.safetensors"));
    const config = JSON.parse(fs.readFileSync(path.join(FIXTURES, model, "config.json"), "utf8"));
    edit(config);
    fs.writeFileSync(path.join(folder, "config.json"), JSON.stringify(config));
    return folder;
  };

  for (const [model, cases] of Object.entries(FAMILIES)) {
    for (const c of cases) {
      it(`${model}, ${c.what}: names ${c.key}${c.tensor ? `, "${c.tensor}" ${c.shape}` : ", the layers present"} and the files; nothing allocated`, async () => {
        const folder = doctored(model, c.edit);
        const before = tf.memory().numTensors;
        const configFile = path.join(folder, "config.json");
        const weights = path.join(folder, "model.safetensors");
        const last = (c.layers ?? 2) - 1;
        await assert.rejects(loadModel(folder, { processWeights: false }), (err: Error) => {
          assert.ok(err.message.includes(c.key), err.message);
          if (c.tensor) {
            assert.equal(err.name, "ConfigError", err.message);
            const expected = `${configFile}: `;
            assert.ok(err.message.startsWith(expected), err.message);
            const named = `contradicts ${weights}: tensor "${c.tensor}" has shape ${c.shape} but the config needs [`;
            assert.ok(err.message.includes(named), err.message);
          } else if (c.what === "fewer layers") {
            assert.equal(err.name, "ConfigError", err.message);
            assert.match(
              err.message,
              new RegExp(
                `^${escape(configFile)}: ${escape(c.key)} contradicts ${escape(weights)}, which has layers 0…${last} \\(e\\.g\\. "[^"]+\\.${last}\\.[^"]+"\\)`,
              ),
            );
          } else {
            // More layers than the files hold: the reader names the first missing tensor (already so before this check).
            assert.match(
              err.message,
              new RegExp(
                `${escape(weights)} has no tensor "[^"]+\\.${last + 1}\\.[^"]+" \\(expected shape \\[[\\d, ]+\\]\\): ${escape(configFile)} says ${escape(c.key)} but model\\.safetensors has layers 0…${last} only`,
              ),
            );
          }
          return true;
        });
        assert.equal(tf.memory().numTensors, before);
      });
    }
  }

  it("a sharded checkpoint: the message names the shard that holds the contradicting tensor", async () => {
    const folder = fs.mkdtempSync(path.join(os.tmpdir(), "tslens-consistency-shards-"));
    made.push(folder);
    const source = await SafetensorsFile.open(path.join(FIXTURES, "llama-tiny", "model.safetensors"));
    const shards: Record<string, [string, { shape: number[]; values: Float32Array }][]> = {
      "a.safetensors": [],
      "b.safetensors": [],
    };
    const weightMap: Record<string, string> = {};
    try {
      for (const name of source.names()) {
        const shard = name.startsWith("model.layers.1.") ? "b.safetensors" : "a.safetensors";
        shards[shard].push([name, await source.readFloat32(name)]);
        weightMap[name] = shard;
      }
    } finally {
      await source.close();
    }
    for (const [shard, tensors] of Object.entries(shards)) await writeSafetensors(path.join(folder, shard), tensors);
    fs.writeFileSync(path.join(folder, "model.safetensors.index.json"), JSON.stringify({ metadata: {}, weight_map: weightMap }));
    const config = JSON.parse(fs.readFileSync(path.join(FIXTURES, "llama-tiny", "config.json"), "utf8"));
    fs.writeFileSync(path.join(folder, "config.json"), JSON.stringify({ ...config, intermediate_size: 56 }));
    await assert.rejects(
      loadModel(folder),
      new RegExp(
        `intermediate_size = 56 contradicts ${escape(path.join(folder, "a.safetensors"))}: tensor "model\\.layers\\.0\\.mlp\\.gate_proj\\.weight" has shape \\[48, 32\\] but the config needs \\[56, 32\\]`,
      ),
    );
    fs.writeFileSync(path.join(folder, "config.json"), JSON.stringify({ ...config, num_hidden_layers: 1 }));
    await assert.rejects(
      loadModel(folder),
      /num_hidden_layers = 1 contradicts .* \(2 files\), which has layers 0…1 .*: loading 1 of its 2 layers would cut the model short/,
    );
  });

  it("every unmodified fixture passes the check", async () => {
    for (const model of Object.keys(FAMILIES)) {
      const file = await SafetensorsFile.open(path.join(FIXTURES, model, "model.safetensors"));
      try {
        const configFile = path.join(FIXTURES, model, "config.json");
        const hfConfig = JSON.parse(fs.readFileSync(configFile, "utf8"));
        checkConsistency([file], { configFile, hfConfig, cfg: configFromJson(hfConfig, configFile) });
      } finally {
        await file.close();
      }
    }
  });
});
