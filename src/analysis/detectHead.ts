/**
 * detectHead: how much each head's attention pattern looks like a detection pattern
 * (TransformerLens's head detector). "mul" scores the share of a head's attention that
 * lands on the pattern; "abs" scores 1 − Σ|A − P| / seq_len (rounded to 3 decimals), 1 = a
 * perfect match. Heads not asked for score −1.
 */
import type { Tensor } from "@tensorflow/tfjs-core";
import { ActivationCache } from "../cache/activationCache";
import type { HookedTransformer, ModelInput } from "../model/hookedTransformer";
import { tf } from "../tensor";
import { detectionPattern, HEAD_NAMES, HeadName } from "./detectionPatterns";

/** Options of detectHead. */
export interface DetectHeadOptions {
  /** Heads to score: [layer, head] pairs or { layer: heads }; default all. Others score −1. */
  heads?: [number, number][] | Record<number, number[]>;
  /**
   * A cache of this input's run (one sequence) to read the patterns from instead of running the model; it must hold
   * the input's tokens. (Or pass the cache itself as the input: `detectHead(model, cache, …)`.)
   */
  cache?: ActivationCache;
  /** Ignore attention to position 0 (BOS). */
  excludeBos?: boolean;
  /** Ignore attention to the query's own position. */
  excludeCurrentToken?: boolean;
  /** "mul" (default) or "abs". */
  errorMeasure?: "mul" | "abs";
  /** Prepend BOS to text input (default: the model's default). */
  prependBos?: boolean;
}

/** A named pattern or a custom [pos, pos] lower-triangular matrix. */
export type DetectionPatternInput = HeadName | number[][] | Tensor;

/** The (layer, head) pairs to score. */
function headList(model: HookedTransformer, heads: DetectHeadOptions["heads"]): [number, number][] {
  const { nLayers, nHeads } = model.cfg;
  const pairs: [number, number][] = heads
    ? Array.isArray(heads)
      ? heads
      : Object.entries(heads).flatMap(([l, hs]) => hs.map((h): [number, number] => [Number(l), h]))
    : Array.from({ length: nLayers * nHeads }, (_, i): [number, number] => [Math.floor(i / nHeads), i % nHeads]);
  for (const [l, h] of pairs) {
    if (!Number.isInteger(l) || l < 0 || l >= nLayers)
      throw new Error(`layer ${l} is out of range: the model has layers 0…${nLayers - 1}`);
    if (!Number.isInteger(h) || h < 0 || h >= nHeads)
      throw new Error(`head ${h} is out of range: each layer has heads 0…${nHeads - 1}`);
  }
  return pairs;
}

/** Token rows of `input` (text is tokenized; each row is one sequence; a cache's are the tokens it ran on). */
function sequences(model: HookedTransformer, input: ModelInput | ActivationCache, prependBos?: boolean): number[][] {
  if (input instanceof ActivationCache) return input.tokens.arraySync();
  if (typeof input === "string") input = [input];
  if (Array.isArray(input) && (input.length === 0 || typeof input[0] === "string")) {
    return (input as string[]).map((text) => {
      const t = model.toTokens(text, { prependBos });
      const row = t.arraySync()[0];
      t.dispose();
      return row;
    });
  }
  if (Array.isArray(input)) return input as number[][];
  const t = input.rank === 1 ? [input.arraySync() as number[]] : (input.arraySync() as number[][]);
  return t;
}

/** Throws unless `cache` ran on exactly the token ids `row` (one sequence), naming the first difference. */
function checkCacheTokens(cache: ActivationCache, row: number[]): void {
  const ran = cache.tokens.arraySync(); // [batch][pos]
  const at = ran.length === 1 && ran[0].length === row.length ? row.findIndex((id, i) => id !== ran[0][i]) : -2;
  if (at === -1) return;
  const why =
    ran.length !== 1
      ? `it ran on ${ran.length} sequences, the input is one`
      : at === -2
        ? `it ran on ${ran[0].length} tokens, the input has ${row.length}`
        : `token ${at} is ${ran[0][at]} there and ${row[at]} in the input`;
  throw new Error(
    `options.cache was run on other tokens than the input (${why}); to score a cache's own run, pass the cache as ` +
      "the input: detectHead(model, cache, pattern)",
  );
}

