/**
 * The standard checks every model-family fixture gets against its Hugging Face reference (scripts/fixtures/*.py):
 * activations without weight processing, log-probs with the default processing, padded batches against single runs,
 * and a flat tensor count. Each family test file registers these and keeps only what is specific to its family.
 */
import { strict as assert } from "assert";
import * as path from "path";
import { HookedTransformer, loadModel, tf } from "../../src";
import { FIXTURES, hfReference, maxAbsDiff } from "./hfReference";

/** Worst max-abs error seen per "<model> <kind>", printed after a file's tests. */
export type WorstErrors = Record<string, number>;

/** One comparison: the model's `hook` ("logits" for the logits) against reference tensor `ref`, reported as `kind`. */
export interface ReferenceCheck {
  kind: string;
  hook: string;
  ref: string;
}

/** Which comparisons to make for `model` when its reference holds the tensors `refNames`. */
export type SelectChecks = (model: HookedTransformer, refNames: string[]) => ReferenceCheck[];

/** Options of describeFamilyFixture. */
export interface FamilyFixtureOptions {
  /** Reference inputs to compare ("single", "batch", …). */
  inputs: string[];
  /** Largest max-abs error allowed. */
  tolerance: number;
  /** The comparisons of the activation test. */
  hooks: SelectChecks;
  /** Title of the activation test for `input`. */
  title: (input: string) => string;
  /** Where the worst errors are recorded. */
  worst: WorstErrors;
  /** Registers more tests inside the fixture's describe, with its loaded models. */
  more?: (models: LoadedPair) => void;
}

/** The fixture loaded without weight processing (`raw`) and with the default processing (`processed`). */
export interface LoadedPair {
  raw: HookedTransformer;
  processed: HookedTransformer;
}

/** Records `err` as a candidate worst error for `key`. */
export function noteWorst(worst: WorstErrors, key: string, err: number): void {
  worst[key] = Math.max(worst[key] ?? 0, err);
}

/** Loads fixture `name` raw and processed before the enclosing describe's tests; disposes both after them. */
export function loadRawAndProcessed(name: string): LoadedPair {
  const models = {} as LoadedPair;
  before(async () => {
    models.raw = await loadModel(path.join(FIXTURES, name), { processWeights: false });
    models.processed = await loadModel(path.join(FIXTURES, name));
  });
  after(() => {
    models.raw?.dispose();
    models.processed?.dispose();
  });
  return models;
}

/** Runs `model` on the reference tokens of `name`/`input` and asserts every check in `hooks` is within `tolerance`. */
export async function checkActivations(
  model: HookedTransformer,
  name: string,
  input: string,
  hooks: SelectChecks,
  tolerance: number,
  worst: WorstErrors,
): Promise<ReferenceCheck[]> {
  const ref = await hfReference(name, input);
  const { logits, cache } = model.runWithCache(ref.tokens); // logits [batch, pos, vocab]
  try {
    const checks = hooks(model, [...ref.tensors.keys()]);
    for (const { kind, hook, ref: refName } of checks) {
      const expected = ref.tensors.get(refName);
      assert.ok(expected, `reference lacks ${refName}`);
      const actual = hook === "logits" ? logits : cache.get(model.hookName(hook));
      const err = maxAbsDiff(actual, expected, `${name}/${input} ${refName}`);
      noteWorst(worst, `${name} ${kind}`, err);
      assert.ok(err <= tolerance, `${name}/${input} ${refName}: max abs diff ${err}`);
    }
    return checks;
  } finally {
    logits.dispose();
    cache.dispose();
    tf.dispose([ref.tokens, ...ref.tensors.values()]);
  }
}

/** Asserts log-softmax of `processed`'s logits on `name`/`input` matches the reference log_probs within `tolerance`. */
export async function checkLogProbs(
  processed: HookedTransformer,
  name: string,
  input: string,
  tolerance: number,
  worst: WorstErrors,
): Promise<void> {
  const ref = await hfReference(name, input);
  const logits = processed.forward(ref.tokens); // [batch, pos, vocab]
  const logProbs = tf.logSoftmax(logits); // [batch, pos, vocab]
  try {
    const err = maxAbsDiff(logProbs, ref.tensors.get("log_probs")!, `${name}/${input} log_probs`);
    noteWorst(worst, `${name} log_probs (processed)`, err);
    assert.ok(err <= tolerance, `${name}/${input}: log-probs max abs diff ${err}`);
  } finally {
    tf.dispose([logits, logProbs, ref.tokens, ...ref.tensors.values()]);
  }
}

/** Two prompts, 11 tokens (longer than the fixtures' sliding windows) and 3, for the padded-batch checks. */
export const PADDED_PROMPTS = [
  [4, 19, 50, 7, 88, 23, 61, 2, 35, 14, 70],
  [9, 41, 3],
];

