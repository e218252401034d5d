/**
 * The embedded SAE's card (models/saes/<name>/README.md), measured on text it was not trained on:
 *
 *   npm run build && node dist/training/sae/card.js        (rewrites the card of the trained SAE)
 *
 * Metrics (lens.saeMetrics, BOS ignored) on the held-out rows saved with it (heldout-tokens.json); a census of the
 * features over the whole held-out tail of the corpus (how many fire, how many are "this token" or "the previous
 * token was" features by their top examples); and the features described in training/sae/features.json, each with
 * its top examples (lens.featureTopExamples) and direct logit effects (lens.featureLogits).
 */
import * as fs from "fs";
import * as path from "path";
import type { Tensor2D } from "@tensorflow/tfjs-core";
import type { HookedTransformer } from "../../src/model/hookedTransformer";
import { loadModel } from "../../src/model/loadModel";
import { featureLogits, featureTopExamples, FeatureTopExamples, loadSae, Sae, saeMetrics, SaeMetrics } from "../../src/sae";
import { tf } from "../../src/tensor";
import { prepareData } from "../train";
import { SAE_RECIPE } from "./trainSae";

const REPO = path.resolve(__dirname, "..", "..", "..");
/** Top examples per feature used to call it a token or previous-token feature. */
const CENSUS_EXAMPLES = 20;
/** Share of those examples that must agree. */
const CENSUS_AGREEMENT = 0.9;

/** The held-out evaluation rows saved next to the SAE: token ids [rows, ctx] (BOS first). */
export function readHeldoutRows(folder: string): number[][] {
  return (JSON.parse(fs.readFileSync(path.join(folder, "heldout-tokens.json"), "utf8")) as { rows: number[][] }).rows;
}

/** The whole held-out tail of the corpus as rows of BOS + ctx − 1 tokens. */
function heldoutTail(tokens: Int32Array, bos: number): number[][] {
  const span = SAE_RECIPE.ctx - 1;
  const rows: number[][] = [];
  for (let at = tokens.length - SAE_RECIPE.heldoutTokens; at + span <= tokens.length; at += span)
    rows.push([bos, ...tokens.subarray(at, at + span)]);
  return rows;
}

/** How often each feature fires on `rows` (BOS positions left out): counts [d_sae] and the number of tokens. */
function firingCounts(model: HookedTransformer, sae: Sae, rows: number[][]): { counts: Float64Array; tokens: number } {
  const counts = new Float64Array(sae.cfg.dSae);
  let tokens = 0;
  for (let first = 0; first < rows.length; first += 8) {
    const batch = rows.slice(first, first + 8);
    const fired = tf.tidy(() => {
      const ids = tf.tensor2d(batch, undefined, "int32"); // [batch, ctx]
      const resid = model.runWithHooks(ids, { fwdHooks: [], stopAtLayer: SAE_RECIPE.layer }); // [batch, ctx, d_in]
      const acts = sae.encode(resid.slice([0, 1, 0], [-1, -1, -1])); // [batch, ctx − 1, d_sae]
      return acts.notEqual(0).toFloat().sum([0, 1]).dataSync(); // [d_sae]
    });
    fired.forEach((c, i) => (counts[i] += c));
    tokens += batch.length * (batch[0]!.length - 1);
  }
  return { counts, tokens };
}

/** A token for the card: newlines and tabs visible, HTML escaped. */
function showToken(token: string): string {
  return token
    .replace(/&/g, "&amp;")
    .replace(/</g, "&lt;")
    .replace(/>/g, "&gt;")
    .replace(/\|/g, "&#124;")
    .replace(/\n/g, "⏎")
    .replace(/\t/g, "⇥");
}

/** An example's context as HTML code spans, the activating token in bold (empty spans left out). */
function showContext(tokens: string[], index: number): string {
  const span = (part: string[]) => (part.length ? `<code>${part.map(showToken).join("")}</code>` : "");
  return `${span(tokens.slice(0, index))}<b><code>${showToken(tokens[index]!)}</code></b>${span(tokens.slice(index + 1))}`;
}

/** What the census says about one feature's top examples. */
interface FeatureKind {
  kind: "token" | "previous token" | "other" | "rare";
  token?: string;
}

