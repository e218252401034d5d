/**
 * The benchmarks' model: GPT-2 small's shape (124M parameters) with seeded random weights,
 * written as a Hugging Face GPT-2 folder (config.json + fp32 model.safetensors).
 */
"use strict";
const fs = require("fs");
const path = require("path");

const GPT2_SMALL = { n_layer: 12, n_head: 12, n_embd: 768, n_positions: 1024, vocab_size: 50257 };

/** Writes config.json and a random-weight model.safetensors (fp32) for GPT-2 small. */
function writeModel(dir) {
  const { n_layer: L, n_embd: d, n_positions: nCtx, vocab_size: V } = GPT2_SMALL;
  const shapes = [
    ["transformer.wte.weight", [V, d]],
    ["transformer.wpe.weight", [nCtx, d]],
  ];
  for (let l = 0; l < L; l++) {
    const h = `transformer.h.${l}.`;
    shapes.push(
      [`${h}ln_1.weight`, [d]],
      [`${h}ln_1.bias`, [d]],
      [`${h}attn.c_attn.weight`, [d, 3 * d]],
      [`${h}attn.c_attn.bias`, [3 * d]],
      [`${h}attn.c_proj.weight`, [d, d]],
      [`${h}attn.c_proj.bias`, [d]],
      [`${h}ln_2.weight`, [d]],
      [`${h}ln_2.bias`, [d]],
      [`${h}mlp.c_fc.weight`, [d, 4 * d]],
      [`${h}mlp.c_fc.bias`, [4 * d]],
      [`${h}mlp.c_proj.weight`, [4 * d, d]],
      [`${h}mlp.c_proj.bias`, [d]],
    );
  }
  shapes.push(["transformer.ln_f.weight", [d]], ["transformer.ln_f.bias", [d]]);
  const header = {};
  let offset = 0;
  for (const [name, shape] of shapes) {
    const bytes = shape.reduce((a, b) => a * b, 1) * 4;
    header[name] = { dtype: "F32", shape, data_offsets: [offset, offset + bytes] };
    offset += bytes;
  }
  const json = Buffer.from(JSON.stringify(header));
  const fd = fs.openSync(path.join(dir, "model.safetensors"), "w");
  const len = Buffer.alloc(8);
  len.writeBigUInt64LE(BigInt(json.length));
  fs.writeSync(fd, len);
  fs.writeSync(fd, json);
  let state = 12345;
  for (const [name, shape] of shapes) {
    const values = new Float32Array(shape.reduce((a, b) => a * b, 1));
    const isNormWeight = name.endsWith("ln_1.weight") || name.endsWith("ln_2.weight") || name.endsWith("ln_f.weight");
    for (let i = 0; i < values.length; i++) {
      state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
      const u = state / 2 ** 32 - 0.5;
      values[i] = isNormWeight ? 1 + 0.1 * u : 0.04 * u;
    }
    fs.writeSync(fd, Buffer.from(values.buffer));
  }
  fs.closeSync(fd);
  const config = {
    model_type: "gpt2",
    architectures: ["GPT2LMHeadModel"],
    ...GPT2_SMALL,
    n_ctx: 1024,
    layer_norm_epsilon: 1e-5,
    activation_function: "gelu_new",
  };
  fs.writeFileSync(path.join(dir, "config.json"), JSON.stringify(config));
}

module.exports = { GPT2_SMALL, writeModel };
