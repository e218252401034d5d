/**
 * The k-hop task of notebook 08: each context is laid out as documented, its links form disjoint cycles, the
 * answer is what following k links from the query gives (read back from the tokens alone, by brute force), and the
 * same seed gives the same examples.
 */
import { strict as assert } from "assert";
import { rng } from "../../training/data";
import {
  checkSpec,
  contextLength,
  KHOP_SPEC,
  KhopSpec,
  khopTestSet,
  khopVocab,
  sampleExample,
  sampleKhopBatch,
} from "../../training/khop/task";

/** The links and the questions (k, query, query position) read from a context's tokens alone. */
function parseContext(tokens: number[], spec: KhopSpec) {
  const vocab = khopVocab(spec);
  assert.equal(tokens[0], vocab.bos, "a context starts with BOS");
  const tail = 2 * spec.questions;
  const body = tokens.slice(1, -tail);
  assert.equal(body.length % 3, 0, "links are three tokens each");
  const links: [number, number][] = [];
  for (let i = 0; i < body.length; i += 3) {
    assert.equal(body[i + 2], vocab.separator, `link ${i / 3} ends with ";"`);
    links.push([body[i], body[i + 1]]);
  }
  const questions = [];
  for (let p = tokens.length - tail; p < tokens.length; p += 2) {
    const k = vocab.hop.indexOf(tokens[p]);
    assert.ok(k >= 1, `token ${tokens[p]} at ${p} is a hop count`);
    questions.push({ k, query: tokens[p + 1], position: p + 1 });
  }
  return { links, questions };
}

/** Follows `k` links from `start`, searching the list each time (no map): the answer by brute force. */
function followByScan(links: [number, number][], start: number, k: number): number {
  let at = start;
  for (let hop = 0; hop < k; hop++) {
    const out = links.filter(([s]) => s === at);
    assert.equal(out.length, 1, `symbol ${at} has ${out.length} links out`);
    at = out[0][1];
  }
  return at;
}

