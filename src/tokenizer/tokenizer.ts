/**
 * Tokenizer: a Hugging Face tokenizer (tokenizer.json, or GPT-2 style
 * vocab.json + merges.txt) behind the small API TransformerLens-style code
 * needs, built on @huggingface/tokenizers (Tokenizers.js).
 */
import { Tokenizer as HfTokenizer, type Decoder } from "@huggingface/tokenizers";
import { padBatch, type BatchEncoding, type PadSide } from "./batch";
import { fixByteLevelWhitespace } from "./compat";
import { byteLevelBytes, bytesForDisplay, isByteLevelDecoder, isBytePiece } from "./display";
import { TokenizerLoadError } from "./errors";
import { readTokenizerFolder, type TokenizerFolderContents } from "./folder";
import type { JsonObject } from "./files";
import { spacedDecoder } from "./spaced";
import { resolveSpecialTokens, templatePrependsBos, type SpecialTokenTexts } from "./special-tokens";

/** Options of Tokenizer.encodeBatch. */
export interface EncodeBatchOptions {
  /** Put a BOS token before each text (default false: BOS policy belongs to the model). */
  prependBos?: boolean;
  /** The BOS id to prepend (default: the tokenizer's bosTokenId). */
  bosTokenId?: number;
  /** The id rows are padded with (default: the tokenizer's padTokenId). */
  padTokenId?: number;
  /** Where padding goes (default "right", as TransformerLens). */
  padSide?: PadSide;
}

/**
 * A loaded tokenizer. encode() adds no special tokens; decode() decodes the
 * way TransformerLens does (special tokens kept, no clean-up of tokenization
 * spaces); tokenStrings() shows each token's text, its leading space included.
 */
export class Tokenizer {
  /** Where the tokenizer came from, e.g. "/models/gpt2/tokenizer.json". */
  readonly source: string;
  /** Number of ids: the largest id (added tokens included) plus one. */
  readonly vocabSize: number;
  /** The texts of the bos/eos/pad/unk tokens; null where the tokenizer has none (no fallbacks applied). */
  readonly specialTokens: Readonly<SpecialTokenTexts>;
  /** BOS id, or null when the tokenizer has no BOS token. */
  readonly bosTokenId: number | null;
  /** EOS id, or null when the tokenizer has no EOS token. */
  readonly eosTokenId: number | null;
  /** Padding id: the pad token, else the EOS token (as TransformerLens), else null. */
  readonly padTokenId: number | null;
  /** Unknown-token id, or null when the tokenizer has none. */
  readonly unkTokenId: number | null;
  /**
   * Whether the original Hugging Face tokenizer prepends BOS by default
   * (tokenizer_config.json's add_bos_token, else a tokenizer.json template
   * starting with BOS). A hint for the model's BOS policy; encode() never does.
   */
  readonly addBosToken: boolean;

  private readonly hf: HfTokenizer;
  /** The decoder without its strip of a text's first space (SentencePiece), or null when it has none to strip. */
  private readonly spaced: Decoder | null;
  private excluded?: { special: number[]; bytes: number[] };
  /** Whether pieces are byte-level BPE (GPT-2): each character of a piece stands for one byte. */
  private readonly byteLevel: boolean;
  private addedIds?: Set<number>;

  /**
   * Builds a tokenizer from a tokenizer.json object and an optional
   * tokenizer_config.json object (and special_tokens_map.json object, when the
   * folder has one). `source` names them in messages.
   */
  constructor(
    tokenizerJson: JsonObject,
    config: JsonObject = {},
    source = "tokenizer.json",
    specialTokensMap: JsonObject | null = null,
  ) {
    this.source = source;
    const full = {
      normalizer: null,
      pre_tokenizer: null,
      post_processor: null,
      decoder: null,
      added_tokens: [],
      ...tokenizerJson,
    };
    this.hf = new HfTokenizer(full, config);
    this.spaced = spacedDecoder(full.decoder);
    this.byteLevel = isByteLevelDecoder(full.decoder);
    fixByteLevelWhitespace(this.hf.pre_tokenizer);
    const vocab = this.hf.get_vocab(true);
    let maxId = -1;
    for (const id of vocab.values()) maxId = Math.max(maxId, id);
    this.vocabSize = maxId + 1;
    const special = resolveSpecialTokens([config, specialTokensMap], (text) => vocab.has(text));
    this.specialTokens = Object.freeze(special);
    const idOf = (text: string | null) => (text === null ? null : (vocab.get(text) ?? null));
    this.bosTokenId = idOf(special.bos);
    this.eosTokenId = idOf(special.eos);
    this.padTokenId = idOf(special.pad) ?? this.eosTokenId;
    this.unkTokenId = idOf(special.unk);
    this.addBosToken =
      typeof config.add_bos_token === "boolean" ? config.add_bos_token : templatePrependsBos(full.post_processor, special.bos);
  }

  /**
   * Loads the tokenizer in folder `dir`: tokenizer.json (+ tokenizer_config.json
   * and special_tokens_map.json when present), or GPT-2 style vocab.json +
   * merges.txt. Throws TokenizerLoadError naming the folder and the file.
   */
  static fromFolder(dir: string): Tokenizer {
    return Tokenizer.fromContents(readTokenizerFolder(dir));
  }

