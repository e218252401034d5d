/**
 * Checks the parts of a tokenizer.json that tslens and @huggingface/tokenizers read, before the library sees them:
 * a malformed file then fails with what is wrong and where (e.g. `model.merges is a number, not a list`) instead
 * of the library's `config.merges.map is not a function`, or loads and tokenizes wrongly (a vocab that is not an
 * object).
 */
import { TokenizerLoadError } from "./errors";
import { isJsonObject, type JsonObject } from "./files";

/** Tokenizer models the library implements. */
const MODEL_TYPES = ["BPE", "WordPiece", "Unigram"];

/** "a number", "a list", "null", … for messages. */
function kind(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "a list";
  return typeof value === "object" ? "an object" : `a ${typeof value}`;
}

/** Throws a TokenizerLoadError for `dir`/tokenizer.json unless its model, added tokens and pipeline parts are well-formed. */
export function checkTokenizerJson(dir: string, json: JsonObject): void {
  const fail = (why: string): never => {
    throw new TokenizerLoadError(dir, "tokenizer.json", `invalid: ${why}`);
  };
  const model = json.model;
  if (!isJsonObject(model)) fail(model === undefined ? 'no "model" object' : `"model" is ${kind(model)}, not an object`);
  checkModel(model as JsonObject, fail);
  const added = json.added_tokens;
  if (added !== undefined && added !== null) {
    if (!Array.isArray(added)) fail(`added_tokens is ${kind(added)}, not a list`);
    (added as unknown[]).forEach((token, i) => {
      if (!isJsonObject(token)) return fail(`added_tokens[${i}] is ${kind(token)}, not an object`);
      if (!Number.isInteger(token.id) || (token.id as number) < 0)
        fail(`added_tokens[${i}].id is ${JSON.stringify(token.id)}, not a non-negative integer`);
      if (typeof token.content !== "string") fail(`added_tokens[${i}].content is ${kind(token.content)}, not a string`);
    });
  }
  for (const part of ["normalizer", "pre_tokenizer", "post_processor", "decoder"]) {
    const value = json[part];
    if (value === undefined || value === null) continue;
    if (!isJsonObject(value)) fail(`${part} is ${kind(value)}, not an object or null`);
    if (typeof (value as JsonObject).type !== "string") fail(`${part} has no "type" string`);
  }
}

/** Checks model.type, model.vocab and (for BPE) model.merges. */
function checkModel(model: JsonObject, fail: (why: string) => never): void {
  const type = model.type;
  if (type !== undefined && (typeof type !== "string" || !MODEL_TYPES.includes(type)))
    fail(`model.type ${JSON.stringify(type)} is not supported (supported: ${MODEL_TYPES.join(", ")})`);
  const vocab = model.vocab;
  if (type === "Unigram" || (type === undefined && Array.isArray(vocab))) {
    if (!Array.isArray(vocab)) return fail(`model.vocab is ${kind(vocab)}; a Unigram vocab is a list of [piece, score] pairs`);
    const bad = vocab.findIndex((e) => !Array.isArray(e) || typeof e[0] !== "string" || typeof e[1] !== "number");
    if (bad >= 0) fail(`model.vocab[${bad}] is ${JSON.stringify(vocab[bad])}, not a [piece, score] pair`);
    if (vocab.length === 0) fail("model.vocab is empty");
    return;
  }
  if (!isJsonObject(vocab)) return fail(`model.vocab is ${kind(vocab)}, not an object of token → id`);
  const entries = Object.entries(vocab);
  if (entries.length === 0) fail("model.vocab is empty");
  const bad = entries.find(([, id]) => !Number.isInteger(id) || (id as number) < 0);
  if (bad) fail(`model.vocab[${JSON.stringify(bad[0])}] is ${JSON.stringify(bad[1])}, not a non-negative integer id`);
  const merges = model.merges;
  if (type === "BPE" || merges !== undefined) {
    if (!Array.isArray(merges)) return fail(`model.merges is ${kind(merges)}, not a list`);
    const pair = (m: unknown) =>
      (typeof m === "string" && m.includes(" ")) ||
      (Array.isArray(m) && m.length === 2 && typeof m[0] === "string" && typeof m[1] === "string");
    const asPairs = Array.isArray(merges[0]); // the library reads every merge in the first one's format
    const badMerge = merges.findIndex((m) => !pair(m) || Array.isArray(m) !== asPairs);
    if (badMerge >= 0)
      fail(
        `model.merges[${badMerge}] is ${JSON.stringify(merges[badMerge])}, not ${asPairs ? 'a ["a", "b"] pair like model.merges[0]' : '"a b" like model.merges[0]'}`,
      );
  }
}
