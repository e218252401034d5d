/**
 * Test fixtures for the hub downloader: small fake model repositories, temporary cache folders,
 * and a hermetic environment (no HF_* variables from the developer's machine, HF_HOME in a temp dir).
 */
import { createHash } from "crypto";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { bytes, FakeRepo } from "./fake-hub";

/** A 40-hex commit sha derived from a label. */
export function commitFor(label: string): string {
  return createHash("sha1").update(label).digest("hex");
}

/** An unsharded model: config, weights (LFS), some tokenizer files; vocab.json, merges.txt, special_tokens_map.json missing. */
export function tinyRepo(label: string, weightBytes = 300_000): FakeRepo {
  return {
    commit: commitFor(label),
    files: {
      "config.json": Buffer.from(JSON.stringify({ model_type: "gpt2", n_layer: 2, label })),
      "model.safetensors": bytes(weightBytes, label.length * 7919 + 1),
      "tokenizer.json": Buffer.from(JSON.stringify({ version: "1.0", model: { type: "BPE" } })),
      "tokenizer_config.json": Buffer.from("{}"),
      "generation_config.json": Buffer.from(JSON.stringify({ bos_token_id: 0 })),
    },
  };
}

/** A sharded model: an index whose weight_map names two shards (one of them twice). */
export function shardedRepo(label: string): FakeRepo {
  const weightMap = {
    "h.0.w": "model-00001-of-00002.safetensors",
    "h.0.b": "model-00001-of-00002.safetensors",
    "h.1.w": "model-00002-of-00002.safetensors",
  };
  return {
    commit: commitFor(label),
    files: {
      "config.json": Buffer.from(JSON.stringify({ model_type: "llama", label })),
      "model.safetensors.index.json": Buffer.from(JSON.stringify({ metadata: { total_size: 1 }, weight_map: weightMap })),
      "model-00001-of-00002.safetensors": bytes(60_000, 11),
      "model-00002-of-00002.safetensors": bytes(50_000, 12),
      "tokenizer.json": Buffer.from("{}"),
    },
  };
}

/** A fresh temporary folder; all of them are removed by `removeTempDirs`. */
const temps: string[] = [];
export function tempDir(prefix = "tslens-hub-"): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  temps.push(dir);
  return dir;
}

/** Removes every folder `tempDir` made. */
export function removeTempDirs(): void {
  for (const dir of temps.splice(0)) fs.rmSync(dir, { recursive: true, force: true });
}

const HF_VARS = [
  "HF_ENDPOINT",
  "HF_HOME",
  "HF_HUB_CACHE",
  "HUGGINGFACE_HUB_CACHE",
  "HF_HUB_OFFLINE",
  "TRANSFORMERS_OFFLINE",
  "HF_TOKEN",
  "HUGGING_FACE_HUB_TOKEN",
  "HF_TOKEN_PATH",
  "XDG_CACHE_HOME",
];

/** Clears the HF_* variables and points HF_HOME at a temp dir; returns a function restoring them. */
export function isolateEnv(): () => void {
  const saved = new Map(HF_VARS.map((name) => [name, process.env[name]]));
  for (const name of HF_VARS) delete process.env[name];
  process.env.HF_HOME = tempDir("tslens-hf-home-");
  return () => {
    for (const [name, value] of saved) {
      if (value === undefined) delete process.env[name];
      else process.env[name] = value;
    }
  };
}

/** Every file under `dir` (relative paths), for "nothing was written" assertions. */
export function listTree(dir: string): string[] {
  if (!fs.existsSync(dir)) return [];
  return (fs.readdirSync(dir, { recursive: true }) as string[]).sort();
}
