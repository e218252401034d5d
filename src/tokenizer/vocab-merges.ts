/**
 * GPT-2 style `vocab.json` + `merges.txt` as an in-memory tokenizer.json
 * object: the byte-level BPE that transformers' GPT2Tokenizer builds from
 * the same two files (ByteLevel pre-tokenizer and decoder, no normalizer,
 * special tokens registered as added tokens).
 */
import { TokenizerLoadError } from "./errors";
import type { JsonObject } from "./files";

/** One entry of tokenizer.json's `added_tokens`. */
export interface AddedTokenJson {
  /** Token id. */
  id: number;
  /** Token text. */
  content: string;
  /** Matches whole words only. */
  single_word: boolean;
  /** Swallows whitespace on its left. */
  lstrip: boolean;
  /** Swallows whitespace on its right. */
  rstrip: boolean;
  /** Matched after normalization (false for special tokens). */
  normalized: boolean;
  /** A special token (bos/eos/pad/unk and the like). */
  special: boolean;
}

/**
 * Checks a parsed vocab.json: an object from token text to a distinct
 * non-negative integer id. Errors name `folder` and vocab.json.
 */
export function checkVocab(folder: string, vocab: JsonObject): Record<string, number> {
  const seen = new Map<number, string>();
  for (const [token, id] of Object.entries(vocab)) {
    if (typeof id !== "number" || !Number.isInteger(id) || id < 0) {
      throw new TokenizerLoadError(folder, "vocab.json", `invalid: id of ${JSON.stringify(token)} is not a non-negative integer`);
    }
    const other = seen.get(id);
    if (other !== undefined) {
      throw new TokenizerLoadError(
        folder,
        "vocab.json",
        `invalid: ${JSON.stringify(token)} and ${JSON.stringify(other)} share id ${id}`,
      );
    }
    seen.set(id, token);
  }
  return vocab as Record<string, number>;
}

/**
 * Parses merges.txt: "#version" lines are skipped, then one "left right"
 * pair a line, both sides and their concatenation in the vocabulary. Errors name `folder`,
 * merges.txt and the line number.
 */
export function parseMerges(folder: string, text: string, vocab: Record<string, number>): [string, string][] {
  const merges: [string, string][] = [];
  const lines = text.split(/\r?\n/);
  lines.forEach((line, index) => {
    if (line === "" || line.startsWith("#version")) return;
    const parts = line.split(" ");
    if (parts.length !== 2 || parts[0] === "" || parts[1] === "") {
      throw new TokenizerLoadError(
        folder,
        "merges.txt",
        `invalid line ${index + 1}: expected "left right", got ${JSON.stringify(line)}`,
      );
    }
    for (const part of [...parts, parts[0] + parts[1]]) {
      if (!Object.hasOwn(vocab, part)) {
        throw new TokenizerLoadError(
          folder,
          "merges.txt",
          `invalid line ${index + 1}: ${JSON.stringify(part)} is not in vocab.json`,
        );
      }
    }
    merges.push([parts[0], parts[1]]);
  });
  return merges;
}

/** A special added token for `content` with the given id. */
export function specialAddedToken(id: number, content: string): AddedTokenJson {
  return { id, content, single_word: false, lstrip: false, rstrip: false, normalized: false, special: true };
}

/**
 * The tokenizer.json object equivalent to a GPT-2 style vocabulary and
 * merge list. `addedTokens` become tokenizer.json's `added_tokens`;
 * `addPrefixSpace` is tokenizer_config.json's `add_prefix_space`.
 */
export function byteLevelBpeJson(
  vocab: Record<string, number>,
  merges: [string, string][],
  addedTokens: AddedTokenJson[],
  addPrefixSpace: boolean,
): JsonObject {
  const byteLevel = { add_prefix_space: addPrefixSpace, trim_offsets: true, use_regex: true };
  return {
    version: "1.0",
    truncation: null,
    padding: null,
    added_tokens: addedTokens,
    normalizer: null,
    pre_tokenizer: { type: "ByteLevel", ...byteLevel },
    post_processor: { type: "ByteLevel", ...byteLevel, trim_offsets: false },
    decoder: { type: "ByteLevel", ...byteLevel },
    model: {
      type: "BPE",
      dropout: null,
      unk_token: null,
      continuing_subword_prefix: null,
      end_of_word_suffix: null,
      fuse_unk: false,
      byte_fallback: false,
      ignore_merges: false,
      vocab,
      merges,
    },
  };
}
