/**
 * src/tokenizer against the real Hugging Face libraries: data/reference.json
 * holds what `tokenizers` / `transformers` produced (see make_reference.py)
 * for the two folders in data/ (tokenizer.json, and vocab.json + merges.txt).
 */
import * as assert from "assert";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { Tokenizer, TokenizerLoadError, padBatch } from "../../src/tokenizer";
import { REPO_ROOT } from "../support/paths";

const DATA = path.join(REPO_ROOT, "tests", "tokenizer", "data");

interface RefCase {
  text: string;
  ids: number[];
  tokens: string[];
  str_tokens: string[];
  decoded: string;
}
interface RefBatch {
  prepend_bos: boolean;
  padding_side: "right" | "left";
  texts: string[];
  input_ids: number[][];
  attention_mask: number[][];
}
interface RefFlavour {
  vocab_size: number;
  bos_token_id: number | null;
  eos_token_id: number | null;
  pad_token_id: number | null;
  unk_token_id: number | null;
  cases: RefCase[];
  batches: RefBatch[];
}

const reference = JSON.parse(fs.readFileSync(path.join(DATA, "reference.json"), "utf8")) as {
  flavours: Record<string, RefFlavour>;
};

const tempFolders: string[] = [];
after(() => {
  for (const dir of tempFolders) fs.rmSync(dir, { recursive: true, force: true });
});

/** A fresh temporary folder holding `files` (name → text), removed after the tests. */
function tempFolder(files: Record<string, string>): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "tslens-tok-"));
  tempFolders.push(dir);
  for (const [name, text] of Object.entries(files)) fs.writeFileSync(path.join(dir, name), text);
  return dir;
}

/** Text of a file in data/bpe-small or data/bpe-small-vocab-merges. */
function dataFile(flavour: string, name: string): string {
  return fs.readFileSync(path.join(DATA, flavour, name), "utf8");
}

/** `text` quoted, with control and invisible format characters escaped (for test titles). */
function show(text: string): string {
  return JSON.stringify(text).replace(
    /[\p{Cc}\p{Cf}\p{Zl}\p{Zp}]/gu,
    (c) => `\\u${c.codePointAt(0)!.toString(16).padStart(4, "0")}`,
  );
}

/** Asserts `fn` throws a TokenizerLoadError whose message contains every one of `parts`. */
function assertLoadError(fn: () => unknown, parts: string[]): void {
  assert.throws(fn, (err: unknown) => {
    assert.ok(err instanceof TokenizerLoadError, `expected TokenizerLoadError, got ${String(err)}`);
    for (const part of parts) assert.ok(err.message.includes(part), `"${err.message}" should mention "${part}"`);
    return true;
  });
}

describe("tokenizer: matches Hugging Face", () => {
  it("has both folder flavours and the test strings in the reference", () => {
    assert.deepStrictEqual(Object.keys(reference.flavours).sort(), ["bpe-small", "bpe-small-vocab-merges"]);
    for (const flavour of Object.values(reference.flavours)) assert.ok(flavour.cases.length >= 15);
  });

  for (const [name, ref] of Object.entries(reference.flavours)) {
    describe(name, () => {
      let tok: Tokenizer;
      before(() => {
        tok = Tokenizer.fromFolder(path.join(DATA, name));
      });

      it("has HF's vocab size and special token ids; pad falls back to eos", () => {
        assert.strictEqual(tok.vocabSize, ref.vocab_size);
        assert.strictEqual(tok.bosTokenId, ref.bos_token_id);
        assert.strictEqual(tok.eosTokenId, ref.eos_token_id);
        assert.strictEqual(tok.unkTokenId, ref.unk_token_id);
        assert.strictEqual(ref.pad_token_id, null);
        assert.strictEqual(tok.padTokenId, ref.eos_token_id);
        assert.deepStrictEqual(tok.specialTokens, {
          bos: "<|endoftext|>",
          eos: "<|endoftext|>",
          pad: null,
          unk: "<|endoftext|>",
        });
        assert.strictEqual(tok.addBosToken, false);
      });

      for (const c of ref.cases) {
        it(`encodes, decodes and splits ${show(c.text)}`, () => {
          const ids = tok.encode(c.text);
          assert.deepStrictEqual(ids, c.ids, "encode");
          assert.deepStrictEqual(tok.tokenStrings(ids), c.str_tokens, "tokenStrings");
          assert.strictEqual(tok.decode(ids), c.decoded, "decode");
          assert.deepStrictEqual(
            ids.map((id) => tok.idToToken(id)),
            c.tokens,
            "idToToken",
          );
        });
      }

      for (const b of ref.batches) {
        it(`pads a batch like TransformerLens (prependBos=${b.prepend_bos}, ${b.padding_side})`, () => {
          const out = tok.encodeBatch(b.texts, { prependBos: b.prepend_bos, padSide: b.padding_side });
          assert.deepStrictEqual(out.ids, b.input_ids);
          assert.deepStrictEqual(out.attentionMask, b.attention_mask);
          assert.deepStrictEqual(
            out.lengths,
            b.attention_mask.map((row) => row.reduce((a, x) => a + x, 0)),
          );
        });
      }
    });
  }

  it("both flavours of the same tokenizer agree", () => {
    const [a, b] = ["bpe-small", "bpe-small-vocab-merges"].map((n) => Tokenizer.fromFolder(path.join(DATA, n)));
    for (const c of reference.flavours["bpe-small"].cases) assert.deepStrictEqual(a.encode(c.text), b.encode(c.text));
  });

  it("keeps the committed test data small", () => {
    let total = 0;
    const walk = (dir: string) => {
      for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
        const file = path.join(dir, entry.name);
        if (entry.isDirectory()) walk(file);
        else total += fs.statSync(file).size;
      }
    };
    walk(DATA);
    assert.ok(total < 1.5 * 1024 * 1024, `${total} bytes`);
  });
});

