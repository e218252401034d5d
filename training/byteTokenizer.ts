/**
 * The embedded models' tokenizer: one token per byte (GPT-2's byte-to-character
 * mapping, so it is a standard byte-level BPE tokenizer.json with no merges), plus
 * <|endoftext|> (id 256) as BOS/EOS. Any text round-trips exactly.
 */
import { byteLevelBpeJson, specialAddedToken } from "../src/tokenizer/vocab-merges";

/** GPT-2's reversible byte → printable character mapping. */
export function bytesToUnicode(): string[] {
  const printable: number[] = [];
  for (let b = 33; b <= 126; b++) printable.push(b);
  for (let b = 161; b <= 172; b++) printable.push(b);
  for (let b = 174; b <= 255; b++) printable.push(b);
  const chars: string[] = new Array(256);
  let extra = 0;
  for (let b = 0; b < 256; b++) chars[b] = String.fromCodePoint(printable.includes(b) ? b : 256 + extra++);
  return chars;
}

/** The tokenizer.json and tokenizer_config.json of the byte-level tokenizer (a byte-level BPE with no merges). */
export function byteTokenizerFiles(): { tokenizer: Record<string, unknown>; config: Record<string, unknown> } {
  const vocab: Record<string, number> = {};
  bytesToUnicode().forEach((ch, b) => (vocab[ch] = b));
  return {
    tokenizer: byteLevelBpeJson(vocab, [], [specialAddedToken(256, "<|endoftext|>")], false),
    config: { bos_token: "<|endoftext|>", eos_token: "<|endoftext|>", add_bos_token: true, model_max_length: 256 },
  };
}
