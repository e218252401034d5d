/**
 * The k-hop task of notebook 08 ("depth bounds the number of moves").
 *
 * A context lists links between symbols, each written as three tokens `src tgt ;`, in random order; the links form
 * disjoint cycles over randomly chosen symbols (every linked symbol has exactly one link out and one link in, so no
 * symbol stands out as a start or an end of a chain). After the links come questions, each a hop count `k` and a
 * query symbol (distinct queries, each with its own k):
 *
 *   <bos> D K ; P D ; K W ; … W P ; 2 D 1 P 3 K …     answers: W at "D" (D → K → W), D at "P", …
 *
 * Each answer, predicted at its query's position, is the symbol reached from the query by following k links. A
 * context asks several questions so that each training context gives several supervised predictions.
 */
import { rng } from "../data";

/** The shape of the task: how many symbols, which cycles, which hop counts. */
export interface KhopSpec {
  /** Node symbols (ids 0 … nSymbols − 1). */
  nSymbols: number;
  /** Lengths of the disjoint cycles of each context (their sum is the number of links). */
  cycles: number[];
  /** Hop counts 1 … maxK. */
  maxK: number;
  /** Questions (k, query) after the links. */
  questions: number;
}

/** The task the shipped models were trained on: 24 symbols, two cycles of 5 links, k = 1 … 3, 4 questions; 39 tokens. */
export const KHOP_SPEC: KhopSpec = { nSymbols: 24, cycles: [5, 5], maxK: 3, questions: 4 };

/** Token ids of the task's vocabulary: symbols, then BOS, the link separator, then the hop counts. */
export interface KhopVocab {
  /** The text of each id. */
  names: string[];
  bos: number;
  separator: number;
  /** hop[k] is the id of the count k (hop[0] is unused). */
  hop: number[];
}

/** The vocabulary of `spec`: "A", "B", … for the symbols, "<bos>", ";", "1" … "maxK". */
export function khopVocab(spec: KhopSpec = KHOP_SPEC): KhopVocab {
  if (spec.nSymbols > 26) throw new Error(`khop: nSymbols ${spec.nSymbols} is more than the 26 letters that name them`);
  const names = Array.from({ length: spec.nSymbols }, (_, i) => String.fromCharCode(65 + i));
  const bos = names.push("<bos>") - 1;
  const separator = names.push(";") - 1;
  const hop = [-1];
  for (let k = 1; k <= spec.maxK; k++) hop.push(names.push(String(k)) - 1);
  return { names, bos, separator, hop };
}

/** Tokens per context: BOS, three per link, two per question. */
export function contextLength(spec: KhopSpec = KHOP_SPEC): number {
  return 1 + 3 * spec.cycles.reduce((a, b) => a + b, 0) + 2 * spec.questions;
}

/** One question of a context: the hop count, the query, the answer and the query's position in the tokens. */
export interface KhopQuestion {
  k: number;
  query: number;
  answer: number;
  position: number;
}

/** One example: its tokens, its questions, and the links it lists (in context order). */
export interface KhopExample {
  tokens: number[];
  questions: KhopQuestion[];
  links: [number, number][];
}

/** Checks that `spec` describes a task whose contexts can be built (cycles of ≥ 2 links, enough symbols). */
export function checkSpec(spec: KhopSpec): void {
  const used = spec.cycles.reduce((a, b) => a + b, 0);
  if (!Number.isInteger(spec.maxK) || spec.maxK < 1) throw new Error(`khop: maxK ${spec.maxK} must be a whole number ≥ 1`);
  if (spec.cycles.length === 0 || spec.cycles.some((c) => !Number.isInteger(c) || c < 2))
    throw new Error(`khop: cycles ${JSON.stringify(spec.cycles)} must be whole lengths ≥ 2`);
  if (used > spec.nSymbols) throw new Error(`khop: the cycles need ${used} symbols, the task has ${spec.nSymbols}`);
  if (!Number.isInteger(spec.questions) || spec.questions < 1 || spec.questions > used)
    throw new Error(
      `khop: questions ${spec.questions} must be a whole number in 1 … ${used} (one query per linked symbol at most)`,
    );
}