/** Calls a feature a token / previous-token feature when ≥ CENSUS_AGREEMENT of its top examples share that token. */
function classify(top: FeatureTopExamples, decode: (id: number) => string): FeatureKind {
  const examples = top.examples;
  if (examples.length < CENSUS_EXAMPLES) return { kind: "rare" };
  const share = (pick: (e: (typeof examples)[number]) => number | undefined) => {
    const tally = new Map<number, number>();
    for (const e of examples) {
      const id = pick(e);
      if (id !== undefined) tally.set(id, (tally.get(id) ?? 0) + 1);
    }
    const [id, count] = [...tally].sort((a, b) => b[1] - a[1])[0] ?? [0, 0];
    return { id, share: count / examples.length };
  };
  const current = share((e) => e.tokenIds[e.index]);
  const previous = share((e) => (e.index > 0 ? e.tokenIds[e.index - 1] : undefined));
  if (current.share >= CENSUS_AGREEMENT) return { kind: "token", token: decode(current.id) };
  if (previous.share >= CENSUS_AGREEMENT) return { kind: "previous token", token: decode(previous.id) };
  return { kind: "other" };
}

/** The metrics table of the card (the test reads these rows back). */
function metricsTable(m: SaeMetrics, trainingLog: { trainingTokens: number; seconds: number; backend: string }): string[] {
  const f = (x: number) => x.toFixed(4);
  return [
    "| metric | value |",
    "| --- | --- |",
    `| L0 | ${f(m.l0)} |`,
    `| variance explained | ${f(m.explainedVariance)} |`,
    `| MSE (per token, summed over d_in) | ${f(m.mse)} |`,
    `| CE loss, clean | ${f(m.ceLossWithoutSae)} |`,
    `| CE loss, SAE spliced in | ${f(m.ceLossWithSae)} |`,
    `| CE loss, resid zero-ablated | ${f(m.ceLossWithAblation)} |`,
    `| CE loss recovered | ${f(m.ceLossScore)} |`,
    `| dead features (held-out rows) | ${m.deadFeatures.length} |`,
    `| held-out tokens | ${m.tokens} |`,
    `| training tokens | ${trainingLog.trainingTokens} |`,
    `| training time | ${trainingLog.seconds} s (${trainingLog.backend}) |`,
  ];
}