describe("k-hop task", function () {
  it("vocabulary: 24 letters, then <bos>, ';', '1' … '3'; contexts of 39 tokens (10 links, 4 questions)", () => {
    const vocab = khopVocab();
    assert.deepEqual(vocab.names.slice(0, 3), ["A", "B", "C"]);
    assert.equal(vocab.names[23], "X");
    assert.deepEqual([vocab.bos, vocab.separator, ...vocab.hop.slice(1)], [24, 25, 26, 27, 28]);
    assert.deepEqual(vocab.names.slice(24), ["<bos>", ";", "1", "2", "3"]);
    assert.equal(contextLength(), 1 + 3 * 10 + 2 * 4);
  });

  it("every answer is the symbol k links from its query, found by scanning the context's own tokens", () => {
    const random = rng(11);
    for (let i = 0; i < 600; i++) {
      const ks = [1 + (i % 3), 3, 1, 2];
      const example = sampleExample(random, ks);
      assert.equal(example.tokens.length, contextLength());
      const parsed = parseContext(example.tokens, KHOP_SPEC);
      assert.deepEqual(parsed.links, example.links);
      assert.deepEqual(
        parsed.questions.map((q) => q.k),
        ks,
      );
      example.questions.forEach((q, j) => {
        assert.equal(q.query, parsed.questions[j].query);
        assert.equal(q.position, parsed.questions[j].position);
        assert.equal(example.tokens[q.position], q.query);
        assert.equal(q.answer, followByScan(parsed.links, q.query, q.k), `example ${i}, question ${j}`);
        assert.notEqual(q.answer, q.query, "k < every cycle's length: the answer is never the query");
      });
      assert.equal(new Set(parsed.questions.map((q) => q.query)).size, 4, "the queries are distinct");
    }
  });

  it("links form disjoint cycles of the spec's lengths: one link out and one in per linked symbol, nothing else", () => {
    const random = rng(5);
    const spec: KhopSpec = { nSymbols: 20, cycles: [3, 4, 5], maxK: 2, questions: 1 };
    for (let i = 0; i < 200; i++) {
      const { links } = sampleExample(random, [1 + (i % 2)], spec);
      const sources = links.map(([s]) => s);
      const targets = links.map(([, t]) => t);
      assert.equal(new Set(sources).size, 12);
      assert.deepEqual([...sources].sort(), [...targets].sort());
      const lengths: number[] = [];
      const seen = new Set<number>();
      for (const start of sources) {
        if (seen.has(start)) continue;
        let length = 0;
        let at = start;
        do {
          seen.add(at);
          at = followByScan(links, at, 1);
          length++;
        } while (at !== start);
        lengths.push(length);
      }
      assert.deepEqual(
        lengths.sort((a, b) => a - b),
        [3, 4, 5],
      );
      for (const s of sources) assert.ok(s >= 0 && s < 20, `symbol ${s}`);
    }
  });

  it("the link order, the symbols and the query vary: every linked symbol is queried, links start anywhere", () => {
    const random = rng(3);
    const queried = new Set<number>();
    const firstSources = new Set<number>();
    for (let i = 0; i < 500; i++) {
      const e = sampleExample(random, [2, 2, 2, 2]);
      queried.add(e.questions[0].query);
      firstSources.add(e.links[0][0]);
    }
    assert.equal(queried.size, 24);
    assert.equal(firstSources.size, 24);
  });

  it("the same seed gives the same examples and batches; another seed does not", () => {
    assert.deepEqual(khopTestSet(42, 20), khopTestSet(42, 20));
    assert.notDeepEqual(khopTestSet(42, 20), khopTestSet(43, 20));
    const a = sampleKhopBatch(rng(9), 32, [1, 2, 3]);
    const b = sampleKhopBatch(rng(9), 32, [1, 2, 3]);
    assert.deepEqual([a.tokens, a.answers, a.ks], [b.tokens, b.answers, b.ks]);
    assert.notDeepEqual(a.tokens, sampleKhopBatch(rng(10), 32, [1, 2, 3]).tokens);
  });

  it("batches: rows are examples laid out flat, k drawn from the given counts, answers by brute force", () => {
    const batch = sampleKhopBatch(rng(21), 300, [1, 3]);
    assert.equal(batch.tokens.length, 300 * batch.length);
    assert.equal(batch.answers.length, 300 * 4);
    const seen = new Set<number>();
    for (let b = 0; b < 300; b++) {
      const row = Array.from(batch.tokens.subarray(b * batch.length, (b + 1) * batch.length));
      const parsed = parseContext(row, KHOP_SPEC);
      assert.deepEqual(
        batch.positions,
        parsed.questions.map((q) => q.position),
      );
      parsed.questions.forEach((q, i) => {
        assert.equal(q.k, batch.ks[b * 4 + i]);
        assert.equal(batch.answers[b * 4 + i], followByScan(parsed.links, q.query, q.k));
        seen.add(q.k);
      });
    }
    assert.deepEqual([...seen].sort(), [1, 3]);
  });

  it("a test set cycles k through its questions: as many questions of each k over 3 contexts", () => {
    const set = khopTestSet(1, 3);
    assert.deepEqual(
      set.map((e) => e.questions.map((q) => q.k)),
      [
        [1, 2, 3, 1],
        [2, 3, 1, 2],
        [3, 1, 2, 3],
      ],
    );
  });

  it("bad specs and hop counts get one clear error naming the field", () => {
    assert.throws(() => checkSpec({ nSymbols: 10, cycles: [6, 6], maxK: 3, questions: 1 }), /need 12 symbols, the task has 10/);
    assert.throws(
      () => checkSpec({ nSymbols: 24, cycles: [1], maxK: 3, questions: 1 }),
      /cycles \[1\] must be whole lengths ≥ 2/,
    );
    assert.throws(() => checkSpec({ nSymbols: 24, cycles: [6], maxK: 0, questions: 1 }), /maxK 0/);
    assert.throws(
      () => checkSpec({ nSymbols: 24, cycles: [3], maxK: 2, questions: 4 }),
      /questions 4 must be a whole number in 1 … 3/,
    );
    assert.throws(() => sampleExample(rng(1), [1, 2, 4, 1]), /k 4 is not in 1 … 3/);
    assert.throws(() => sampleExample(rng(1), [1, 2]), /2 hop counts for 4 questions/);
    assert.throws(() => khopVocab({ nSymbols: 30, cycles: [2], maxK: 1, questions: 1 }), /nSymbols 30/);
    assert.throws(() => sampleKhopBatch(rng(1), 4, []), /no hop counts/);
  });
});
