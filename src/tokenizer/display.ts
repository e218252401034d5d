/**
 * Token text for the views, from the raw vocabulary piece rather than from decoding one id alone. Decoding one id
 * turns every piece that is part of a character into "�": a SentencePiece byte-fallback piece "<0xE2>" and a
 * byte-level BPE piece holding the first byte of a multi-byte character ("â" for 0xE2) both read "�". A display
 * string keeps what the piece is: "<0xE2>" for a byte-fallback piece, and for byte-level pieces the text of the
 * whole characters they hold with each byte of a partial one written "<0xNN>" (" <0xE2>" for "Ġâ").
 */

/** Byte-level BPE (GPT-2): each byte is written as one printable character; this maps the characters back. */
let byteOfCharMemo: Map<string, number> | undefined;

/** The byte each byte-level character stands for (GPT-2's table: printable bytes as themselves, the rest as 256 + n). */
function byteOfChar(): Map<string, number> {
  if (byteOfCharMemo) return byteOfCharMemo;
  const printable = (b: number) => (b >= 0x21 && b <= 0x7e) || (b >= 0xa1 && b <= 0xac) || (b >= 0xae && b <= 0xff);
  const table = new Map<string, number>();
  let shifted = 0;
  for (let b = 0; b < 256; b++) table.set(String.fromCodePoint(printable(b) ? b : 256 + shifted++), b);
  byteOfCharMemo = table;
  return table;
}

/** The bytes of a byte-level piece ("Ġâ" → [0x20, 0xE2]), or null when a character is not in the byte table. */
export function byteLevelBytes(piece: string): number[] | null {
  const table = byteOfChar();
  const bytes: number[] = [];
  for (const char of piece) {
    const byte = table.get(char);
    if (byte === undefined) return null;
    bytes.push(byte);
  }
  return bytes;
}

/** "<0xNN>", the way SentencePiece names a byte. */
export function byteName(byte: number): string {
  return `<0x${byte.toString(16).toUpperCase().padStart(2, "0")}>`;
}

/** Length of a UTF-8 sequence starting at `bytes[i]` when it is a valid one (no overlong form, no surrogate), else 0. */
function validSequenceAt(bytes: number[], i: number): number {
  const lead = bytes[i];
  if (lead < 0x80) return 1;
  const [length, lowest] =
    lead >= 0xc2 && lead <= 0xdf
      ? [2, 0x80]
      : lead >= 0xe0 && lead <= 0xef
        ? [3, 0x800]
        : lead >= 0xf0 && lead <= 0xf4
          ? [4, 0x10000]
          : [0, 0];
  if (length === 0 || i + length > bytes.length) return 0;
  let code = lead & (0xff >> (length + 1));
  for (let j = 1; j < length; j++) {
    const next = bytes[i + j];
    if ((next & 0xc0) !== 0x80) return 0;
    code = (code << 6) | (next & 0x3f);
  }
  if (code < lowest || code > 0x10ffff || (code >= 0xd800 && code <= 0xdfff)) return 0;
  return length;
}

const UTF8 = new TextDecoder();

/** Text of `bytes`: whole UTF-8 characters as themselves, every byte that is not part of one as "<0xNN>". */
export function bytesForDisplay(bytes: number[]): string {
  let text = "";
  for (let i = 0; i < bytes.length;) {
    const length = validSequenceAt(bytes, i);
    if (length === 0) {
      text += byteName(bytes[i]);
      i += 1;
    } else {
      text += UTF8.decode(Uint8Array.from(bytes.slice(i, i + length)));
      i += length;
    }
  }
  return text;
}

/** True for a SentencePiece byte-fallback piece, "<0x00>" … "<0xFF>". */
export function isBytePiece(piece: string): boolean {
  return /^<0x[0-9A-Fa-f]{2}>$/.test(piece);
}

/** True when a tokenizer.json `decoder` config is (or holds) a ByteLevel decoder: GPT-2 style byte-level BPE. */
export function isByteLevelDecoder(config: unknown): boolean {
  if (config === null || typeof config !== "object") return false;
  const c = config as { type?: unknown; decoders?: unknown };
  if (c.type === "ByteLevel") return true;
  return c.type === "Sequence" && Array.isArray(c.decoders) && c.decoders.some(isByteLevelDecoder);
}
