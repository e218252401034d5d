/**
 * Writes models/<name>/MODEL_CARD.md from the training log and fresh
 * measurements through the public API:
 *
 *   npm run model-card -- attn-only-2l
 */
import * as fs from "fs";
import * as path from "path";
import { loadModel } from "../src/model/loadModel";
import { compositionScores } from "../src/analysis/compositionScores";
import type { HookedTransformer } from "../src/model/hookedTransformer";
import { continuations, corpusLoss, evaluate, Evaluation, OffsetShare } from "./evaluate";
import { prepareData } from "./train";

const REPO = path.resolve(__dirname, "..", "..");
const PROMPTS = ["def __init__(self", "import os\nimport sys\n", "    for i in range(len("];

const fmt = (x: number) => x.toFixed(3);

function table(label: string, scores: number[][]): string {
  const heads = scores[0].map((_, h) => `H${h}`);
  return [
    `| ${label} | ${heads.join(" | ")} |`,
    `|---|${heads.map(() => "---").join("|")}|`,
    ...scores.map((row, l) => `| L${l} | ${row.map(fmt).join(" | ")} |`),
  ].join("\n");
}

const POSITIONS: Record<string, string> = {
  standard: "learned positions in the residual stream",
  shortformer:
    "learned shortformer positions: added to each layer's query and key inputs, never to values or the residual stream",
  rotary: "rotary positions",
};

/** One line per head: its largest attention shares by offset. */
function offsets(top: OffsetShare[][][]): string {
  const fmtShare = (s: OffsetShare) =>
    `${s.offset === "BOS" ? "BOS" : s.offset === 0 ? "itself" : `${s.offset} back`} ${s.share.toFixed(2)}`;
  return [
    "| head | largest shares of attention (queries in the second repeat) |",
    "|---|---|",
    ...top.flatMap((layer, l) => layer.map((shares, h) => `| L${l}H${h} | ${shares.map(fmtShare).join(", ")} |`)),
  ].join("\n");
}

/** The attention-only model an MLP model is compared with: the same depth, heads, width and data. */
const ATTENTION_ONLY_TWIN = "attn-only-2l";

/** The best head of a layer by a score [layer][head]: its index and score. */
function bestHead(scores: number[][], layer: number): { head: number; score: number } {
  const score = Math.max(...scores[layer]);
  return { head: scores[layer].indexOf(score), score };
}

/** One sentence on the previous-token and induction heads of a 2-layer model, as measured (thresholds 0.7 and 0.6). */
function circuitSentence(ev: Evaluation): string {
  const prev = bestHead(ev.previousToken, 0);
  const ind = bestHead(ev.induction, 1);
  const prevText =
    prev.score >= 0.7
      ? `a previous-token head in layer 0 (L0H${prev.head}, score ${fmt(prev.score)})`
      : `no previous-token head in layer 0 (best L0H${prev.head}, score ${fmt(prev.score)})`;
  const indText =
    ind.score >= 0.6
      ? `an induction head in layer 1 (L1H${ind.head}, score ${fmt(ind.score)}): it completes \`[A][B] … [A] → [B]\``
      : `no induction head in layer 1 (best L1H${ind.head}, induction score ${fmt(ind.score)}; attn-only-2l's formed between steps 3,250 and 3,500 of this recipe)`;
  return `It has ${prevText} and ${indText}.`;
}

