/**
 * Every example notebook in notebooks/ runs to the end on the tslens kernel with
 * nbclient (as `jupyter nbconvert --execute` would), stores its widget state for
 * static views, and exports to HTML with the widget scripts. Each notebook runs once; the
 * outputs committed with it must have the same kinds, cell by cell, as the outputs of this run.
 */
import { strict as assert } from "assert";
import { execFileSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { REPO_ROOT, venvBin } from "../support/paths";

interface NotebookSummary {
  path: string;
  error: string | null;
  error_outputs: unknown[];
  widget_views: string[];
  texts: string[];
  widget_state: {
    version_major?: number;
    version_minor?: number;
    state?: Record<string, { model_name: string; state: Record<string, unknown> }>;
  };
  html_has_state_script: boolean;
  html_view_scripts: number;
  /** The MIME types of each output that shows a widget view. */
  view_outputs: string[][];
  /** True when the HTML export holds an <img src=x …> element (markup from token text). */
  html_has_markup_from_tokens: boolean;
  /** Per code cell, its outputs' kinds ("stream stdout", "display_data image/png text/plain …") as committed… */
  committed_structure: string[][];
  /** …and as this run made them. */
  executed_structure: string[][];
}

describe("example notebooks under nbclient", function () {
  this.timeout(600_000);
  const notebooks = fs
    .readdirSync(path.join(REPO_ROOT, "notebooks"))
    .filter((f) => f.endsWith(".ipynb"))
    .map((f) => path.join(REPO_ROOT, "notebooks", f));
  let summaries: NotebookSummary[];

  before(function () {
    assert.ok(notebooks.length > 0, "notebooks/ has no notebooks");
    const outDir = fs.mkdtempSync(path.join(os.tmpdir(), "tslens-notebooks-"));
    const stdout = execFileSync(
      venvBin("python"),
      [path.join(REPO_ROOT, "tests", "jupyter", "run_notebooks.py"), outDir, ...notebooks],
      {
        encoding: "utf8",
        maxBuffer: 256 * 1024 * 1024,
        timeout: 590_000,
        env: { ...process.env, TSLENS_NB09_MODEL: "attn-only-2l" }, // 09 runs gpt2 from the hub unless given a stand-in
      },
    );
    summaries = JSON.parse(stdout);
  });

  it("runs every notebook without errors", function () {
    for (const s of summaries) {
      assert.equal(s.error, null, `${s.path}: ${s.error}`);
      assert.deepEqual(s.error_outputs, [], `${s.path} has error outputs`);
    }
  });

  it("the outputs committed with each notebook are of the kinds this run makes, cell by cell (npm run notebooks)", function () {
    for (const s of summaries) {
      const name = path.basename(s.path);
      assert.equal(s.committed_structure.length, s.executed_structure.length, name);
      s.executed_structure.forEach((kinds, i) =>
        assert.deepEqual(
          s.committed_structure[i],
          kinds,
          `${name}, code cell ${i + 1}: committed outputs are stale (run npm run notebooks)`,
        ),
      );
    }
  });

  it("stores widget state (version 2.0) with every displayed model and _model_name on each", function () {
    for (const s of summaries) {
      if (s.widget_views.length === 0) continue;
      assert.equal(s.widget_state.version_major, 2, s.path);
      assert.equal(s.widget_state.version_minor, 0, s.path);
      const state = s.widget_state.state ?? {};
      for (const id of s.widget_views) assert.ok(state[id], `${s.path}: displayed model ${id} missing from saved state`);
      for (const [id, model] of Object.entries(state)) {
        assert.equal(typeof model.state._model_name, "string", `${s.path}: model ${id} lacks _model_name`);
        assert.equal(model.model_name, model.state._model_name);
      }
    }
  });

  it("exports to HTML with the widget state and one view script per widget output", function () {
    for (const s of summaries) {
      if (s.widget_views.length === 0) continue;
      assert.ok(s.html_has_state_script, `${s.path}: no widget-state script in HTML`);
      assert.equal(s.html_view_scripts, s.widget_views.length, s.path);
    }
  });

  it("01-widgets: kernel-side changes are saved, e.g. the slider set to 5 by the last cell", function () {
    const s = summaries.find((x) => x.path.endsWith("01-widgets.ipynb"));
    assert.ok(s, "01-widgets.ipynb missing");
    const sliders = Object.values(s.widget_state.state ?? {}).filter((m) => m.model_name === "IntSliderModel");
    assert.equal(sliders.length, 1);
    assert.equal(sliders[0].state.value, 5);
    assert.ok(s.texts.includes("5"), `last cell should print 5, got ${JSON.stringify(s.texts)}`);
    const html = Object.values(s.widget_state.state ?? {}).find((m) => m.model_name === "HTMLModel");
    assert.equal(html?.state.value, "<b>layer 5, head 0</b>");
  });

  it("02-induction-needs-two-layers: prints a score line per head of both models and frees every tensor", function () {
    const s = summaries.find((x) => x.path.endsWith("02-induction-needs-two-layers.ipynb"));
    assert.ok(s, "02-induction-needs-two-layers.ipynb missing");
    const printed = s.texts.join("\n");
    for (const head of ["L0H0", "L1H3"])
      assert.match(printed, new RegExp(`${head}\\s+previous-token \\d\\.\\d\\d\\s+induction \\d\\.\\d\\d`));
    assert.equal((printed.match(/loss on the first copy \d+\.\d\d, on the second \d+\.\d\d/g) ?? []).length, 2, printed);
    assert.equal(s.texts[s.texts.length - 1], "0", "tensors left after disposing both models");
  });

  it("02-induction-needs-two-layers: the printed numbers say what the notebook says (two layers induct, one does not)", function () {
    const s = summaries.find((x) => x.path.endsWith("02-induction-needs-two-layers.ipynb"))!;
    /** The scores and losses one scores(...) cell printed. */
    const parse = (text: string) => {
      const heads = [...text.matchAll(/^L(\d+)H(\d+)\s+previous-token (\d\.\d\d)\s+induction (\d\.\d\d)$/gm)].map((m) => ({
        layer: Number(m[1]),
        previous: Number(m[3]),
        induction: Number(m[4]),
      }));
      const loss = /loss on the first copy (\d+\.\d\d), on the second (\d+\.\d\d)/.exec(text)!;
      return { heads, first: Number(loss[1]), second: Number(loss[2]) };
    };
    const [two, one] = s.texts.filter((t) => t.includes("loss on the first copy")).map(parse);
    assert.deepEqual([two.heads.length, one.heads.length], [8, 4], "2 × 4 and 1 × 4 heads");
    const best = (heads: typeof two.heads, layer: number, key: "previous" | "induction") =>
      Math.max(...heads.filter((h) => h.layer === layer).map((h) => h[key]));
    // Two layers: a previous-token head in layer 0, an induction head in layer 1, and the repeat predicted.
    assert.ok(best(two.heads, 0, "previous") >= 0.9, `2-layer previous-token ${best(two.heads, 0, "previous")}`);
    assert.ok(best(two.heads, 1, "induction") >= 0.5, `2-layer induction ${best(two.heads, 1, "induction")}`);
    assert.ok(two.second < 0.25 * two.first, `2-layer loss ${two.first} → ${two.second}: a fraction on the second copy`);
    // One layer: no head attends to the token after the earlier copy, and the repeat helps little.
    assert.ok(best(one.heads, 0, "induction") < 0.1, `1-layer induction ${best(one.heads, 0, "induction")}`);
    assert.ok(one.second > 0.8 * one.first, `1-layer loss ${one.first} → ${one.second}: far less gain`);
  });

  it("03-heads-patching-flops: detector grids, logit lens, patching equal in both modes, FLOP table, every tensor freed", function () {
    const s = summaries.find((x) => x.path.endsWith("03-heads-patching-flops.ipynb"));
    assert.ok(s, "03-heads-patching-flops.ipynb missing");
    const printed = s.texts.join("\n");
    for (const head of ["previous_token_head", "duplicate_token_head", "induction_head", "induction score", "final_post"])
      assert.ok(printed.includes(head), `${head} missing from:\n${printed}`);
    assert.match(printed, /induction loss \d+\.\d{3} nats\/token/);
    const diff = /largest difference batched vs loop: (\S+)/.exec(printed);
    assert.ok(diff && Number(diff[1]) <= 1e-5, `batched vs loop: ${diff?.[1]}`);
    assert.match(printed, /QK\s+\d+\.\d MFLOP/);
    assert.equal(s.texts[s.texts.length - 1], "0", "tensors left at the end");
  });

  it("04-views: every tslens view saves its state, and each output carries a PNG and a text line besides the view", function () {
    const s = summaries.find((x) => x.path.endsWith("04-views.ipynb"));
    assert.ok(s, "04-views.ipynb missing");
    const models = Object.values(s.widget_state.state ?? {}).map((m) => m.model_name);
    for (const name of ["AttentionPatternsModel", "HeadScoresModel", "ColoredTokensModel", "LogitLensModel"])
      assert.ok(models.includes(name), `${name} not in the saved state: ${models.join(", ")}`);
    const patterns = Object.values(s.widget_state.state ?? {}).find((m) => m.model_name === "AttentionPatternsModel")!;
    assert.equal(patterns.state._model_module, "tslens-widgets");
    assert.ok(s.view_outputs.length >= 5, `${s.view_outputs.length} view outputs`);
    for (const mimes of s.view_outputs) {
      if (!mimes.includes("image/png")) continue; // standard controls carry no snapshot
      assert.ok(mimes.includes("text/plain"), mimes.join(", "));
    }
    assert.equal(s.view_outputs.filter((m) => m.includes("image/png")).length, 5, "5 tslens views with a PNG");
    assert.ok(!s.html_has_markup_from_tokens, "the HTML export contains markup made from token text");
    // attentionPatterns({ cache }): both layers' heads, over the run's own tokens (as many as the first cell printed).
    assert.deepEqual(patterns.state.head_names, ["L0H0", "L0H1", "L0H2", "L0H3", "L1H0", "L1H1", "L1H2", "L1H3"]);
    const tokens = patterns.state.tokens as string[];
    assert.equal(String(tokens.length), s.texts[0], "the first cell prints the run's token count");
    assert.ok(tokens.slice(1).join("").startsWith("<img src=x onerror=alert(1)> Mr and Mrs"), JSON.stringify(tokens.slice(0, 8)));
    assert.ok(s.texts.includes("'done'"), JSON.stringify(s.texts));
  });

  it("06-mlps: the FLOP table (OPT-175B under 80 %, Llama 3 above it in weight products), neurons, the loss ordering, every tensor freed", function () {
    const s = summaries.find((x) => x.path.endsWith("06-mlps.ipynb"));
    assert.ok(s, "06-mlps.ipynb missing");
    const printed = s.texts.join("\n");
    // model, context, then the MLP share of all FLOPs, without the unembedding, of attention + MLP, of the weight products
    const shares = new Map(
      [
        ...printed.matchAll(/^(\S+(?: \S+)*?)\s+(\d+)\s+[\d.]+B\s+[\d.]+\s+([\d.]+) %\s+([\d.]+) %\s+([\d.]+) %\s+([\d.]+) %$/gm),
      ].map((m) => [m[1], m.slice(3, 7).map(Number)]),
    );
    assert.equal(shares.size, 15, `15 models in the FLOP table:\n${printed}`);
    const opt = shares.get("OPT-175B")!;
    assert.ok(
      opt.every((x) => x > 60 && x < 80),
      `OPT-175B: ${opt}`,
    );
    for (const [name, row] of shares)
      if (!name.startsWith("Llama")) assert.ok(Math.abs(row[3] - 66.7) <= 0.15, `${name}: weight products ${row[3]} %`);
    for (const name of ["Llama 3 8B", "Llama 3 70B"]) assert.ok(shares.get(name)![3] > 80, `${name}: ${shares.get(name)}`);
    assert.equal((printed.match(/^L[01]N\d+ \(variance \d+\.\d\d\)/gm) ?? []).length, 4, printed);
    for (const m of printed.matchAll(
      /beats (\d+\.\d) % of the vocabulary in this output's logits \((\d+\.\d) % at every position\)/g,
    ))
      assert.ok(Number(m[1]) > Number(m[2]), m[0]);
    const losses = [...printed.matchAll(/^(layer 0|layer 1|both layers)((?:\s+\d+\.\d{3}){5})$/gm)].map((m) =>
      m[2].trim().split(/\s+/).map(Number),
    );
    assert.equal(losses.length, 3, `the loss table:\n${printed}`);
    for (const [real, fit, tangent, mean, zero] of losses)
      assert.ok(real < fit && fit < Math.min(tangent, mean, zero), `${[real, fit, tangent, mean, zero]}`);
    assert.equal(
      s.view_outputs.filter((m) => m.includes("image/png")).length,
      2,
      "the FLOP plot and the coloured tokens carry PNGs",
    );
    assert.equal(s.texts[s.texts.length - 1], "0", "tensors left at the end");
  });

  it("07-layernorm: folding measured on every embedded model and architecture within float32 rounding, the direction table, every tensor freed", function () {
    const s = summaries.find((x) => x.path.endsWith("07-layernorm.ipynb"));
    assert.ok(s, "07-layernorm.ipynb missing");
    const printed = s.texts.join("\n");
    const gaps = new Map(
      [...printed.matchAll(/^(\S+)(?: \*)?\s+(?:LN|RMS) → (?:LN|LNPre|RMSPre)\s+(\d\.\de[-+]\d+)/gm)].map((m) => [
        m[1],
        Number(m[2]),
      ]),
    );
    const families = ["gpt2", "neox", "llama", "qwen2", "qwen3", "mistral", "phi3", "gemma", "gemma2", "gemma3", "olmo2"];
    for (const name of ["attn-only-1l", "attn-only-2l", ...families.map((f) => `${f}-tiny`)])
      assert.ok(gaps.has(name), `${name} missing from the folding table:\n${printed}`);
    for (const [name, gap] of gaps) assert.ok(gap <= 3e-5, `${name}: processing moved log-probs by ${gap}`);
    // the all-ones direction is removed at every norm; basis and random rows are printed for each
    const ones = [...printed.matchAll(/^(\S+)\s+all-ones\s+— \(nothing left\)\s+(\S+)/gm)];
    assert.deepEqual(
      ones.map((m) => m[1]),
      ["blocks.0.ln1", "blocks.1.ln1", "ln_final"],
    );
    for (const m of ones) assert.ok(Number(m[2]) <= 1e-5, `${m[1]}: ${m[2]} left along the all-ones direction`);
    assert.equal((printed.match(/^\S+\s+(basis|random)\s+\d\.\d{3} \(/gm) ?? []).length, 6, printed);
    assert.match(printed, /normalise\(xH\) vs normalise\(x\)H: max \|Δ\| \d\.\de-\d+/);
    const plots = s.view_outputs.filter((m) => m.includes("image/png"));
    assert.equal(plots.length, 1, "the hook_scale plot carries a PNG");
    assert.equal(s.texts[s.texts.length - 1], "0", "tensors left at the end");
  });

  it("09-gpt2-head-4-11 on the stand-in attn-only-2l: the previous-token head L0H1, its key reader L1H1 loses induction when it is ablated, every tensor freed", function () {
    const s = summaries.find((x) => x.path.endsWith("09-gpt2-head-4-11.ipynb"));
    assert.ok(s, "09-gpt2-head-4-11.ipynb missing");
    // the environment variable reached the kernel: the first cell names the stand-in
    assert.match(s.texts[0], /^model: attn-only-2l \(a stand-in for gpt2, named by TSLENS_NB09_MODEL\); 2 layers × 4 heads/);
    const printed = s.texts.join("\n");
    const ranked = [...printed.matchAll(/^(L\dH\d)\s+(\d\.\d{3})$/gm)].map((m) => [m[1], Number(m[2])] as const);
    assert.equal(ranked.length, 5, `the five highest previous-token scores:\n${printed}`);
    assert.equal(ranked[0][0], "L0H1", "the previous-token head notebooks 02 and 05 find");
    assert.ok(ranked[0][1] > 0.9, `L0H1 scores ${ranked[0][1]} on English text`);
    // composition of L0H1 into each layer-1 head (Q K V), then the ablation table (clean, ablated, drop, moved, K)
    const composition = new Map(
      [...printed.matchAll(/^(L1H\d)\s+(\d\.\d{3})\s+(\d\.\d{3})\s+(\d\.\d{3})$/gm)].map((m) => [
        m[1],
        m.slice(2, 5).map(Number),
      ]),
    );
    assert.equal(composition.size, 4, printed);
    const baseline = Number(/random matrices: (\d\.\d{3})/.exec(printed)?.[1]);
    assert.ok(Math.abs(baseline - 1 / Math.sqrt(128)) < 0.01, `random baseline ${baseline}`);
    const byK = [...composition].sort((a, b) => b[1][1] - a[1][1]);
    assert.equal(byK[0][0], "L1H1", `largest K-composition: ${byK[0][0]}`);
    assert.ok(byK[0][1][1] > 1.5 * baseline, `L0H1 → L1H1 K-composition ${byK[0][1][1]} against random ${baseline}`);
    const ablation = new Map(
      [...printed.matchAll(/^(L1H\d)\s+(\d\.\d{3}) → (\d\.\d{3})\s+(-?\d\.\d{3})\s+(\d\.\d{3})\s+(\d\.\d{3})$/gm)].map((m) => [
        m[1],
        m.slice(2, 7).map(Number),
      ]),
    );
    assert.equal(ablation.size, 4, printed);
    const [clean, ablated, , moved] = ablation.get("L1H1")!;
    assert.ok(clean > 0.8 && ablated < 0.2, `L1H1 induction ${clean} → ${ablated}`);
    for (const [head, row] of ablation) if (head !== "L1H1") assert.ok(row[2] < 0.1 && row[3] < moved, `${head}: ${row}`);
    const loss = /on the second (\d+\.\d{3}) → (\d+\.\d{3}) nats\/token/.exec(printed)!;
    assert.ok(Number(loss[2]) > 3 * Number(loss[1]), loss[0]);
    assert.match(printed, /^the same head both ways\s+yes \(checked\)$/m);
    assert.equal(s.view_outputs.filter((m) => m.includes("image/png")).length, 3, "three plots with PNGs");
    assert.equal(s.texts[s.texts.length - 1], "0", "tensors left at the end");
  });

  it("10-sparse-autoencoders: the embedded SAE's held-out metrics, induction features found by attribution, ablated and steered, every tensor freed", function () {
    const s = summaries.find((x) => x.path.endsWith("10-sparse-autoencoders.ipynb"));
    assert.ok(s, "10-sparse-autoencoders.ipynb missing");
    const printed = s.texts.join("\n");
    const metrics = /tokens 8160, L0 (\d+\.\d{3}), variance explained (\d\.\d{4})/.exec(printed);
    assert.ok(metrics, printed);
    assert.equal(Number(metrics[1]), 16);
    assert.ok(Number(metrics[2]) > 0.95, `variance explained ${metrics[2]}`);
    assert.ok(Number(/→ recovered (\d\.\d{4})/.exec(printed)![1]) > 0.97, "CE loss recovered");
    assert.match(printed, /logits: max \|difference\| \d\.\de-[4-9]/, "the error-term splice leaves the logits as they were");
    const attributions = [...printed.matchAll(/^position\s+(\d+) .*feature\s+(\d+)\s+attribution (\d+\.\d\d)$/gm)].map((m) =>
      Number(m[1]),
    );
    assert.equal(attributions.length, 8, printed);
    assert.ok(
      attributions.slice(0, 5).every((pos) => pos === 6 || pos === 24),
      `top attributions at ${attributions}`,
    );
    const steered = [...printed.matchAll(/× ([\d.]+) at position 6: p\(ul\) = (\d\.\d{3})/g)].map((m) => [
      Number(m[1]),
      Number(m[2]),
    ]);
    assert.equal(steered.length, 9, printed);
    const p = new Map(steered.map(([f, v]) => [f, v]));
    assert.ok(p.get(0)! < 0.01 && p.get(1)! > 0.2 && p.get(1.5)! > p.get(1)!, `p(ul) by factor: ${JSON.stringify(steered)}`);
    assert.equal(
      s.view_outputs.filter((m) => m.includes("image/png")).length,
      3,
      "the steering plot and the two feature views, with PNGs",
    );
    assert.match(printed, /^SaeFeatures\(25 tokens at blocks\.1\.hook_resid_pre; feature 2045: max [\d.]+ at ul/m);
    assert.match(printed, /^FeatureDashboard\(feature 19 of the topk SAE .*top activation [\d.]+ at "ser"; promotes "par"/m);
    assert.equal(s.texts[s.texts.length - 1], "0", "tensors left at the end");
  });

  it("08-depth: the accuracy table by depth × k says what the notebook says (one hop needs two layers, two hops three; twelve heads in one layer answer nothing), every tensor freed", function () {
    const s = summaries.find((x) => x.path.endsWith("08-depth.ipynb"));
    assert.ok(s, "08-depth.ipynb missing");
    const printed = s.texts.join("\n");
    // the accuracy table: model, then the accuracy for k = 1, 2, 3
    const table = new Map(
      [...printed.matchAll(/^(depth-\d|wide-\dx\d+)\s+(\d+\.\d) %\s+(\d+\.\d) %\s+(\d+\.\d) %$/gm)].map((m) => [
        m[1],
        [Number(m[2]), Number(m[3]), Number(m[4])],
      ]),
    );
    assert.deepEqual([...table.keys()], ["depth-1", "depth-2", "depth-3", "wide-1x12", "wide-2x6"], printed);
    const chance = (x: number) => x < 20; // one of 9 symbols: about 11 %
    for (const name of ["depth-1", "wide-1x12"]) assert.ok(table.get(name)!.every(chance), `${name}: ${table.get(name)}`);
    // two layers follow one link and no more; three layers follow two and no more
    for (const name of ["depth-2", "wide-2x6"]) {
      const [k1, k2, k3] = table.get(name)!;
      assert.ok(k1 >= 95 && chance(k2) && chance(k3), `${name}: ${table.get(name)}`);
    }
    const [d3k1, d3k2, d3k3] = table.get("depth-3")!;
    assert.ok(d3k1 >= 95 && d3k2 >= 90 && chance(d3k3), `depth-3: ${table.get("depth-3")}`);
    // where the heads look (per layer: link tgt → src, k = 1 query → hop 1, k ≥ 2 query → hop 1, → hop 2, → unused):
    // a previous-token head in layer 0, the hop in layer 1 of depth-2 and of depth-3, the second hop in depth-3's layer 2
    const layer = (model: string, l: number) =>
      new RegExp(`^${model}:[^]*?^${l}${"\\s+L\\dH\\d (\\d\\.\\d\\d)".repeat(5)}$`, "m").exec(printed)!.slice(1).map(Number);
    for (const model of ["depth-2", "depth-3"]) {
      const [previous] = layer(model, 0);
      const [, hop1, , , unused] = layer(model, 1);
      assert.ok(previous > 0.8 && hop1 > 0.4 && unused < 0.1, `${model}: previous ${previous}, hop 1 ${hop1}, unused ${unused}`);
    }
    const [, , hop1Later] = layer("depth-3", 1);
    assert.ok(hop1Later > 0.4, `depth-3 layer 1 makes the first hop when k ≥ 2 too: ${hop1Later}`);
    const [, , , hop2, unusedLate] = layer("depth-3", 2);
    assert.ok(hop2 > 0.3 && hop2 > 2 * unusedLate, `depth-3 layer 2: hop 2 ${hop2}, unused ${unusedLate}`);
    assert.equal(s.view_outputs.filter((m) => m.includes("image/png")).length, 1, "the accuracy plot carries a PNG");
    assert.equal(s.texts[s.texts.length - 1], "0", "tensors left at the end");
  });
});