/** Measures the SAE in `folder` and writes its README.md. */
export async function writeSaeCard(folder: string): Promise<void> {
  const recipe = SAE_RECIPE;
  const { data, tokenizer } = prepareData();
  const model = await loadModel(recipe.model);
  const sae = await loadSae(folder);
  const log = JSON.parse(fs.readFileSync(path.join(folder, "training-log.json"), "utf8"));
  const described = JSON.parse(
    fs.readFileSync(path.join(__dirname, "..", "..", "..", "training", "sae", "features.json"), "utf8"),
  ) as Record<string, string>;
  try {
    const rows = tf.tensor2d(readHeldoutRows(folder), undefined, "int32") as Tensor2D; // [rows, ctx]
    const metrics = saeMetrics(model, sae, rows, { ignoreTokens: [data.bos] });
    rows.dispose();
    const tail = heldoutTail(data.tokens, data.bos);
    const { counts, tokens } = firingCounts(model, sae, tail);
    const deadTail = counts.filter((c) => c === 0).length;
    const all = Array.from({ length: recipe.dSae }, (_, i) => i);
    const tops = await featureTopExamples(model, sae, tail, {
      features: all,
      k: CENSUS_EXAMPLES,
      contextTokens: 8,
      progress: false,
    });
    const decode = (id: number) => tokenizer.decode([id]);
    const kinds = tops.map((t) => classify(t, decode));
    const tally = (kind: FeatureKind["kind"]) => kinds.filter((k) => k.kind === kind).length;
    const lines = [
      `# ${recipe.name}`,
      "",
      `A TopK sparse autoencoder on the embedded \`${recipe.model}\` model's \`${recipe.hookName}\` — the residual stream`,
      "between layer 0 (whose heads include a previous-token head) and layer 1 (whose heads include the induction head).",
      "Trained with tslens's own engine (TensorFlow.js) by `npm run train -- sae` (training/sae/trainSae.ts); saved in",
      "SAELens's on-disk format (`cfg.json` + `sae_weights.safetensors`). Load it offline by name:",
      "",
      "```ts",
      `const model = await lens.loadModel("${recipe.model}");`,
      `const sae = await lens.loadSae("${recipe.name}");`,
      "```",
      "",
      "## Architecture",
      "",
      `TopK, d_in ${sae.cfg.dIn}, d_sae ${recipe.dSae} (${recipe.dSae / sae.cfg.dIn}× d_model), k = ${recipe.k}, \`apply_b_dec_to_input\`,`,
      "no input normalisation, decoder rows of unit norm. TopK fixes L0 at k by construction (no sparsity penalty to tune),",
      `and AuxK (the top ${recipe.kAux} latents among those silent for ${recipe.deadAfterTokens} training tokens reconstruct the`,
      `residual error, weight ${recipe.auxCoefficient.toFixed(5)}) keeps features from dying. Width 16×: the vocabulary has`,
      "1024 tokens and this residual stream carries both the current token and (from the previous-token head) the one before.",
      "",
      "## Training",
      "",
      `${log.steps} Adam steps (lr ${recipe.lr}, linear decay over the last ${recipe.decayShare * 100}%) of ${recipe.rows} corpus windows`,
      `of ${recipe.ctx} tokens (BOS first; BOS positions left out), activations computed fresh by the model each step:`,
      `${log.trainingTokens} training tokens from the Python standard library corpus (sha256 ${log.corpus.sha256.slice(0, 16)}…),`,
      `whose last ${recipe.heldoutTokens} tokens are held out. Seed ${recipe.seed}. ${log.seconds} s on ${log.backend}`,
      "(a shared 2-core machine). Loss curve: training-log.json.",
      "",
      "## Metrics on held-out text",
      "",
      `${recipe.heldoutRows} rows of ${recipe.ctx} tokens (heldout-tokens.json) from the held-out tail, BOS ignored,`,
      "measured by `lens.saeMetrics` (tests/sae/embeddedSae.test.ts recomputes them):",
      "",
      ...metricsTable(metrics, log),
      "",
      `Over the whole held-out tail (${tokens} tokens), ${deadTail} of ${recipe.dSae} features never fire.`,
      "",
      "## What the features are",
      "",
      `A census over the held-out tail: a feature with at least ${CENSUS_EXAMPLES} firings is called a *token* feature when`,
      `≥ ${CENSUS_AGREEMENT * 100}% of its top ${CENSUS_EXAMPLES} examples are one token, a *previous-token* feature when ≥`,
      `${CENSUS_AGREEMENT * 100}% of them follow one token. Token features: ${tally("token")}; previous-token features:`,
      `${tally("previous token")}; other: ${tally("other")}; fewer than ${CENSUS_EXAMPLES} firings: ${tally("rare")}.`,
      "",
    ];
    for (const [key, description] of Object.entries(described)) {
      const feature = Number(key);
      const top = tops[feature]!;
      const logits = featureLogits(model, sae, feature, { k: 6 });
      lines.push(`### Feature ${feature}`, "", description, "");
      lines.push(`Density on the held-out tail: ${((100 * counts[feature]!) / tokens).toFixed(2)}% of tokens. Top examples:`, "");
      for (const e of top.examples.slice(0, 6)) lines.push(`- ${e.activation.toFixed(2)}: ${showContext(e.tokens, e.index)}`);
      const list = (items: { token: string; value: number }[]) =>
        items.map((l) => `<code>${showToken(l.token)}</code> ${l.value.toFixed(2)}`).join(", ");
      lines.push("", `Promotes (W_dec · W_U): ${list(logits.top)}.`, "", `Suppresses: ${list(logits.bottom)}.`, "");
    }
    lines.push(
      "## Files",
      "",
      "- `cfg.json`, `sae_weights.safetensors`: the SAE in SAELens's format (W_enc, b_enc, W_dec, b_dec).",
      "- `heldout-tokens.json`: the held-out rows the metrics above are measured on.",
      "- `training-log.json`: recipe, corpus, loss curve (normalised MSE and AuxK loss every 50 steps).",
      "",
    );
    fs.writeFileSync(path.join(folder, "README.md"), lines.join("\n"));
    console.log(`wrote ${path.join(folder, "README.md")}`);
  } finally {
    sae.dispose();
    model.dispose();
  }
}

if (require.main === module) {
  writeSaeCard(path.join(REPO, "models", "saes", SAE_RECIPE.name)).catch((err) => {
    console.error(err);
    process.exit(1);
  });
}
