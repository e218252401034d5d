/**
 * A Llama-3.2-1B-shaped model (16 layers, d_model 2048, 32 heads, 8 KV heads, d_mlp 8192, vocab 128256, tied
 * embeddings) with seeded random weights, written as a Hugging Face Llama folder: config.json and BF16 safetensors
 * in two shards listed by model.safetensors.index.json (≈2.5 GB on disk, ≈4.9 GB as fp32).
 */
"use strict";
const fs = require("fs");
const path = require("path");

const LLAMA_1B = {
  num_hidden_layers: 16,
  hidden_size: 2048,
  num_attention_heads: 32,
  num_key_value_heads: 8,
  head_dim: 64,
  intermediate_size: 8192,
  vocab_size: 128256,
};

/** Tensor names and shapes of the checkpoint, in file order. */
function llamaShapes(shape = LLAMA_1B) {
  const { num_hidden_layers: L, hidden_size: d, num_key_value_heads: kv, head_dim: e, intermediate_size: m } = shape;
  const h = shape.num_attention_heads;
  const shapes = [["model.embed_tokens.weight", [shape.vocab_size, d]]];
  for (let l = 0; l < L; l++) {
    const p = `model.layers.${l}.`;
    shapes.push(
      [`${p}input_layernorm.weight`, [d]],
      [`${p}self_attn.q_proj.weight`, [h * e, d]],
      [`${p}self_attn.k_proj.weight`, [kv * e, d]],
      [`${p}self_attn.v_proj.weight`, [kv * e, d]],
      [`${p}self_attn.o_proj.weight`, [d, h * e]],
      [`${p}post_attention_layernorm.weight`, [d]],
      [`${p}mlp.gate_proj.weight`, [m, d]],
      [`${p}mlp.up_proj.weight`, [m, d]],
      [`${p}mlp.down_proj.weight`, [d, m]],
    );
  }
  shapes.push(["model.norm.weight", [d]]);
  return shapes;
}

const count = (shape) => shape.reduce((a, b) => a * b, 1);

/** Writes one BF16 shard holding `shapes`; values come from a seeded generator (norm weights near 1, others small). */
function writeShard(file, shapes, seed) {
  const header = {};
  let offset = 0;
  for (const [name, shape] of shapes) {
    const bytes = count(shape) * 2;
    header[name] = { dtype: "BF16", shape, data_offsets: [offset, offset + bytes] };
    offset += bytes;
  }
  const json = Buffer.from(JSON.stringify(header));
  const length = Buffer.alloc(8);
  length.writeBigUInt64LE(BigInt(json.length));
  const fd = fs.openSync(file, "w");
  try {
    fs.writeSync(fd, length);
    fs.writeSync(fd, json);
    let state = seed >>> 0;
    const chunk = new Uint16Array(1 << 22);
    const asFloat = new Float32Array(1);
    const asBits = new Uint32Array(asFloat.buffer);
    for (const [name, shape] of shapes) {
      const isNorm = name.endsWith("norm.weight");
      let left = count(shape);
      while (left > 0) {
        const n = Math.min(left, chunk.length);
        for (let i = 0; i < n; i++) {
          state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
          const u = state / 2 ** 32 - 0.5;
          asFloat[0] = isNorm ? 1 + 0.1 * u : 0.04 * u;
          chunk[i] = asBits[0] >>> 16; // BF16: the upper half of the fp32 bits
        }
        fs.writeSync(fd, new Uint8Array(chunk.buffer, 0, n * 2));
        left -= n;
      }
    }
  } finally {
    fs.closeSync(fd);
  }
}

/** Writes the Llama-shaped folder into `dir`; returns the fp32 bytes of its weights. */
function writeLlamaModel(dir, shape = LLAMA_1B) {
  const shapes = llamaShapes(shape);
  const half = Math.ceil(shapes.length / 2);
  const shards = [shapes.slice(0, half), shapes.slice(half)];
  const names = shards.map((_, i) => `model-0000${i + 1}-of-0000${shards.length}.safetensors`);
  const weightMap = {};
  shards.forEach((shard, i) => {
    writeShard(path.join(dir, names[i]), shard, 777 + i);
    for (const [name] of shard) weightMap[name] = names[i];
  });
  const fp32Bytes = shapes.reduce((sum, [, s]) => sum + count(s) * 4, 0);
  fs.writeFileSync(
    path.join(dir, "model.safetensors.index.json"),
    JSON.stringify({ metadata: { total_size: fp32Bytes / 2 }, weight_map: weightMap }),
  );
  const config = {
    model_type: "llama",
    architectures: ["LlamaForCausalLM"],
    ...shape,
    hidden_act: "silu",
    max_position_embeddings: 131072,
    rms_norm_eps: 1e-5,
    rope_theta: 500000,
    rope_scaling: {
      rope_type: "llama3",
      factor: 32,
      low_freq_factor: 1,
      high_freq_factor: 4,
      original_max_position_embeddings: 8192,
    },
    tie_word_embeddings: true,
    torch_dtype: "bfloat16",
  };
  fs.writeFileSync(path.join(dir, "config.json"), JSON.stringify(config));
  return fp32Bytes;
}

module.exports = { LLAMA_1B, llamaShapes, writeLlamaModel };
