/**
 * The random tokens of the induction recipes (inductionScores, inductionLoss, the induction view) skip special
 * tokens and SentencePiece byte-fallback pieces by default: on a Llama tokenizer most of a small vocabulary, and
 * 256 ids of any, are "<0x00>" … "<0xFF>", lone bytes that are not text. `tokenRange` still draws every id it spans.
 */
import { strict as assert } from "assert";
import * as path from "path";
import * as lens from "../../src";
import { HookedTransformer, loadModel } from "../../src";
import { REPO_ROOT } from "../support/paths";

const LLAMA = path.join(REPO_ROOT, "tests", "fixtures", "models", "llama-tiny-tokenizer");

describe("induction recipes draw text tokens only", function () {
  this.timeout(60_000);
  let model: HookedTransformer;
  let excluded: Set<number>;
  before(async () => {
    model = await loadModel(LLAMA);
    const tokenizer = model.tokenizer!;
    excluded = new Set([...tokenizer.specialTokenIds(), ...tokenizer.byteTokenIds()]);
    assert.equal(excluded.size, 3 + 256, "the fixture has 3 special tokens and 256 byte pieces of 320 ids");
  });
  after(() => model?.dispose());

  it("repeatedRandomTokens (inductionScores' and the view's draws): no special token, no byte piece, after BOS", () => {
    for (const seed of [0, 1, 2]) {
      const rows = lens.repeatedRandomTokens(model, { seqLen: 30, batch: 10, seed });
      for (const row of rows) {
        assert.equal(row[0], model.tokenizer!.bosTokenId);
        const drawn = row.slice(1);
        const bad = drawn.filter((id) => excluded.has(id));
        assert.deepEqual(bad, [], `seed ${seed}: drew ${bad.map((id) => model.tokenizer!.idToToken(id)).join(", ")}`);
      }
    }
  });

  it("inductionLoss uses those draws (BOS over position 0): the same loss as on the filtered tokens", () => {
    const rows = lens.repeatedRandomTokens(model, { seqLen: 20, batch: 4, seed: 9, prependBos: false });
    for (const row of rows) row[0] = model.tokenizer!.bosTokenId!;
    const drawnLoss = lens.inductionLoss(model, { subseqLen: 20, seed: 9 });
    const givenLoss = lens.inductionLoss(model, { subseqLen: 20, tokens: rows });
    assert.equal(drawnLoss, givenLoss);
    assert.ok(rows.every((row) => row.slice(1).every((id) => !excluded.has(id))));
  });

  it("tokenRange overrides the default and draws byte pieces too", () => {
    const rows = lens.repeatedRandomTokens(model, { seqLen: 30, batch: 8, seed: 0, tokenRange: [3, 259] });
    const drawn = rows.flatMap((row) => row.slice(1));
    assert.ok(drawn.every((id) => id >= 3 && id < 259));
    assert.ok(
      drawn.every((id) => /^<0x[0-9A-F]{2}>$/.test(model.tokenizer!.idToToken(id))),
      "ids 3…258 are the byte pieces",
    );
  });
});