  /** Builds a tokenizer from a folder's already-read contents (see readTokenizerFolder). */
  static fromContents(contents: TokenizerFolderContents): Tokenizer {
    const { folder, source, tokenizerJson, config, specialTokensMap } = contents;
    try {
      return new Tokenizer(tokenizerJson, config, `${folder}/${source}`, specialTokensMap);
    } catch (err) {
      throw new TokenizerLoadError(folder, source, `invalid: the tokenizer library rejected it: ${(err as Error).message}`);
    }
  }

  /** Token ids of `text`, with no special tokens added (special-token text in `text` still maps to its id, as in HF). */
  encode(text: string): number[] {
    return this.hf.encode(text, { add_special_tokens: false }).ids;
  }

  /** The text of `ids`: special tokens kept, no clean-up of spaces (TransformerLens's to_string). */
  decode(ids: number[]): string {
    if (ids.length === 0) return "";
    for (const id of ids) this.idToToken(id);
    return this.hf.decode(ids, { skip_special_tokens: false, clean_up_tokenization_spaces: false });
  }

  /**
   * The text each id stands for, decoding one id at a time as TransformerLens's to_str_tokens does ("Ġthe" gives
   * " the"), except that a SentencePiece "▁" shows as the space it is: "▁Lily" gives " Lily" and "▁" gives " ",
   * where Hugging Face's decode (and so TransformerLens) strips a text's first space and gives "Lily" and "".
   */
  tokenStrings(ids: number[]): string[] {
    const spaced = this.spaced;
    if (spaced === null) return ids.map((id) => this.decode([id]));
    return ids.map((id) => spaced.decode([this.idToToken(id)]));
  }

  /**
   * The text of each id for display (views, labels), from its vocabulary piece: as tokenStrings, except that a
   * piece holding part of a character shows its bytes instead of "�". A SentencePiece byte-fallback piece shows as
   * stored ("<0xE2>"); a byte-level BPE piece shows its whole characters as text and each byte of a partial one as
   * "<0xNN>" ("Ġâ" → " <0xE2>"). A SentencePiece word start keeps its space ("▁the" → " the"); added and special
   * tokens show their text ("<|endoftext|>", "<s>"). toStrTokens keeps TransformerLens's strings; this is for eyes.
   */
  displayStrings(ids: number[]): string[] {
    const added = (this.addedIds ??= new Set(this.hf.get_added_tokens_decoder().keys()));
    return ids.map((id) => {
      const piece = this.idToToken(id);
      if (added.has(id)) return this.tokenStrings([id])[0];
      if (isBytePiece(piece)) return piece.toUpperCase().replace("0X", "0x");
      const bytes = this.byteLevel ? byteLevelBytes(piece) : null;
      return bytes ? bytesForDisplay(bytes) : this.tokenStrings([id])[0];
    });
  }

  /** Ids of every special token (added tokens marked special, and bos/eos/pad/unk), ascending. */
  specialTokenIds(): number[] {
    return this.excludedIds().special;
  }

  /** Ids of SentencePiece byte-fallback pieces "<0x00>" … "<0xFF>" (none for byte-level BPE), ascending. */
  byteTokenIds(): number[] {
    return this.excludedIds().bytes;
  }

  private excludedIds(): { special: number[]; bytes: number[] } {
    if (this.excluded) return this.excluded;
    const special = new Set<number>();
    for (const [id, token] of this.hf.get_added_tokens_decoder()) if (token.special) special.add(id);
    for (const id of [this.bosTokenId, this.eosTokenId, this.padTokenId, this.unkTokenId]) if (id !== null) special.add(id);
    const bytes: number[] = [];
    for (const [token, id] of this.hf.get_vocab(true)) if (/^<0x[0-9A-Fa-f]{2}>$/.test(token)) bytes.push(id);
    const ascending = (a: number, b: number) => a - b;
    this.excluded = { special: [...special].sort(ascending), bytes: bytes.sort(ascending) };
    return this.excluded;
  }

  /** The vocabulary entry of `id` as stored (e.g. "Ġthe" for GPT-2); throws RangeError for an unknown id. */
  idToToken(id: number): string {
    const token = Number.isInteger(id) ? this.hf.id_to_token(id) : undefined;
    if (token === undefined) throw new RangeError(`Token id ${id} is not in the vocabulary of ${this.source}`);
    return token;
  }

  /** The id of the vocabulary entry `token` (stored form, e.g. "Ġthe"), or null when absent. */
  tokenToId(token: string): number | null {
    return this.hf.token_to_id(token) ?? null;
  }

  /**
   * Encodes each text (no special tokens), optionally after a BOS token, and
   * pads to a rectangle as TransformerLens does: pad id on the right unless
   * padSide is "left"; attentionMask is 1 on real tokens (BOS included).
   */
  encodeBatch(texts: string[], options: EncodeBatchOptions = {}): BatchEncoding {
    const { prependBos = false, padSide = "right" } = options;
    const bos = options.bosTokenId ?? this.bosTokenId;
    if (prependBos && bos === null) throw new Error(`Cannot prepend BOS: ${this.source} has no bos token; pass bosTokenId`);
    const rows = texts.map((text) => (prependBos ? [bos as number, ...this.encode(text)] : this.encode(text)));
    return padBatch(rows, options.padTokenId ?? this.padTokenId, padSide);
  }
}