describe("tokenizer: API", () => {
  let tok: Tokenizer;
  before(() => {
    tok = Tokenizer.fromFolder(path.join(DATA, "bpe-small"));
  });

  it("encode adds no BOS/EOS; decode of [] is empty", () => {
    assert.deepStrictEqual(tok.encode(""), []);
    assert.strictEqual(tok.decode([]), "");
    assert.notStrictEqual(tok.encode("Hello")[0], tok.bosTokenId);
  });

  it("shows byte-level 'Ġ' as a space in tokenStrings, but keeps it in idToToken", () => {
    const id = tok.tokenToId("Ġthe");
    assert.ok(id !== null);
    assert.strictEqual(tok.idToToken(id), "Ġthe");
    assert.deepStrictEqual(tok.tokenStrings([id]), [" the"]);
    assert.strictEqual(tok.tokenToId("no such token"), null);
  });

  it("rejects ids outside the vocabulary", () => {
    for (const bad of [-1, tok.vocabSize, 1.5]) {
      assert.throws(() => tok.decode([1, bad]), RangeError);
      assert.throws(() => tok.idToToken(bad), RangeError);
    }
  });

  it("pads on the right by default without BOS; prepends BOS and pads left when asked", () => {
    const hello = tok.encode("Hello");
    const hi = tok.encode("Hi there friend");
    const right = tok.encodeBatch(["Hello", "Hi there friend"]);
    const pad = new Array(hi.length - hello.length).fill(tok.padTokenId);
    assert.deepStrictEqual(right.ids, [[...hello, ...pad], hi]);
    assert.deepStrictEqual(right.lengths, [hello.length, hi.length]);
    assert.deepStrictEqual(right.attentionMask[0], [...hello.map(() => 1), ...pad.map(() => 0)]);

    const left = tok.encodeBatch(["Hello", "Hi there friend"], { prependBos: true, padSide: "left", padTokenId: 7 });
    assert.deepStrictEqual(left.ids, [
      [...pad.map(() => 7), 0, ...hello],
      [0, ...hi],
    ]);
    assert.deepStrictEqual(left.lengths, [hello.length + 1, hi.length + 1]);
    assert.deepStrictEqual(left.attentionMask[1], new Array(hi.length + 1).fill(1));

    const custom = tok.encodeBatch(["Hello"], { prependBos: true, bosTokenId: 5 });
    assert.deepStrictEqual(custom.ids, [[5, ...hello]]);
  });

  it("padBatch refuses to pad without a pad id, but needs none for equal rows", () => {
    assert.throws(() => padBatch([[1], [1, 2]], null, "right"), /pad/);
    assert.deepStrictEqual(padBatch([[1, 2]], null, "left"), { ids: [[1, 2]], attentionMask: [[1, 1]], lengths: [2] });
    assert.deepStrictEqual(padBatch([], 0, "right"), { ids: [], attentionMask: [], lengths: [] });
  });

  it("reads a pad token from special_tokens_map.json and tells add_bos_token", () => {
    const json = JSON.parse(dataFile("bpe-small", "tokenizer.json"));
    json.added_tokens.push({
      id: 500,
      content: "<|pad|>",
      single_word: false,
      lstrip: false,
      rstrip: false,
      normalized: false,
      special: true,
    });
    const dir = tempFolder({
      "tokenizer.json": JSON.stringify(json),
      "special_tokens_map.json": JSON.stringify({ pad_token: { content: "<|pad|>" } }),
    });
    const padded = Tokenizer.fromFolder(dir);
    assert.strictEqual(padded.vocabSize, 501);
    assert.strictEqual(padded.padTokenId, 500);
    assert.strictEqual(padded.bosTokenId, 0, "GPT-2 default <|endoftext|>");
    assert.deepStrictEqual(padded.encode("a<|pad|>"), [...tok.encode("a"), 500]);
    assert.deepStrictEqual(padded.encodeBatch(["", "a"]).ids, [[500], tok.encode("a")]);
    assert.strictEqual(padded.addBosToken, false);

    fs.writeFileSync(
      path.join(dir, "tokenizer_config.json"),
      JSON.stringify({ add_bos_token: true, bos_token: null, pad_token: null }),
    );
    const configured = Tokenizer.fromFolder(dir);
    assert.strictEqual(configured.addBosToken, true);
    assert.strictEqual(configured.bosTokenId, null, "explicit null in tokenizer_config.json wins");
    assert.strictEqual(configured.padTokenId, 0, "pad null falls back to eos");
    assert.throws(() => configured.encodeBatch(["a"], { prependBos: true }), /bos/);
  });

  it("sees BOS in a TemplateProcessing post-processor", () => {
    const json = JSON.parse(dataFile("bpe-small", "tokenizer.json"));
    json.post_processor = {
      type: "TemplateProcessing",
      single: [{ SpecialToken: { id: "<|endoftext|>", type_id: 0 } }, { Sequence: { id: "A", type_id: 0 } }],
      pair: [{ Sequence: { id: "A", type_id: 0 } }, { Sequence: { id: "B", type_id: 1 } }],
      special_tokens: { "<|endoftext|>": { id: "<|endoftext|>", ids: [0], tokens: ["<|endoftext|>"] } },
    };
    const t = new Tokenizer(json, { bos_token: "<|endoftext|>" });
    assert.strictEqual(t.addBosToken, true);
    assert.deepStrictEqual(t.encode("Hello"), tok.encode("Hello"), "encode still adds nothing");
  });
});

