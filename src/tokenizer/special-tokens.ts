/**
 * Which texts are a tokenizer's bos/eos/pad/unk tokens, read from
 * tokenizer_config.json (then special_tokens_map.json) the way transformers
 * reads them, with GPT-2's "<|endoftext|>" as the default.
 */
import { isJsonObject, type JsonObject } from "./files";

/** GPT-2's single special token: bos, eos and unk by default. */
export const GPT2_END_OF_TEXT = "<|endoftext|>";

/** The kinds of special token a folder can declare. */
export type SpecialTokenKind = "bos" | "eos" | "pad" | "unk";

/** The text of each special token, or null when the tokenizer has none. */
export type SpecialTokenTexts = Record<SpecialTokenKind, string | null>;

const KINDS: SpecialTokenKind[] = ["bos", "eos", "pad", "unk"];

/**
 * A special-token entry as written in tokenizer_config.json: a string, an
 * AddedToken object with `content`, or null. Returns undefined when the
 * entry is absent or malformed (so a later source or the default applies).
 */
export function tokenText(value: unknown): string | null | undefined {
  if (value === null) return null;
  if (typeof value === "string") return value;
  if (isJsonObject(value) && typeof value.content === "string") return value.content;
  return undefined;
}

/**
 * The special-token texts declared by `sources` (first source that has the
 * key wins, an explicit null included). bos, eos and unk not declared
 * anywhere default to "<|endoftext|>" when `inVocab` says it exists, as
 * transformers' GPT2Tokenizer does; pad defaults to null.
 */
export function resolveSpecialTokens(sources: (JsonObject | null)[], inVocab: (text: string) => boolean): SpecialTokenTexts {
  const result: SpecialTokenTexts = { bos: null, eos: null, pad: null, unk: null };
  for (const kind of KINDS) {
    let text: string | null | undefined;
    for (const source of sources) {
      if (source === null || text !== undefined) continue;
      text = tokenText(source[`${kind}_token`]);
    }
    if (text === undefined && kind !== "pad" && inVocab(GPT2_END_OF_TEXT)) text = GPT2_END_OF_TEXT;
    result[kind] = text ?? null;
  }
  return result;
}

/**
 * Whether a tokenizer.json post-processor starts every single sequence with
 * the special token `bos` (as Llama-style TemplateProcessing does).
 */
export function templatePrependsBos(postProcessor: unknown, bos: string | null): boolean {
  if (bos === null || !isJsonObject(postProcessor)) return false;
  if (postProcessor.type === "Sequence" && Array.isArray(postProcessor.processors)) {
    return postProcessor.processors.some((p) => templatePrependsBos(p, bos));
  }
  if (postProcessor.type !== "TemplateProcessing" || !Array.isArray(postProcessor.single)) return false;
  const first: unknown = postProcessor.single[0];
  return isJsonObject(first) && isJsonObject(first.SpecialToken) && first.SpecialToken.id === bos;
}
