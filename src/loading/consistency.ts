/**
 * Checks a config.json against the checkpoint's tensor shapes before anything is read: a layer count below the
 * layers the files hold (which would otherwise load a model cut short), and every dimension the config fixes (vocab_size, hidden_size, intermediate_size, heads,
 * head_dim, key/value heads) against the tensors that carry it. A contradiction is one ConfigError naming the config
 * key and its value, the tensor, its shape and the file — raised before any tensor is allocated, so nothing is
 * half-loaded and nothing leaks. Only the safetensors headers are read.
 */
import { dirName } from "./fileNames";
import { ConfigError, type TransformerConfig } from "./config";

/** What the check needs of an open checkpoint file: its path and its header's tensor shapes. */
export interface ShapeSource {
  readonly path: string;
  readonly tensors: ReadonlyMap<string, { shape: number[] }>;
}

/** Where a checkpoint comes from, for messages. */
export interface ConsistencySource {
  configFile: string;
  hfConfig: Record<string, unknown>;
  cfg: TransformerConfig;
}

/** One axis of a tensor fixed by the config: its size and the config keys (with values) that fix it. */
interface Dim {
  size: number;
  because: string;
}

/** A tensor whose shape the config fixes, axis by axis. */
interface Claim {
  tensor: string;
  dims: Dim[];
}

/** The checkpoint layout of an architecture: where its layers live and what shapes its config implies. */
interface Layout {
  layerPrefix: string;
  claims(cfg: TransformerConfig, keys: ConfigKeys, has: (name: string) => boolean): Claim[];
}

/** Phrases a config value as the file spells it ("vocab_size = 96"), or how it follows from other keys. */
class ConfigKeys {
  constructor(private readonly hf: Record<string, unknown>) {}

  /** `key = value` for the first of `keys` the file sets, else `fallback`. */
  named(keys: string[], fallback: string): string {
    const key = this.key(keys);
    return key === undefined ? fallback : `${key} = ${JSON.stringify(this.hf[key])}`;
  }

  /** The key that sets a value, or undefined. */
  key(keys: string[]): string | undefined {
    return keys.find((k) => this.hf[k] !== undefined && this.hf[k] !== null);
  }
}

/** The head dimension as the config sets it: explicit head_dim, or hidden_size / num_attention_heads. */
function headDimWords(cfg: TransformerConfig, keys: ConfigKeys): string {
  return keys.key(["head_dim"])
    ? `head_dim = ${cfg.dHead}`
    : `head_dim ${cfg.dHead} (hidden_size ${cfg.dModel} / num_attention_heads ${cfg.nHeads})`;
}

/** Where a family keeps RMSNorm weights for q and k: none, one per head (Qwen3, Gemma 3), or across all heads (OLMo-2). */
type QkNorm = "none" | "perHead" | "acrossHeads";

/**
 * The Llama layout (Llama, Qwen2, Qwen3, Mistral, Phi-3, Gemma, OLMo-2): model.embed_tokens, model.layers.{l}.self_attn
 * / mlp; Phi-3 fuses q/k/v and gate/up.
 */
function llamaLayout(fused: boolean, qkNorm: QkNorm): Layout {
  return {
    layerPrefix: "model.layers.",
    claims(cfg, keys, has) {
      const vocab: Dim = { size: cfg.dVocab, because: keys.named(["vocab_size"], `vocab size ${cfg.dVocab}`) };
      const d: Dim = { size: cfg.dModel, because: keys.named(["hidden_size"], `hidden size ${cfg.dModel}`) };
      const mlp: Dim = { size: cfg.dMlp, because: keys.named(["intermediate_size"], `intermediate size ${cfg.dMlp}`) };
      const h = cfg.nHeads;
      const kv = cfg.nKeyValueHeads ?? h;
      const headDim = headDimWords(cfg, keys);
      const kvWords = keys.key(["num_key_value_heads"])
        ? `num_key_value_heads = ${kv}`
        : `num_key_value_heads ${kv} (num_attention_heads, as none is set)`;
      const e = cfg.dHead;
      const q: Dim = { size: h * e, because: `${headDim} with num_attention_heads = ${h} (${h} × ${e} = ${h * e})` };
      const k: Dim = { size: kv * e, because: `${kvWords} with ${headDim} (${kv} × ${e} = ${kv * e})` };
      const claims: Claim[] = [{ tensor: "model.embed_tokens.weight", dims: [vocab, d] }];
      if (has("lm_head.weight")) claims.push({ tensor: "lm_head.weight", dims: [vocab, d] });
      claims.push({ tensor: "model.norm.weight", dims: [d] });
      for (let l = 0; l < cfg.nLayers; l++) {
        const p = `model.layers.${l}.`;
        claims.push({ tensor: `${p}input_layernorm.weight`, dims: [d] });
        if (fused) {
          const rows = (h + 2 * kv) * e;
          const qkv = `${kvWords} with num_attention_heads = ${h} and ${headDim} ((${h} + 2 × ${kv}) × ${e} = ${rows})`;
          claims.push({ tensor: `${p}self_attn.qkv_proj.weight`, dims: [{ size: rows, because: qkv }, d] });
          const gateUp = { size: 2 * cfg.dMlp, because: `${mlp.because} (gate and up: 2 × ${cfg.dMlp} = ${2 * cfg.dMlp})` };
          claims.push({ tensor: `${p}mlp.gate_up_proj.weight`, dims: [gateUp, d] });
        } else {
          claims.push({ tensor: `${p}self_attn.q_proj.weight`, dims: [q, d] });
          claims.push({ tensor: `${p}self_attn.k_proj.weight`, dims: [k, d] });
          claims.push({ tensor: `${p}self_attn.v_proj.weight`, dims: [k, d] });
          claims.push({ tensor: `${p}mlp.gate_proj.weight`, dims: [mlp, d] });
          claims.push({ tensor: `${p}mlp.up_proj.weight`, dims: [mlp, d] });
        }
        claims.push({ tensor: `${p}self_attn.o_proj.weight`, dims: [d, q] });
        claims.push({ tensor: `${p}mlp.down_proj.weight`, dims: [d, mlp] });
        if (qkNorm !== "none") {
          const across = qkNorm === "acrossHeads";
          claims.push({ tensor: `${p}self_attn.q_norm.weight`, dims: [across ? q : { size: e, because: headDim }] });
          claims.push({ tensor: `${p}self_attn.k_norm.weight`, dims: [across ? k : { size: e, because: headDim }] });
        }
      }
      return claims;
    },
  };
}

