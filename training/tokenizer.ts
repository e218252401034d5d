/**
 * Builds the embedded models' tokenizer: a 1024-token byte-level BPE trained on
 * the corpus by Hugging Face `tokenizers` (scripts/training/train_tokenizer.py)
 * in its own small venv, .venv-training/. Cached in .cache/tokenizer/.
 */
import { execFileSync } from "child_process";
import * as fs from "fs";
import * as path from "path";

const REPO = path.resolve(__dirname, "..", "..");
/** The pinned tokenizers release; the merges it learns are recorded in the shipped tokenizer.json. */
export const TOKENIZERS_REQUIREMENT = "tokenizers==0.23.3";
export const VOCAB_SIZE = 1024;

function python(): string {
  const venv = path.join(REPO, ".venv-training");
  const bin = path.join(venv, "bin", "python");
  if (!fs.existsSync(bin)) {
    execFileSync("python3", ["-m", "venv", venv], { stdio: "inherit" });
    execFileSync(bin, ["-m", "pip", "install", "--quiet", TOKENIZERS_REQUIREMENT], { stdio: "inherit" });
  }
  return bin;
}

/** Trains (or reuses) the tokenizer for `corpusFile`; returns the folder holding tokenizer.json and tokenizer_config.json. */
export function buildTokenizer(corpusFile: string, corpusSha256: string): string {
  const dir = path.join(REPO, ".cache", "tokenizer", `${corpusSha256.slice(0, 16)}-${VOCAB_SIZE}`);
  if (!fs.existsSync(path.join(dir, "tokenizer.json"))) {
    const script = path.join(REPO, "scripts", "training", "train_tokenizer.py");
    execFileSync(python(), [script, corpusFile, dir + ".partial", String(VOCAB_SIZE)], { stdio: "inherit" });
    fs.rmSync(dir, { recursive: true, force: true });
    fs.renameSync(dir + ".partial", dir);
  }
  return dir;
}