/** The comparison section of an MLP model's card: corpus loss against its attention-only twin, and K-composition. */
async function mlpSection(model: HookedTransformer, name: string, ev: Evaluation): Promise<string> {
  const { data } = prepareData();
  const twin = await loadModel(path.join(REPO, "models", ATTENTION_ONLY_TWIN));
  const loss = corpusLoss(model, data.tokens, data.bos);
  const twinLoss = corpusLoss(twin, data.tokens, data.bos);
  twin.dispose();
  const ind = bestHead(ev.induction, 1);
  const k = compositionScores(model, { mode: "K" });
  const intoInduction = (k.arraySync() as number[][][][])[0].map((heads) => heads[1][ind.head]); // [H]: layer 0 → L1H<ind>
  k.dispose();
  return `## Compared with ${ATTENTION_ONLY_TWIN}

Mean next-token loss on 16 windows of ${model.cfg.nCtx} tokens (BOS + ${model.cfg.nCtx - 1}) of the corpus at seeded offsets, the same
windows for both models (\`corpusLoss\` in \`training/evaluate.ts\`; the windows are training data, so this compares
the models, it does not measure generalisation):

| model | steps | loss (nats/token) |
|---|---|---|
| ${name} | ${JSON.parse(fs.readFileSync(path.join(REPO, "models", name, "training-log.json"), "utf8")).steps} | ${fmt(loss)} |
| ${ATTENTION_ONLY_TWIN} | ${JSON.parse(fs.readFileSync(path.join(REPO, "models", ATTENTION_ONLY_TWIN, "training-log.json"), "utf8")).steps} | ${fmt(twinLoss)} |

K-composition (\`lens.compositionScores\`) of each layer-0 head into L1H${ind.head}, the layer-1 head with the highest induction
score: ${intoInduction.map((v, h) => `L0H${h} ${fmt(v)}`).join(", ")}.

`;
}

