/**
 * Display strings of tokens (Tokenizer.displayStrings): a piece that holds part of a character shows its bytes
 * ("<0xE2>") instead of "�", on the embedded byte-level model and on the Llama fixture's byte-fallback pieces; a
 * SentencePiece word start keeps its space whatever the decoder; toStrTokens is unchanged.
 */
import * as assert from "assert";
import * as fs from "fs";
import * as path from "path";
import { Tokenizer } from "../../src/tokenizer";
import { byteLevelBytes, bytesForDisplay } from "../../src/tokenizer/display";
import { REPO_ROOT } from "../support/paths";

const EMBEDDED = path.join(REPO_ROOT, "models", "attn-only-2l");
const LLAMA = path.join(REPO_ROOT, "tests", "fixtures", "models", "llama-tiny-tokenizer");

/** Text with 2-, 3- and 4-byte characters that small vocabularies split into single bytes. */
const TEXT = " the café ☃ \u{1F600} x\n";

describe("tokenizer: display strings show bytes, not �", function () {
  it("byte-level BPE (the embedded model): split characters show as <0xNN>, whole ones as text", () => {
    const tokenizer = Tokenizer.fromFolder(EMBEDDED);
    const ids = tokenizer.encode(TEXT);
    assert.ok(tokenizer.tokenStrings(ids).includes("\uFFFD"), "decoding one id alone gives �: the case this fixes");
    const shown = tokenizer.displayStrings(ids);
    assert.ok(!shown.some((s) => s.includes("\uFFFD")), `no �: ${JSON.stringify(shown)}`);
    // é is 0xC3 0xA9, ☃ is 0xE2 0x98 0x83, 😀 is 0xF0 0x9F 0x98 0x80; the newline is whole.
    const joined = shown.join("|");
    assert.ok(joined.includes("<0xC3>|<0xA9>"), joined);
    assert.ok(joined.includes("<0xE2>|<0x98>|<0x83>"), joined);
    assert.ok(joined.includes("<0xF0>|<0x9F>|<0x98>|<0x80>"), joined);
    assert.deepEqual(shown.slice(0, 2), [" the", " c"]);
    assert.equal(shown[shown.length - 1], "\n");
    assert.deepEqual(tokenizer.displayStrings([tokenizer.eosTokenId!]), ["<|endoftext|>"]);
  });

  it("a byte-level piece with whole and partial characters shows both", () => {
    assert.deepEqual(byteLevelBytes("Ġâ"), [0x20, 0xe2]);
    assert.equal(bytesForDisplay([0x20, 0xe2]), " <0xE2>");
    assert.equal(bytesForDisplay([0xe2, 0x98, 0x83, 0x98]), "☃<0x98>");
    // Overlong forms and surrogates are not characters: each byte shows.
    assert.equal(bytesForDisplay([0xc0, 0xaf]), "<0xC0><0xAF>");
    assert.equal(bytesForDisplay([0xed, 0xa0, 0x80]), "<0xED><0xA0><0x80>");
    assert.equal(byteLevelBytes("<|endoftext|>")?.length, 13, "printable ASCII stands for itself");
    assert.equal(byteLevelBytes("\u2581"), null, "a character outside the byte table");
  });

  it("SentencePiece with byte fallback (the Llama fixture): byte pieces as stored, word starts with their space", () => {
    const tokenizer = Tokenizer.fromFolder(LLAMA);
    const ids = tokenizer.encode(TEXT);
    const shown = tokenizer.displayStrings(ids);
    const pieces = ids.map((id) => tokenizer.idToToken(id));
    pieces.forEach((piece, i) => {
      if (/^<0x[0-9A-F]{2}>$/.test(piece)) assert.equal(shown[i], piece);
      else if (piece.startsWith("\u2581")) assert.equal(shown[i], ` ${piece.slice(1)}`, `word start of ${piece}`);
    });
    assert.ok(shown.includes(" the") && shown.includes("<0xE2>") && shown.includes("<0x0A>"), JSON.stringify(shown));
    assert.ok(!shown.some((s) => s.includes("\uFFFD")));
    assert.deepEqual(tokenizer.displayStrings([tokenizer.bosTokenId!]), ["<s>"]);
  });

  it("a Metaspace decoder (newer Llama tokenizer.json files): word starts still show", () => {
    const json = JSON.parse(fs.readFileSync(path.join(LLAMA, "tokenizer.json"), "utf8")) as Record<string, unknown>;
    json.decoder = { type: "Metaspace", replacement: "\u2581", prepend_scheme: "always", split: true };
    const tokenizer = new Tokenizer(json);
    const the = tokenizer.tokenToId("\u2581the")!;
    assert.deepEqual(tokenizer.displayStrings([the, the]), [" the", " the"]);
    const byte = tokenizer.tokenToId("<0xE2>")!;
    assert.deepEqual(tokenizer.displayStrings([byte]), ["<0xE2>"]);
  });
});
