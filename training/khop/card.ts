/**
 * models/khop/task.json (the task's vocabulary and layout, which notebook 08 reads) and models/khop/MODEL_CARD.md,
 * written from each model's config.json and training-log.json.
 */
import * as fs from "fs";
import * as path from "path";
import { configFromJson } from "../../src/loading/config";
import { parameterShapes } from "../../src/loading/keymaps/native";
import { contextLength, KHOP_SPEC, khopVocab } from "./task";
import type { KhopCurvePoint, KhopModelSpec, KhopRecipe } from "./train";

/** What a model's training-log.json holds. */
interface KhopLog {
  spec: KhopModelSpec;
  recipe: KhopRecipe;
  backend: string;
  seconds: number;
  cpuSeconds: number;
  curve: KhopCurvePoint[];
}

/** Writes `dir`/task.json: the spec, the id of every token, and the layout of a context. */
export function writeTaskFile(dir: string): void {
  const vocab = khopVocab(KHOP_SPEC);
  const task = {
    ...KHOP_SPEC,
    contextLength: contextLength(KHOP_SPEC),
    names: vocab.names,
    bos: vocab.bos,
    separator: vocab.separator,
    hop: vocab.hop,
    layout:
      "<bos>, then every link as `src tgt ;` in random order (the links form disjoint cycles), then k, then the query; the answer is predicted at the query's position",
  };
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(path.join(dir, "task.json"), JSON.stringify(task, null, 1) + "\n");
}

/**
 * Writes `folder`/tokenizer.json and tokenizer_config.json: one token per name of the task's vocabulary, split at
 * whitespace ("<bos> A B ; 2 A"), with "<bos>" as the BOS token, so that texts and token strings work on the models.
 */
export function writeTokenizer(folder: string): void {
  const vocab = khopVocab(KHOP_SPEC);
  const tokenizer = {
    version: "1.0",
    truncation: null,
    padding: null,
    added_tokens: [
      { id: vocab.bos, content: "<bos>", single_word: false, lstrip: false, rstrip: false, normalized: false, special: true },
    ],
    normalizer: null,
    pre_tokenizer: { type: "WhitespaceSplit" },
    post_processor: null,
    decoder: null,
    model: {
      type: "BPE",
      dropout: null,
      unk_token: null,
      fuse_unk: false,
      byte_fallback: false,
      vocab: Object.fromEntries(vocab.names.map((n, i) => [n, i])),
      merges: [],
    },
  };
  fs.writeFileSync(path.join(folder, "tokenizer.json"), JSON.stringify(tokenizer) + "\n");
  fs.writeFileSync(path.join(folder, "tokenizer_config.json"), JSON.stringify({ bos_token: "<bos>" }) + "\n");
}

/** Number of stored parameters of the model in `folder` (W_U counted: it is saved, a copy of W_Eᵀ). */
export function parameterCount(folder: string): number {
  const cfg = configFromJson(JSON.parse(fs.readFileSync(path.join(folder, "config.json"), "utf8")), folder);
  let total = 0;
  for (const [, shape] of parameterShapes(cfg)) total += shape.reduce((a, b) => a * b, 1);
  return total;
}

/** Parameters of the attention layers alone (W_Q, W_K, W_V, W_O and their biases). */
function attentionCount(folder: string): number {
  const cfg = configFromJson(JSON.parse(fs.readFileSync(path.join(folder, "config.json"), "utf8")), folder);
  let total = 0;
  for (const [name, shape] of parameterShapes(cfg)) if (/\.attn\./.test(name)) total += shape.reduce((a, b) => a * b, 1);
  return total;
}

