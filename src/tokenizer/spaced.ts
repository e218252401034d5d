/**
 * SentencePiece tokenizers (Llama 1/2, Mistral, Gemma) write a space as "▁", and their decoder drops the first
 * space of what it decodes (a `Strip(" ", start 1)` step, or a Metaspace decoder), because SentencePiece added
 * that space in front of the text. Decoding one token at a time, as to_str_tokens does, then loses every token's
 * leading space: "▁Lily" reads "Lily" and "▁" reads "". The decoder built here is the tokenizer's own without that
 * step, so each token shows the text it stands for in the middle of a sentence: " Lily" and " ".
 */
import { SequenceDecoder, type Decoder } from "@huggingface/tokenizers";

type DecoderConfig = Record<string, unknown>;

/** `config` without the steps that drop a first space; `changed` says whether there was one. */
function withoutFirstSpaceStrip(config: DecoderConfig): { config: DecoderConfig; changed: boolean } {
  if (config.type === "Strip" && config.content === " " && Number(config.start ?? 0) > 0)
    return { config: { ...config, start: 0 }, changed: true };
  if (config.type === "Metaspace") {
    // Metaspace decoding is "▁" → " " and then the first token's leading space removed: keep only the first part.
    const replacement = typeof config.replacement === "string" ? config.replacement : "\u2581";
    return { config: { type: "Replace", pattern: { String: replacement }, content: " " }, changed: true };
  }
  if (config.type === "Sequence" && Array.isArray(config.decoders)) {
    const inner = (config.decoders as DecoderConfig[]).map(withoutFirstSpaceStrip);
    return { config: { ...config, decoders: inner.map((d) => d.config) }, changed: inner.some((d) => d.changed) };
  }
  return { config, changed: false };
}

/**
 * A decoder for showing single tokens, from a tokenizer.json `decoder` config: the same steps without the strip of
 * a first space. Null when the decoder strips none (byte-level BPE such as GPT-2's keeps "Ġ" as a space already).
 */
export function spacedDecoder(config: unknown): Decoder | null {
  if (config === null || typeof config !== "object" || Array.isArray(config)) return null;
  const { config: spaced, changed } = withoutFirstSpaceStrip(config as DecoderConfig);
  if (!changed) return null;
  const sequence = { type: "Sequence", decoders: [spaced] };
  return new SequenceDecoder(sequence as unknown as ConstructorParameters<typeof SequenceDecoder>[0]);
}
