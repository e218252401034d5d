/**
 * A malformed tokenizer.json fails with what is wrong and where, naming the folder and the file, before
 * @huggingface/tokenizers sees it ("config.merges.map is not a function" told the user nothing); what the library
 * still rejects is wrapped with the file name. Through loadModel too, with no tensors left behind.
 */
import * as assert from "assert";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { loadModel, tf } from "../../src";
import { Tokenizer, TokenizerLoadError } from "../../src/tokenizer";
import { REPO_ROOT } from "../support/paths";

const LLAMA = path.join(REPO_ROOT, "tests", "fixtures", "models", "llama-tiny-tokenizer");
const GOOD = JSON.parse(fs.readFileSync(path.join(LLAMA, "tokenizer.json"), "utf8"));

const folders: string[] = [];
after(() => folders.forEach((dir) => fs.rmSync(dir, { recursive: true, force: true })));

/** A folder holding only `tokenizer.json` = `text`. */
function folderWith(text: string): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "tslens-garbage-"));
  folders.push(dir);
  fs.writeFileSync(path.join(dir, "tokenizer.json"), text);
  return dir;
}

/** The fixture's tokenizer.json with `model` fields replaced. */
const withModel = (changes: Record<string, unknown>) => JSON.stringify({ ...GOOD, model: { ...GOOD.model, ...changes } });

/** Each garbage tokenizer.json and the message it must give (after "Tokenizer folder <dir>: tokenizer.json: "). */
const CASES: [string, string, RegExp][] = [
  ["not JSON", "{oops", /invalid JSON \(/],
  ["a JSON list", "[1, 2]", /invalid: expected a JSON object, got a list$/],
  ["a JSON string", '"tokenizer"', /invalid: expected a JSON object, got a string$/],
  ["no model", JSON.stringify({ ...GOOD, model: undefined }), /invalid: no "model" object$/],
  ["model is a list", JSON.stringify({ ...GOOD, model: [] }), /invalid: "model" is a list, not an object$/],
  ["model.merges not a list", withModel({ merges: 5 }), /invalid: model\.merges is a number, not a list$/],
  ["model.merges an object", withModel({ merges: { a: "b" } }), /invalid: model\.merges is an object, not a list$/],
  [
    "a merge that is not a pair",
    withModel({ merges: ["▁ a", 7] }),
    /invalid: model\.merges\[1\] is 7, not "a b" like model\.merges\[0\]$/,
  ],
  ["vocab not an object", withModel({ vocab: 3 }), /invalid: model\.vocab is a number, not an object of token → id$/],
  [
    "vocab a list of strings",
    withModel({ type: "BPE", vocab: ["a", "b"] }),
    /invalid: model\.vocab is a list, not an object of token → id$/,
  ],
  [
    "a vocab id that is not an integer",
    withModel({ vocab: { a: 0, b: "1" } }),
    /invalid: model\.vocab\["b"\] is "1", not a non-negative integer id$/,
  ],
  ["empty vocab", withModel({ vocab: {}, merges: [] }), /invalid: model\.vocab is empty$/],
  [
    "unknown model type",
    withModel({ type: "WordLevel" }),
    /invalid: model\.type "WordLevel" is not supported \(supported: BPE, WordPiece, Unigram\)$/,
  ],
  ["added_tokens not a list", JSON.stringify({ ...GOOD, added_tokens: {} }), /invalid: added_tokens is an object, not a list$/],
  [
    "an added token without id",
    JSON.stringify({ ...GOOD, added_tokens: [{ content: "<s>" }] }),
    /invalid: added_tokens\[0\]\.id is undefined, not a non-negative integer$/,
  ],
  ["decoder a string", JSON.stringify({ ...GOOD, decoder: "Strip" }), /invalid: decoder is a string, not an object or null$/],
  [
    "pre_tokenizer without type",
    JSON.stringify({ ...GOOD, pre_tokenizer: { add_prefix_space: true } }),
    /invalid: pre_tokenizer has no "type" string$/,
  ],
  [
    "a decoder the library does not know",
    JSON.stringify({ ...GOOD, decoder: { type: "Telepathy" } }),
    /invalid: the tokenizer library rejected it: Unknown Decoder type: Telepathy$/,
  ],
];

describe("tokenizer: a garbage tokenizer.json gets a clear error", function () {
  this.timeout(60_000);

  for (const [name, text, pattern] of CASES) {
    it(`${name}: names the folder, the file and the fault`, () => {
      const dir = folderWith(text);
      assert.throws(
        () => Tokenizer.fromFolder(dir),
        (err: unknown) => {
          assert.ok(err instanceof TokenizerLoadError, String(err));
          assert.ok(err.message.startsWith(`Tokenizer folder ${dir}: tokenizer.json: `), err.message);
          assert.match(err.message, pattern);
          assert.doesNotMatch(err.message, /is not a function|Cannot read properties/);
          return true;
        },
      );
    });
  }

  it("the fixture tokenizer itself passes the checks", () => {
    const t = Tokenizer.fromFolder(folderWith(JSON.stringify(GOOD)));
    assert.deepStrictEqual(t.encode("ab"), new Tokenizer(GOOD).encode("ab"));
  });

  it("loadModel on a model folder with a garbage tokenizer.json fails with the same message and leaves no tensors", async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "tslens-garbage-model-"));
    folders.push(dir);
    for (const f of ["config.json", "model.safetensors"]) fs.copyFileSync(path.join(LLAMA, f), path.join(dir, f));
    fs.writeFileSync(path.join(dir, "tokenizer.json"), withModel({ merges: 5 }));
    const before = tf.memory().numTensors;
    await assert.rejects(loadModel(dir), new RegExp(`tokenizer\\.json: invalid: model\\.merges is a number, not a list`));
    assert.strictEqual(tf.memory().numTensors, before);
  });
});