describe("tokenizer: load errors name the folder and the file", () => {
  it("missing folder", () => {
    const dir = path.join(os.tmpdir(), "tslens-no-such-tokenizer-folder");
    assertLoadError(() => Tokenizer.fromFolder(dir), [dir, "does not exist"]);
  });

  it("folder with no tokenizer files", () => {
    const dir = tempFolder({ "README.md": "nothing here" });
    assertLoadError(() => Tokenizer.fromFolder(dir), [dir, "tokenizer.json", "vocab.json", "merges.txt"]);
  });

  it("vocab.json without merges.txt", () => {
    const dir = tempFolder({ "vocab.json": dataFile("bpe-small-vocab-merges", "vocab.json") });
    assertLoadError(() => Tokenizer.fromFolder(dir), [dir, "merges.txt"]);
  });

  it("corrupt tokenizer.json", () => {
    const text = dataFile("bpe-small", "tokenizer.json");
    const dir = tempFolder({ "tokenizer.json": text.slice(0, text.length / 2) });
    assertLoadError(() => Tokenizer.fromFolder(dir), [dir, "tokenizer.json", "invalid JSON"]);
  });

  it("tokenizer.json that is not a tokenizer", () => {
    for (const text of ["[1, 2]", "{}", '{"model": {"type": "Nonsense"}}']) {
      const dir = tempFolder({ "tokenizer.json": text });
      assertLoadError(() => Tokenizer.fromFolder(dir), [dir, "tokenizer.json", "invalid"]);
    }
  });

  it("corrupt tokenizer_config.json", () => {
    const dir = tempFolder({ "tokenizer.json": dataFile("bpe-small", "tokenizer.json"), "tokenizer_config.json": "{nope" });
    assertLoadError(() => Tokenizer.fromFolder(dir), [dir, "tokenizer_config.json", "invalid JSON"]);
  });

  it("bad vocab.json and merges.txt", () => {
    const vocab = dataFile("bpe-small-vocab-merges", "vocab.json");
    const cases: [Record<string, string>, string[]][] = [
      [{ "vocab.json": '{"a": -1}', "merges.txt": "" }, ["vocab.json", "non-negative integer"]],
      [{ "vocab.json": '{"a": 1, "b": 1}', "merges.txt": "" }, ["vocab.json", "share id 1"]],
      [{ "vocab.json": vocab, "merges.txt": "#version: 0.2\nh e\nthree parts here\n" }, ["merges.txt", "line 3"]],
      [{ "vocab.json": vocab, "merges.txt": "#version: 0.2\nh ☃\n" }, ["merges.txt", "line 2", "not in vocab.json"]],
    ];
    for (const [files, parts] of cases) {
      const dir = tempFolder(files);
      assertLoadError(() => Tokenizer.fromFolder(dir), [dir, ...parts]);
    }
  });
});