/** Asserts each row of a `side`-padded batch of `prompts` matches that prompt run alone, on its real positions. */
export function checkPaddedBatch(
  model: HookedTransformer,
  name: string,
  side: "left" | "right",
  prompts: number[][],
  tolerance: number,
  worst: WorstErrors,
): void {
  const width = Math.max(...prompts.map((p) => p.length));
  const pad = (row: number[]) => {
    const extra: number[] = new Array(width - row.length).fill(0);
    return side === "left" ? [...extra, ...row] : [...row, ...extra];
  };
  const ids = tf.tensor2d(prompts.map(pad), [prompts.length, width], "int32");
  const mask = tf.tensor2d(
    prompts.map((p) => pad(p.map(() => 1))),
    [prompts.length, width],
    "int32",
  );
  const batch = model.forward(ids, { attentionMask: mask }); // [batch, width, vocab]
  try {
    prompts.forEach((prompt, row) => {
      const alone = tf.tensor2d([prompt], [1, prompt.length], "int32");
      const single = model.forward(alone); // [1, len, vocab]
      const start = side === "left" ? width - prompt.length : 0;
      const rowLogits = tf.tidy(() => batch.slice([row, start, 0], [1, prompt.length, -1])); // [1, len, vocab]
      const err = maxAbsDiff(rowLogits, single, `${name} row ${row}`);
      tf.dispose([alone, single, rowLogits]);
      noteWorst(worst, `${name} padded (${side})`, err);
      assert.ok(err <= tolerance, `${name}, ${side} padding, row ${row}: max abs diff ${err}`);
    });
  } finally {
    tf.dispose([ids, mask, batch]);
  }
}

/** Asserts `run` leaves tf.memory().numTensors unchanged after a warm-up run (two more runs compared). */
export function assertNoLeak(run: () => void): void {
  run();
  const before = tf.memory().numTensors;
  run();
  run();
  assert.equal(tf.memory().numTensors, before);
}

/** Registers an after hook printing the worst errors of the file's tests. */
export function reportWorst(worst: WorstErrors): void {
  after(() => {
    console.log(`      worst max-abs errors (${tf.getBackend()}):`);
    for (const [k, v] of Object.entries(worst)) console.log(`        ${k}: ${v.toExponential(2)}`);
  });
}

/**
 * Registers describe(`name`) with the standard checks of a family fixture: per input, the activations of
 * `options.hooks` without weight processing and the log-probs with the default processing, each within
 * `options.tolerance`; then whatever `options.more` adds with the loaded models.
 */
export function describeFamilyFixture(name: string, options: FamilyFixtureOptions): void {
  describe(name, function () {
    const models = loadRawAndProcessed(name);
    for (const input of options.inputs) {
      it(options.title(input), async () => {
        await checkActivations(models.raw, name, input, options.hooks, options.tolerance, options.worst);
      });
      it(`${input}: log-softmax of logits ≤ ${options.tolerance} with default weight processing`, async () => {
        await checkLogProbs(models.processed, name, input, options.tolerance, options.worst);
      });
    }
    options.more?.(models);
  });
}

/** A check of `hook` in every layer, reported as `kind`. */
export function everyLayer(nLayers: number, hook: string, kind: string = hook): ReferenceCheck[] {
  return Array.from({ length: nLayers }, (_, l) => ({ kind, hook: `blocks.${l}.${hook}`, ref: `blocks.${l}.${hook}` }));
}

/** The checks of logits and of the final norm's output (ln_final.hook_normalized against HF's "ln_final.out"). */
export const LOGITS: ReferenceCheck = { kind: "logits", hook: "logits", ref: "logits" };
export const LN_FINAL: ReferenceCheck = { kind: "ln_final", hook: "ln_final.hook_normalized", ref: "ln_final.out" };

/**
 * Registers describe(`title`) with, per fixture in `names` and per padding side, a test that a padded batch of
 * PADDED_PROMPTS matches each prompt run alone within `tolerance` (each test loads its model without processing).
 */
export function describePaddedBatches(title: string, names: string[], tolerance: number, worst: WorstErrors): void {
  describe(title, function () {
    for (const name of names) {
      for (const side of ["left", "right"] as const) {
        it(`${name}, ${side} padding: each row's real positions match its single run ≤ ${tolerance}`, async () => {
          const model = await loadModel(path.join(FIXTURES, name), { processWeights: false });
          try {
            checkPaddedBatch(model, name, side, PADDED_PROMPTS, tolerance, worst);
          } finally {
            model.dispose();
          }
        });
      }
    }
  });
}

/** Asserts greedy generation of `newTokens` after `prompt` through the KV cache equals the argmax of one full forward. */
export function assertGreedyMatchesFullForward(model: HookedTransformer, prompt: number[], newTokens: number): void {
  const ids = tf.tensor2d([prompt], [1, prompt.length], "int32");
  const generated = model.generate(ids, { maxNewTokens: newTokens, temperature: 0 }); // [1, len + new]
  const full = model.forward(generated); // [1, len + new, vocab]
  const greedy = tf.tidy(() => full.slice([0, prompt.length - 1, 0], [1, newTokens, -1]).argMax(-1)); // [1, new]
  const made = tf.tidy(() => generated.slice([0, prompt.length], [1, newTokens])); // [1, new]
  try {
    assert.deepEqual(greedy.arraySync(), made.arraySync());
  } finally {
    tf.dispose([ids, generated, full, greedy, made]);
  }
}
