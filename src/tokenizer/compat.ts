/**
 * Fixes for places where @huggingface/tokenizers 0.2.0 differs from the
 * Rust `tokenizers` library.
 *
 * ByteLevel pre-tokenizer: the JS library splits with GPT-2's regex written
 * with JavaScript's `\s`, which counts U+FEFF as whitespace and not U+0085
 * (NEL). The Rust library compiles the regex with Oniguruma, whose `\s` is
 * Unicode White_Space: U+0085 yes, U+FEFF no. Text with those characters
 * then splits (and so encodes) differently; the patched regex spells `\s`
 * as `\p{White_Space}`, as the JS library already does for Split patterns.
 */
import { ByteLevelPreTokenizer, SequencePreTokenizer, type PreTokenizer } from "@huggingface/tokenizers";

/** The GPT-2 split regex as @huggingface/tokenizers 0.2.0 compiles it. */
const JS_BYTE_LEVEL_SOURCE = String.raw`'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+`;

/** The same regex with Oniguruma's meaning of `\s` (Unicode White_Space). */
export const BYTE_LEVEL_PATTERN =
  /'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\p{White_Space}\p{L}\p{N}]+|\p{White_Space}+(?!\P{White_Space})|\p{White_Space}+/gu;

/**
 * Gives every ByteLevel pre-tokenizer in `pre` (nested Sequences included)
 * the White_Space-based GPT-2 regex. A pattern that is not the known JS
 * one (a later library version) is left alone. Returns how many it patched.
 */
export function fixByteLevelWhitespace(pre: PreTokenizer | null): number {
  if (pre instanceof SequencePreTokenizer) {
    return pre.tokenizers.reduce((n, inner) => n + fixByteLevelWhitespace(inner), 0);
  }
  if (pre instanceof ByteLevelPreTokenizer && pre.pattern.source === JS_BYTE_LEVEL_SOURCE) {
    pre.pattern = new RegExp(BYTE_LEVEL_PATTERN.source, BYTE_LEVEL_PATTERN.flags);
    return 1;
  }
  return 0;
}