/** Writes `dir`/MODEL_CARD.md from the models found under `dir`. */
export async function writeKhopCard(dir: string): Promise<void> {
  const names = fs
    .readdirSync(dir)
    .filter((n) => fs.existsSync(path.join(dir, n, "training-log.json")))
    .sort();
  const rows = names.map((name) => {
    const folder = path.join(dir, name);
    const log = JSON.parse(fs.readFileSync(path.join(folder, "training-log.json"), "utf8")) as KhopLog;
    const last = log.curve[log.curve.length - 1];
    const bytes = fs.statSync(path.join(folder, "model.safetensors")).size;
    return { name, log, last, bytes, params: parameterCount(folder), attention: attentionCount(folder) };
  });
  const recipe = rows[0]?.log.recipe;
  const pct = (x: number) => `${(100 * x).toFixed(1)} %`;
  const lines = [
    "# k-hop models (notebook 08: depth bounds the number of moves)",
    "",
    "Tiny attention-only transformers trained on tslens's own engine by `npm run train -- khop`",
    '(training/khop/train.ts), for notebooks/08-depth.ipynb. Load one with `lens.loadModel("<path>/models/khop/depth-2")`.',
    "",
    "## Task",
    "",
    `A context of ${contextLength(KHOP_SPEC)} tokens: \`<bos>\`, then ${KHOP_SPEC.cycles.reduce((a, b) => a + b, 0)} links written`,
    `\`src tgt ;\` in random order, then ${KHOP_SPEC.questions} questions \`k query\`. The links form disjoint cycles of`,
    `${KHOP_SPEC.cycles.join(" and ")} links over symbols drawn from ${KHOP_SPEC.nSymbols} ("A" … "X"), so every linked symbol has one link`,
    "out and one in. Each answer, predicted at its query's position, is the symbol reached from the query by following",
    "k links (k = 1 … 3). Vocabulary and ids: task.json; every model folder has a tokenizer of those 29 tokens.",
    "Training: questions draw k = 1 only for the first steps, then k = 1 or 2, then k = 1, 2 or 3 (a curriculum: while no",
    "hop works, questions with k ≥ 2 only add noise; on k = 1, 2, 3 mixed from the start a 2-layer model was still at",
    "chance after 1500 steps). The loss is the cross-entropy of the answers at the query positions plus that of each",
    "link's source predicted at its target (a previous-token task that forms layer 0's previous-token head quickly).",
    "",
    "## Models and training",
    "",
    recipe
      ? `d_model ${recipe.dModel}, d_head ${recipe.dHead}, LayerNorm, shortformer positions, ${recipe.tiedEmbeddings ? "tied embeddings (W_U saved as W_Eᵀ)" : "untied embeddings"}. ` +
        `Adam (β 0.9, 0.99), lr ${recipe.lr} with ${recipe.warmup} warm-up steps, then linear decay to ${recipe.finalLrShare * 100} %; ` +
        `${recipe.steps} steps of ${recipe.batch} contexts (${recipe.batch * KHOP_SPEC.questions} questions); curriculum ` +
        recipe.curriculum.map((c) => `k ∈ {${c.ks.join(", ")}} from step ${c.fromStep}`).join(", ") +
        `; seed ${recipe.seed} (every model sees the same batches).`
      : "",
    ...rows
      .filter((r) => r.log.spec.schedule)
      .map(
        (r) =>
          `${r.name} has a schedule of its own: ${r.log.recipe.steps} steps, curriculum ` +
          r.log.recipe.curriculum.map((c) => `k ∈ {${c.ks.join(", ")}} from step ${c.fromStep}`).join(", ") +
          (r.log.recipe.firstHopLensWeight
            ? `, and a third loss (weight ${r.log.recipe.firstHopLensWeight}): at every query, the residual stream after layer ` +
              `${r.log.spec.nLayers - 2} read through ln_final and W_U (the logit lens) predicts the first hop's symbol, so the ` +
              "last layer is left for the second hop. Without it (answers and sources only, 2400 steps, k = 2 from step 1000) " +
              "depth-3 learnt its first hop but not its second: k = 2 at 10 % after 1400 steps with k = 2 questions."
            : " (with the common schedule its first hop had not formed after 1600 steps: k = 1 at 12 %)."),
      ),
    "",
    "| model | layers × heads | parameters | attention parameters | file | steps | training (CPU, wall on a shared machine) | accuracy k = 1 | k = 2 | k = 3 |",
    "|---|---|---|---|---|---|---|---|---|---|",
    ...rows.map(
      (r) =>
        `| ${r.name} | ${r.log.spec.nLayers} × ${r.log.spec.nHeads} | ${r.params} | ${r.attention} | ${(r.bytes / 1024).toFixed(0)} KiB | ${r.log.recipe.steps} | ` +
        `${r.log.cpuSeconds} s CPU, ${r.log.seconds} s (${r.log.backend}) | ${r.last.accuracy.map(pct).join(" | ")} |`,
    ),
    "",
    `Accuracy: argmax at the query positions on ${recipe ? (recipe.validationContexts * KHOP_SPEC.questions) / KHOP_SPEC.maxK : "?"} held-out questions per k (seed ${recipe ? recipe.seed + 1 : "?"}),`,
    "after the last step. Chance is about 1/9 (the linked symbols other than the query). The notebook measures its own fresh",
    "test set; each model's training-log.json holds the loss and this accuracy every 100 steps.",
    "",
  ];
  fs.writeFileSync(path.join(dir, "MODEL_CARD.md"), lines.join("\n"));
}
