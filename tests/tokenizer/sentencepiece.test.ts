/**
 * Single tokens of a SentencePiece-style tokenizer (the llama-tiny-tokenizer fixture: "▁" for spaces, byte
 * fallback) against data/sentencepiece-str-tokens.json, written by make_sentencepiece_reference.py from the real
 * `tokenizers`, `transformers` and TransformerLens 3.9. tslens shows "▁" as the space it stands for, where
 * TransformerLens's to_str_tokens (Hugging Face's decode of each id) strips it: that is the only difference.
 * Also: which ids are special tokens and byte-fallback pieces.
 */
import * as assert from "assert";
import * as fs from "fs";
import * as path from "path";
import { loadModel } from "../../src";
import { Tokenizer } from "../../src/tokenizer";
import { REPO_ROOT } from "../support/paths";

const LLAMA = path.join(REPO_ROOT, "tests", "fixtures", "models", "llama-tiny-tokenizer");
const REFERENCE = path.join(REPO_ROOT, "tests", "tokenizer", "data", "sentencepiece-str-tokens.json");

interface Case {
  text: string;
  ids: number[];
  pieces: string[];
  tl_str_tokens: string[];
  spaced_str_tokens: string[];
  tl_to_string: string;
}
const { cases } = JSON.parse(fs.readFileSync(REFERENCE, "utf8")) as { cases: Case[] };

describe("tokenizer: SentencePiece tokens show their spaces", function () {
  this.timeout(60_000);
  const tokenizer = Tokenizer.fromFolder(LLAMA);

  it("the reference covers a leading space, double spaces, byte fallback and special tokens", () => {
    const texts = cases.map((c) => c.text);
    for (const text of [" Lily", " a  b", "日本", "</s> x<s>"]) assert.ok(texts.includes(text), text);
    assert.ok(
      cases.some((c) => c.tl_str_tokens.includes("")),
      "TransformerLens shows a lone ▁ as an empty string",
    );
  });

  for (const c of cases) {
    it(`${JSON.stringify(c.text)}: ids as tokenizers encodes them, each token's text as the unstripped decoder reads it`, () => {
      assert.deepStrictEqual([tokenizer.bosTokenId!, ...tokenizer.encode(c.text)], c.ids);
      assert.deepStrictEqual(
        c.ids.map((id) => tokenizer.idToToken(id)),
        c.pieces,
      );
      assert.deepStrictEqual(tokenizer.tokenStrings(c.ids), c.spaced_str_tokens);
      assert.ok(!tokenizer.tokenStrings(c.ids).includes(""), "no token reads as an empty string");
    });

    it(`${JSON.stringify(c.text)}: differs from TransformerLens only by the space a leading "▁" stands for`, () => {
      const strings = tokenizer.tokenStrings(c.ids);
      c.pieces.forEach((piece, i) => {
        const tl = c.tl_str_tokens[i];
        const ours = strings[i];
        if (piece.startsWith("▁")) assert.strictEqual(ours, ` ${tl}`, `${piece} at ${i}`);
        else assert.strictEqual(ours, tl, `${piece} at ${i}`);
      });
      assert.strictEqual(tokenizer.decode(c.ids), c.tl_to_string, "a whole sequence decodes as in TransformerLens");
    });
  }

  it('model.toStrTokens(" Lily") shows the "▁" pieces as spaces', async () => {
    const model = await loadModel(LLAMA);
    try {
      assert.deepStrictEqual(model.toStrTokens(" Lily"), ["<s>", " ", " ", "L", "i", "l", "y"]);
      assert.deepStrictEqual(model.toStrTokens(" a  b", { prependBos: false }), [" ", " a", " ", " b"]);
    } finally {
      model.dispose();
    }
  });

  it("byte-level BPE (no strip in its decoder) is unchanged: 'Ġ' was already a space", () => {
    const gpt2Style = Tokenizer.fromFolder(path.join(REPO_ROOT, "models", "attn-only-2l"));
    const ids = gpt2Style.encode(" the cat");
    assert.deepStrictEqual(
      gpt2Style.tokenStrings(ids),
      ids.map((id) => gpt2Style.decode([id])),
    );
  });
});

describe("tokenizer: special tokens and byte-fallback pieces", () => {
  it("the llama fixture: <unk> <s> </s> are special; <0x00>…<0xFF> are its 256 byte pieces", () => {
    const tokenizer = Tokenizer.fromFolder(LLAMA);
    assert.deepStrictEqual(tokenizer.specialTokenIds(), [0, 1, 2]);
    const bytes = tokenizer.byteTokenIds();
    assert.strictEqual(bytes.length, 256);
    assert.deepStrictEqual(bytes.map((id) => tokenizer.idToToken(id)).slice(0, 2), ["<0x00>", "<0x01>"]);
    assert.ok(bytes.every((id) => /^<0x[0-9A-F]{2}>$/.test(tokenizer.idToToken(id))));
  });

  it("a byte-level BPE has no byte pieces; its special token is <|endoftext|>", () => {
    const tokenizer = Tokenizer.fromFolder(path.join(REPO_ROOT, "models", "attn-only-2l"));
    assert.deepStrictEqual(tokenizer.byteTokenIds(), []);
    assert.deepStrictEqual(
      tokenizer.specialTokenIds().map((id) => tokenizer.idToToken(id)),
      ["<|endoftext|>"],
    );
  });
});
