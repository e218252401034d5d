/**
 * Turning a tokenizer folder into the two objects @huggingface/tokenizers
 * takes: a tokenizer.json object (read, or built from vocab.json +
 * merges.txt) and the tokenizer_config.json object.
 */
import { TokenizerLoadError } from "./errors";
import { checkFolder, hasFile, isJsonObject, readJsonObject, readOptionalJsonObject, readText, type JsonObject } from "./files";
import { resolveSpecialTokens } from "./special-tokens";
import { checkTokenizerJson } from "./validate";
import { byteLevelBpeJson, checkVocab, parseMerges, specialAddedToken, type AddedTokenJson } from "./vocab-merges";

/** What a tokenizer folder holds, ready for the Tokenizer constructor. */
export interface TokenizerFolderContents {
  /** The folder read. */
  folder: string;
  /** The file the tokenizer came from: "tokenizer.json" or "vocab.json + merges.txt". */
  source: string;
  /** tokenizer.json as an object (built in memory for vocab.json + merges.txt). */
  tokenizerJson: JsonObject;
  /** tokenizer_config.json, or {} when the folder has none. */
  config: JsonObject;
  /** special_tokens_map.json, or null when the folder has none. */
  specialTokensMap: JsonObject | null;
}

/**
 * Reads `dir`: tokenizer.json when present, else vocab.json + merges.txt;
 * plus tokenizer_config.json and special_tokens_map.json when present.
 * Throws TokenizerLoadError naming the folder and the missing/invalid file.
 */
export function readTokenizerFolder(dir: string): TokenizerFolderContents {
  checkFolder(dir);
  const config = readOptionalJsonObject(dir, "tokenizer_config.json") ?? {};
  const specialTokensMap = readOptionalJsonObject(dir, "special_tokens_map.json");
  if (hasFile(dir, "tokenizer.json")) {
    const tokenizerJson = readJsonObject(dir, "tokenizer.json");
    checkTokenizerJson(dir, tokenizerJson);
    return { folder: dir, source: "tokenizer.json", tokenizerJson, config, specialTokensMap };
  }
  const missing = ["vocab.json", "merges.txt"].filter((name) => !hasFile(dir, name));
  if (missing.length > 0) {
    throw new TokenizerLoadError(
      dir,
      null,
      `missing tokenizer.json, or ${missing.join(" and ")} of a GPT-2 style vocab.json + merges.txt`,
    );
  }
  const tokenizerJson = vocabMergesJson(dir, config, specialTokensMap);
  return { folder: dir, source: "vocab.json + merges.txt", tokenizerJson, config, specialTokensMap };
}

/** Builds the tokenizer.json object for a vocab.json + merges.txt folder. */
function vocabMergesJson(dir: string, config: JsonObject, specialTokensMap: JsonObject | null): JsonObject {
  const vocab = checkVocab(dir, readJsonObject(dir, "vocab.json"));
  const merges = parseMerges(dir, readText(dir, "merges.txt"), vocab);
  const extra = readOptionalJsonObject(dir, "added_tokens.json") ?? {};
  const added = new Map<string, AddedTokenJson>();
  for (const [content, id] of Object.entries(extra)) {
    if (typeof id !== "number" || !Number.isInteger(id) || id < 0) {
      throw new TokenizerLoadError(
        dir,
        "added_tokens.json",
        `invalid: id of ${JSON.stringify(content)} is not a non-negative integer`,
      );
    }
    added.set(content, { ...specialAddedToken(id, content), normalized: true, special: false });
  }
  for (const token of addedTokensDecoder(dir, config)) added.set(token.content, token);
  const inVocab = (text: string) => Object.hasOwn(vocab, text) || added.has(text);
  const special = resolveSpecialTokens([config, specialTokensMap], inVocab);
  for (const text of Object.values(special)) {
    if (text === null || !inVocab(text)) continue;
    const known = added.get(text);
    added.set(text, known ? { ...known, special: true } : specialAddedToken(vocab[text], text));
  }
  const addedTokens = [...added.values()].sort((a, b) => a.id - b.id);
  return byteLevelBpeJson(vocab, merges, addedTokens, config.add_prefix_space === true);
}

/** tokenizer_config.json's `added_tokens_decoder` ({"id": {content, special, ...}}) as added tokens. */
function addedTokensDecoder(dir: string, config: JsonObject): AddedTokenJson[] {
  const decoder = config.added_tokens_decoder;
  if (decoder === undefined) return [];
  if (!isJsonObject(decoder))
    throw new TokenizerLoadError(dir, "tokenizer_config.json", "invalid: added_tokens_decoder is not an object");
  return Object.entries(decoder).map(([key, spec]) => {
    const id = Number(key);
    if (!Number.isInteger(id) || id < 0 || !isJsonObject(spec) || typeof spec.content !== "string") {
      throw new TokenizerLoadError(dir, "tokenizer_config.json", `invalid: added_tokens_decoder entry ${JSON.stringify(key)}`);
    }
    const special = spec.special === true;
    return {
      id,
      content: spec.content,
      single_word: spec.single_word === true,
      lstrip: spec.lstrip === true,
      rstrip: spec.rstrip === true,
      normalized: typeof spec.normalized === "boolean" ? spec.normalized : !special,
      special,
    };
  });
}