/** A uniform random permutation of `items` (Fisher–Yates on `random`). */
function shuffled<T>(items: T[], random: () => number): T[] {
  const out = [...items];
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [out[i], out[j]] = [out[j], out[i]];
  }
  return out;
}

/** One example whose questions have the hop counts `ks` (one per question, each 1 … maxK), drawn from `random`. */
export function sampleExample(random: () => number, ks: number[], spec: KhopSpec = KHOP_SPEC): KhopExample {
  checkSpec(spec);
  if (ks.length !== spec.questions) throw new Error(`khop: ${ks.length} hop counts for ${spec.questions} questions`);
  for (const k of ks)
    if (!Number.isInteger(k) || k < 1 || k > spec.maxK) throw new Error(`khop: k ${k} is not in 1 … ${spec.maxK}`);
  const vocab = khopVocab(spec);
  const symbols = shuffled(
    Array.from({ length: spec.nSymbols }, (_, i) => i),
    random,
  );
  const next = new Map<number, number>();
  let at = 0;
  for (const length of spec.cycles) {
    const cycle = symbols.slice(at, at + length);
    at += length;
    cycle.forEach((s, i) => next.set(s, cycle[(i + 1) % length]));
  }
  const links = shuffled([...next], random);
  const queries = shuffled([...next.keys()], random).slice(0, ks.length);
  const tokens = [vocab.bos, ...links.flatMap(([s, t]) => [s, t, vocab.separator])];
  const questions = ks.map((k, i) => {
    let answer = queries[i];
    for (let hop = 0; hop < k; hop++) answer = next.get(answer)!;
    tokens.push(vocab.hop[k], queries[i]);
    return { k, query: queries[i], answer, position: tokens.length - 1 };
  });
  return { tokens, questions, links };
}

/**
 * A batch of examples as flat arrays: tokens [batch, contextLength] row by row; answers and ks [batch, questions];
 * the query positions (the same in every row).
 */
export interface KhopBatch {
  tokens: Int32Array;
  answers: Int32Array;
  ks: Int32Array;
  positions: number[];
  batch: number;
  length: number;
}

/** `batch` examples from `random`, each question's hop count drawn uniformly from `ks`. */
export function sampleKhopBatch(random: () => number, batch: number, ks: number[], spec: KhopSpec = KHOP_SPEC): KhopBatch {
  if (ks.length === 0) throw new Error("khop: no hop counts to draw from");
  const length = contextLength(spec);
  const tokens = new Int32Array(batch * length);
  const answers = new Int32Array(batch * spec.questions);
  const hopCounts = new Int32Array(batch * spec.questions);
  let positions: number[] = [];
  for (let b = 0; b < batch; b++) {
    const draws = Array.from({ length: spec.questions }, () => ks[Math.floor(random() * ks.length)]);
    const example = sampleExample(random, draws, spec);
    tokens.set(example.tokens, b * length);
    example.questions.forEach((q, i) => {
      answers[b * spec.questions + i] = q.answer;
      hopCounts[b * spec.questions + i] = q.k;
    });
    positions = example.questions.map((q) => q.position);
  }
  return { tokens, answers, ks: hopCounts, positions, batch, length };
}

/** A fixed test set of `contexts` examples from `seed`: question i of context c asks k = 1 + (c + i) mod maxK. */
export function khopTestSet(seed: number, contexts: number, spec: KhopSpec = KHOP_SPEC): KhopExample[] {
  const random = rng(seed);
  return Array.from({ length: contexts }, (_, c) =>
    sampleExample(
      random,
      Array.from({ length: spec.questions }, (_, i) => 1 + ((c + i) % spec.maxK)),
      spec,
    ),
  );
}