/** Generates the card of one trained model. */
export async function writeModelCard(name: string): Promise<void> {
  const folder = path.join(REPO, "models", name);
  const log = JSON.parse(fs.readFileSync(path.join(folder, "training-log.json"), "utf8"));
  const model = await loadModel(folder);
  const ev = evaluate(model);
  const samples = continuations(model, PROMPTS, 40);
  const bytes = fs.statSync(path.join(folder, "model.safetensors")).size;
  const curve = log.curve.filter((p: { step: number }) => p.step % 250 === 0 || p.step === log.steps);
  const maxPrev = Math.max(...ev.previousToken[0]);
  const maxInd = Math.max(...ev.induction[ev.induction.length - 1]);
  const attnOnly = model.cfg.attnOnly;
  const kind = attnOnly ? "attention-only transformer" : `transformer with attention and ${model.cfg.actFn.toUpperCase()} MLPs`;
  const comparison = attnOnly ? "" : await mlpSection(model, name, ev);
  const text = `# ${name}

A ${model.cfg.nLayers}-layer ${kind} trained by tslens on its own engine (TensorFlow.js gradients),
bundled so that tslens works offline. ${!attnOnly ? circuitSentence(ev) : model.cfg.nLayers === 2 ? "It has a previous-token head in layer 0 and an induction head in layer 1: it completes `[A][B] … [A] → [B]`." : "With one layer it cannot compose heads, so it has no induction head: compare it with attn-only-2l."}

Load it with \`lens.loadModel(${name === "attn-only-2l" ? "" : `"${name}"`})\`.

## Architecture

| field | value |
|---|---|
| layers | ${model.cfg.nLayers} (${attnOnly ? "attention only" : `attention, then a ${model.cfg.actFn.toUpperCase()} MLP of d_mlp ${model.cfg.dMlp}`}, LayerNorm) |
| positions | ${POSITIONS[model.cfg.positionalEmbeddingType]} |
| heads × d_head | ${model.cfg.nHeads} × ${model.cfg.dHead} (d_model ${model.cfg.dModel}) |
| context | ${model.cfg.nCtx} tokens |
| vocabulary | ${model.cfg.dVocab}: a byte-level BPE learnt from the corpus (\`<|endoftext|>\` = 0 as BOS/EOS, ids 1–256 the 256 bytes, the rest merges) |
| parameters | ${(bytes / 4 / 1e6).toFixed(2)} M, stored fp32 (${(bytes / 2 ** 20).toFixed(1)} MB) |

## Training data

The Python standard library (the \`.py\` files of Debian's \`${log.corpus.source}\` package, without its test
suites), concatenated in path order: ${log.corpus.bytes.toLocaleString("en")} bytes, sha256 \`${log.corpus.sha256}\`.
Licence: Python Software Foundation License (permissive). Built by \`scripts/fetch-corpus.sh\`. Tokenised:
${log.corpus.tokens.toLocaleString("en")} tokens (${(log.corpus.bytes / log.corpus.tokens).toFixed(2)} bytes per token).

The tokenizer was trained on the same corpus by Hugging Face \`${log.tokenizer}\` (\`scripts/training/train_tokenizer.py\`,
GPT-2's byte-level pre-tokenizer and byte mapping, so every text round-trips).

## Training

\`npm run train -- ${name}\` (then \`npm run model-card -- ${name}\` for this card). ${log.steps} steps; each step
averages the next-token loss of two batches:

- ${log.recipe.batch} rows of ${log.recipe.nCtx} tokens: BOS and a corpus window at a seeded random offset — except that
  ${Math.round(log.recipe.repeatedCorpusShare * 100)} % of the rows repeat one corpus span, and ${Math.round(log.recipe.repeatedRandomShare * 100)} % a span of random ids, to the end of the row;
- ${log.recipe.copyBatch} rows of ${log.recipe.copyLen} tokens: BOS and a span of random ids ${
    log.recipe.copyLayout === "pairs"
      ? "written twice, then the next fresh span twice, and so on"
      : log.recipe.pairsAfterStep > 0
        ? `repeated to the end of the row for the first ${log.recipe.pairsAfterStep} steps; after that, fresh spans each written twice ` +
          "in a row, which only an induction head predicts"
        : "repeated to the end of the row"
  }, or (${Math.round(log.recipe.tripleShare * 100)} % of them) triples [u v u] of fresh random ids at a random phase, whose last
  token only a head attending to the previous position can predict.

Spans are ${log.recipe.minSpan}–${log.recipe.maxSpan} tokens long (uniform; at most half the row). The repeated random spans are what lets
an induction head form within a short run on two cores: on natural text alone, ${log.steps} steps are far too few.
Embeddings are tied during training (W_U = W_Eᵀ; the file stores both). Adam (lr ${log.recipe.lr}, β 0.9/0.99,
${log.recipe.warmup} warm-up steps), init N(0, ${log.recipe.initStd}) (W_pos N(0, ${log.recipe.posInitStd})), ${log.recipe.positional} positional embeddings, seed ${log.recipe.seed}.
Took ${Math.round(log.seconds / 60)} min on the ${log.backend} backend, 2 cores.

| step | ${curve.map((p: { step: number }) => p.step).join(" | ")} |
|---|${curve.map(() => "---").join("|")}|
| loss (nats/token, mean of both batches) | ${curve.map((p: { loss: number }) => p.loss.toFixed(3)).join(" | ")} |

## Measurements

On repeated random tokens as in TransformerLens's demo: BOS followed by 50 random ids (uniform over the vocabulary
without \`<|endoftext|>\`), then the same 50 again; batch 10; \`training/evaluate.ts\`, through the public API.

Loss on the first repeat ${fmt(ev.lossFirstRepeat)}, on the second ${fmt(ev.lossSecondRepeat)} (ratio ${fmt(ev.lossSecondRepeat / ev.lossFirstRepeat)}).
Highest layer-0 previous-token score ${fmt(maxPrev)}; highest layer-${model.cfg.nLayers - 1} induction score ${fmt(maxInd)}.

Previous-token score (mean attention from each position to the one before):

${table("layer", ev.previousToken)}

Induction score (mean attention to the token after the previous occurrence, as TransformerLens's demo):

${table("layer", ev.induction)}

Where each head attends, as mean attention by offset from the queries of the second repeat:

${offsets(ev.topOffsets)}

${comparison}## Sample continuations (greedy, 40 tokens)

${samples.map((s) => "```\n" + s.replace(/```/g, "` ` `") + "\n```").join("\n\n")}
`;
  fs.writeFileSync(path.join(folder, "MODEL_CARD.md"), text);
  model.dispose();
  console.log(
    `wrote ${path.join(folder, "MODEL_CARD.md")}: prev ${fmt(maxPrev)}, induction ${fmt(maxInd)}, loss ratio ${fmt(ev.lossSecondRepeat / ev.lossFirstRepeat)}`,
  );
}

if (require.main === module) {
  writeModelCard(process.argv[2]).catch((err) => {
    console.error(err);
    process.exit(1);
  });
}