/** GPT-2: (transformer.)wte / wpe / h.{l}, Conv1D weights stored [in, out]. */
function gpt2Layout(prefix: string): Layout {
  return {
    layerPrefix: `${prefix}h.`,
    claims(cfg, keys, has) {
      const vocab: Dim = { size: cfg.dVocab, because: keys.named(["vocab_size"], `vocab size ${cfg.dVocab}`) };
      const d: Dim = { size: cfg.dModel, because: keys.named(["n_embd"], `n_embd ${cfg.dModel}`) };
      const ctx: Dim = { size: cfg.nCtx, because: keys.named(["n_positions", "n_ctx"], `context ${cfg.nCtx}`) };
      const mlp: Dim = {
        size: cfg.dMlp,
        because: keys.named(["n_inner"], `n_inner ${cfg.dMlp} (4 × n_embd, as n_inner is null)`),
      };
      const claims: Claim[] = [
        { tensor: `${prefix}wte.weight`, dims: [vocab, d] },
        { tensor: `${prefix}wpe.weight`, dims: [ctx, d] },
      ];
      if (has("lm_head.weight")) claims.push({ tensor: "lm_head.weight", dims: [vocab, d] });
      for (let l = 0; l < cfg.nLayers; l++) {
        const p = `${prefix}h.${l}.`;
        claims.push({ tensor: `${p}ln_1.weight`, dims: [d] });
        claims.push({
          tensor: `${p}attn.c_attn.weight`,
          dims: [d, { size: 3 * cfg.dModel, because: `${d.because} (q, k, v: 3 × ${cfg.dModel})` }],
        });
        claims.push({ tensor: `${p}mlp.c_fc.weight`, dims: [d, mlp] });
        claims.push({ tensor: `${p}mlp.c_proj.weight`, dims: [mlp, d] });
      }
      return claims;
    },
  };
}

/** GPT-NeoX / Pythia: gpt_neox.embed_in / layers.{l} / embed_out. */
const neoxLayout: Layout = {
  layerPrefix: "gpt_neox.layers.",
  claims(cfg, keys) {
    const vocab: Dim = { size: cfg.dVocab, because: keys.named(["vocab_size"], `vocab size ${cfg.dVocab}`) };
    const d: Dim = { size: cfg.dModel, because: keys.named(["hidden_size"], `hidden size ${cfg.dModel}`) };
    const mlp: Dim = { size: cfg.dMlp, because: keys.named(["intermediate_size"], `intermediate size ${cfg.dMlp}`) };
    const claims: Claim[] = [
      { tensor: "gpt_neox.embed_in.weight", dims: [vocab, d] },
      { tensor: "embed_out.weight", dims: [{ size: cfg.dVocabOut, because: vocab.because }, d] },
    ];
    for (let l = 0; l < cfg.nLayers; l++) {
      const p = `gpt_neox.layers.${l}.`;
      claims.push({ tensor: `${p}input_layernorm.weight`, dims: [d] });
      claims.push({
        tensor: `${p}attention.query_key_value.weight`,
        dims: [{ size: 3 * cfg.dModel, because: `${d.because} (q, k, v: 3 × ${cfg.dModel})` }, d],
      });
      claims.push({ tensor: `${p}mlp.dense_h_to_4h.weight`, dims: [mlp, d] });
      claims.push({ tensor: `${p}mlp.dense_4h_to_h.weight`, dims: [d, mlp] });
    }
    return claims;
  },
};

