/**
 * The embedded models' corpus (scripts/fetch-corpus.sh) and its tokenisation,
 * cached under .cache/corpus/ by the hashes of the corpus and the tokenizer.
 */
import { execFileSync } from "child_process";
import { createHash } from "crypto";
import * as fs from "fs";
import * as path from "path";
import type { Tokenizer } from "../src/tokenizer";

const REPO = path.resolve(__dirname, "..", "..");
const CORPUS_DIR = path.join(REPO, ".cache", "corpus");

/** The corpus text with what the model cards record about it. */
export interface Corpus {
  text: string;
  /** Path of corpus.txt. */
  file: string;
  bytes: number;
  sha256: string;
  /** Debian package and version it was built from. */
  source: string;
}

/** Builds (or reuses) the corpus. */
export function loadCorpus(): Corpus {
  execFileSync("bash", [path.join(REPO, "scripts", "fetch-corpus.sh"), CORPUS_DIR], { stdio: "inherit" });
  const file = path.join(CORPUS_DIR, "corpus.txt");
  const raw = fs.readFileSync(file);
  return {
    text: raw.toString("utf8"),
    file,
    bytes: raw.byteLength,
    sha256: createHash("sha256").update(raw).digest("hex"),
    source: fs.readFileSync(path.join(CORPUS_DIR, "SOURCE"), "utf8").trim(),
  };
}

/**
 * The corpus as token ids. Encoded in chunks of whole lines (~20 kB) so the
 * tokenizer never sees the 5 MB string at once; the result is cached.
 */
export function tokenizeCorpus(corpus: Corpus, tokenizer: Tokenizer, tokenizerJson: string): Int32Array {
  const key = createHash("sha256").update(corpus.sha256).update(tokenizerJson).digest("hex").slice(0, 16);
  const cached = path.join(CORPUS_DIR, `tokens-${key}.i32`);
  if (fs.existsSync(cached)) {
    const raw = fs.readFileSync(cached);
    return new Int32Array(raw.buffer.slice(raw.byteOffset, raw.byteOffset + raw.byteLength));
  }
  const ids: number[] = [];
  let chunk = "";
  const flush = () => {
    for (const id of tokenizer.encode(chunk)) ids.push(id);
    chunk = "";
  };
  for (const line of corpus.text.split(/(?<=\n)/)) {
    chunk += line;
    if (chunk.length > 20000) flush();
  }
  flush();
  const tokens = Int32Array.from(ids);
  fs.writeFileSync(cached + ".partial", Buffer.from(tokens.buffer));
  fs.renameSync(cached + ".partial", cached);
  return tokens;
}