/** Scores of every head against `pattern` [seq, seq] from the patterns of one sequence's run (row `row` of `cache`). */
function scoreSequence(
  model: HookedTransformer,
  tokens: number[],
  pattern: DetectionPatternInput,
  pairs: [number, number][],
  options: DetectHeadOptions,
  cache?: ActivationCache,
  row = 0,
): number[][] {
  const n = tokens.length;
  if (n < 2 || n > model.cfg.nCtx) throw new Error(`detectHead needs 2…${model.cfg.nCtx} tokens, got ${n}`);
  const P =
    typeof pattern === "string"
      ? detectionPattern(pattern, tokens)
      : Array.isArray(pattern)
        ? pattern
        : (pattern.arraySync() as number[][]);
  if (P.length !== n || P.some((row) => row.length !== n))
    throw new Error(`the detection pattern must be [${n}, ${n}] (the sequence length), got [${P.length}, ${P[0]?.length ?? 0}]`);
  if (P.some((row, i) => row.some((v, j) => j > i && v !== 0)))
    throw new Error("the detection pattern must be lower-triangular (no attention to later positions)");
  const run = cache
    ? undefined
    : model.runWithCache([tokens], { namesFilter: (name) => name.endsWith("attn.hook_pattern"), returnType: "none" });
  const source = cache ?? run!.cache;
  // The same for every layer: the detection pattern and the cells the exclusions keep.
  const [detection, keep] = tf.tidy(() => [
    tf.tensor2d(P).expandDims(0), // [1, q, k]
    tf
      .tensor2d(
        Array.from({ length: n }, (_, i) =>
          Array.from({ length: n }, (_, j) =>
            (options.excludeBos && j === 0) || (options.excludeCurrentToken && i === j) ? 0 : 1,
          ),
        ),
      )
      .expandDims(0), // [1, q, k]: 0 where excluded
  ]);
  try {
    const scores = Array.from({ length: model.cfg.nLayers }, () => new Array<number>(model.cfg.nHeads).fill(-1));
    const layers = [...new Set(pairs.map(([l]) => l))];
    for (const l of layers) {
      const heads = pairs.filter(([pl]) => pl === l).map(([, h]) => h);
      const values = tf.tidy(() => {
        const all = source.get(`blocks.${l}.attn.hook_pattern`); // [batch, head, q, k]
        if (all.shape[0] <= row || all.shape[2] !== n)
          throw new Error(`the cache holds patterns of shape [${all.shape}], not of this ${n}-token sequence`);
        const A = all.slice([row, 0, 0, 0], [1, -1, -1, -1]).squeeze([0]).gather(heads); // [heads, q, k]
        const kept = A.mul(keep);
        const score =
          (options.errorMeasure ?? "mul") === "mul"
            ? kept
                .mul(detection)
                .sum([1, 2])
                .div(kept.sum([1, 2])) // [heads]: share of the kept attention on P
            : A.sub(detection).abs().mul(keep).sum([1, 2]).div(n); // [heads]: Σ|A − P| / seq_len
        return score.arraySync() as number[];
      });
      heads.forEach((h, i) => {
        scores[l][h] = options.errorMeasure === "abs" ? 1 - Math.round(values[i] * 1000) / 1000 : values[i];
      });
    }
    return scores;
  } finally {
    tf.dispose([detection, keep]);
    run?.cache.dispose();
  }
}

/**
 * Scores every head (or `options.heads`) against a detection pattern on `input`: [nLayers][nHeads].
 * Several sequences (texts or token rows) are scored one by one and averaged, with every option applied to each.
 * `input` may be the cache of a run (runWithCache): its patterns are scored on the tokens it ran on, every batch
 * row a sequence, without running the model or tokenising again.
 */
export function detectHead(
  model: HookedTransformer,
  input: ModelInput | ActivationCache,
  pattern: DetectionPatternInput,
  options: DetectHeadOptions = {},
): number[][] {
  const measure = options.errorMeasure ?? "mul";
  if (measure !== "mul" && measure !== "abs")
    throw new Error(`errorMeasure must be "mul" or "abs", got ${JSON.stringify(measure)}`);
  if (typeof pattern === "string" && !HEAD_NAMES.includes(pattern))
    throw new Error(
      `unknown head pattern ${JSON.stringify(pattern)}: use one of ${HEAD_NAMES.join(", ")} or a [pos, pos] matrix`,
    );
  const pairs = headList(model, options.heads);
  const fromCache = input instanceof ActivationCache;
  if (fromCache && options.cache) throw new Error("detectHead got a cache as the input and options.cache: pass it once");
  const rows = sequences(model, input, options.prependBos);
  if (rows.length === 0) throw new Error("detectHead needs at least one sequence");
  if (rows.length > 1 && options.cache) throw new Error("a cache can only be used with a single sequence");
  if (rows.length > 1 && typeof pattern !== "string") throw new Error("a custom detection pattern fits one sequence only");
  if (options.cache) checkCacheTokens(options.cache, rows[0]);
  const cache = fromCache ? input : options.cache;
  const perRow = rows.map((row, i) => scoreSequence(model, row, pattern, pairs, options, cache, cache ? i : 0));
  return perRow[0].map((layer, l) => layer.map((_, h) => perRow.reduce((s, r) => s + r[l][h], 0) / perRow.length));
}