/** The layout of an architecture, or undefined when this check does not know it (the key map's own checks apply). */
function layoutOf(architecture: string, has: (name: string) => boolean): Layout | undefined {
  switch (architecture) {
    case "GPT2LMHeadModel":
      return gpt2Layout(has("transformer.wte.weight") ? "transformer." : "");
    case "GPTNeoXForCausalLM":
      return neoxLayout;
    case "LlamaForCausalLM":
    case "Qwen2ForCausalLM":
    case "MistralForCausalLM":
    case "GemmaForCausalLM":
    case "Gemma2ForCausalLM":
      return llamaLayout(false, "none");
    case "Qwen3ForCausalLM":
    case "Gemma3ForCausalLM":
      return llamaLayout(false, "perHead");
    case "Olmo2ForCausalLM":
      return llamaLayout(false, "acrossHeads");
    case "Phi3ForCausalLM":
      return llamaLayout(true, "none");
    default:
      return undefined;
  }
}

const shapeText = (shape: readonly number[]) => `[${shape.join(", ")}]`;

/** The config key that holds the number of layers, as the file spells it. */
function layersKey(hf: Record<string, unknown>): string {
  return ["num_hidden_layers", "n_layer", "n_layers"].find((k) => hf[k] !== undefined) ?? "num_hidden_layers";
}

/**
 * Throws a ConfigError when `source`'s config contradicts the tensors of `files`: fewer layers than the files hold,
 * or a tensor whose shape differs from what the config implies (tensors that are missing, and so more layers than
 * the files hold, are left to the reader, which names the first missing tensor). Architectures this check does not
 * know pass unchecked.
 */
export function checkConsistency(files: readonly ShapeSource[], source: ConsistencySource): void {
  const { configFile, hfConfig, cfg } = source;
  const owner = new Map<string, ShapeSource>();
  for (const file of files) for (const name of file.tensors.keys()) owner.set(name, file);
  const has = (name: string) => owner.has(name);
  const layout = layoutOf(cfg.originalArchitecture, has);
  if (!layout) return;
  const keys = new ConfigKeys(hfConfig);
  const claims = layout.claims(cfg, keys, has);
  // The embedding (vocabulary and width) first: a wrong hidden_size shows there before it shows in every layer;
  // then the layer count, before any layer's shapes.
  const [first, ...rest] = claims;
  checkClaim(first, owner, configFile);
  checkLayerCount(owner, layout.layerPrefix, source);
  for (const claim of rest) checkClaim(claim, owner, configFile);
}

/** Throws when `claim`'s tensor is present with a shape other than the claimed one (a missing tensor is left to the key map). */
function checkClaim(claim: Claim, owner: Map<string, ShapeSource>, configFile: string): void {
  const file = owner.get(claim.tensor);
  if (!file) return;
  const actual = file.tensors.get(claim.tensor)!.shape;
  const expected = claim.dims.map((dim) => dim.size);
  if (actual.length === expected.length && actual.every((size, i) => size === expected[i])) return;
  const axis = actual.length === expected.length ? expected.findIndex((size, i) => size !== actual[i]) : 0;
  throw new ConfigError(
    `${configFile}: ${claim.dims[axis].because} contradicts ${file.path}: ` +
      `tensor "${claim.tensor}" has shape ${shapeText(actual)} but the config needs ${shapeText(expected)}`,
  );
}

/**
 * Throws when the files hold more layers under `prefix` than the config's n_layers (loading would silently cut the
 * model short). Fewer layers than the config asks for are reported by the reader, naming the first missing tensor.
 */
function checkLayerCount(owner: Map<string, ShapeSource>, prefix: string, source: ConsistencySource): void {
  const { configFile, hfConfig, cfg } = source;
  const holders = new Set<string>();
  let [last, example] = [-1, ""];
  for (const [name, file] of owner) {
    if (!name.startsWith(prefix)) continue;
    const index = Number(name.slice(prefix.length).split(".")[0]);
    if (!Number.isInteger(index)) continue;
    holders.add(file.path);
    if (index > last) [last, example] = [index, name];
  }
  if (last + 1 <= cfg.nLayers) return;
  const where = holders.size === 1 ? [...holders][0] : `${dirName([...holders][0])} (${holders.size} files)`;
  throw new ConfigError(
    `${configFile}: ${layersKey(hfConfig)} = ${cfg.nLayers} contradicts ${where}, which has layers 0…${last} ` +
      `(e.g. "${example}"): loading ${cfg.nLayers} of its ${last + 1} layers would cut the model short`,
  );
}
