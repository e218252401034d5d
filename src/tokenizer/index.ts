/**
 * Tokenizers for tslens: Hugging Face tokenizer folders (tokenizer.json, or
 * GPT-2 style vocab.json + merges.txt) loaded through @huggingface/tokenizers.
 */
export { Tokenizer, type EncodeBatchOptions } from "./tokenizer";
export { padBatch, type BatchEncoding, type PadSide } from "./batch";
export { TokenizerLoadError } from "./errors";
export { readTokenizerFolder, type TokenizerFolderContents } from "./folder";
export { GPT2_END_OF_TEXT, type SpecialTokenKind, type SpecialTokenTexts } from "./special-tokens";
