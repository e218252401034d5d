/**
 * <tslens-logit-lens>: what the residual stream predicts after each layer, live in any page. A layer × position grid:
 * each cell the top next token of that layer at that position, on its probability's colour; hovering a cell lists
 * the top k with their probabilities; a cell whose top prediction is the actual next token is underlined. The
 * numbers are logitLensTopK's (src/analysis/logitLens.ts), the code behind the kernel's logitLens view, on one run
 * that keeps only the hooks the lens reads.
 *
 *   <tslens-logit-lens model="attn-only-2l" prompt="def add(a, b): return a + b" top-k="5"></tslens-logit-lens>
 *
 * Attributes (a change recomputes): model (an embedded model, default attn-only-2l), prompt (required), top-k (predictions per
 * cell, default 5), theme ("light" or "dark"; default the reader's system setting). Events: tslens-computed with a
 * LogitLensResult, tslens-error with { message } (see base.ts).
 */
import { colorOf, cssColor } from "../../../src/common/draw/colors";
import type { Theme } from "../../../src/common/draw/colors";
import { displayToken, formatValue } from "../../../src/common/draw/tokens";
import { logitLensHooks, logitLensTopK } from "../../../src/analysis/logitLens";
import type { HookedTransformer } from "../../../src/model/hookedTransformer";
import { textColorOn } from "../../../src/common/draw/colors";
import { LiveElement, make } from "./base";

/** What <tslens-logit-lens> shows, as numbers (the detail of its tslens-computed event). */
export interface LogitLensResult {
  model: string;
  prompt: string;
  /** Row labels: "0_pre" … "final_post". */
  labels: string[];
  /** The prompt's token ids [pos] (after a BOS) and their display text. */
  tokens: number[];
  strTokens: string[];
  /** The k most probable next tokens [layer][pos][k]: ids, display text, probabilities (descending). */
  topTokens: number[][][];
  topStrTokens: string[][][];
  topProbs: number[][][];
  /** Milliseconds the computation took. */
  ms: number;
}

/** The top-k attribute: a whole number from 1 to the model's output vocabulary (default 5). */
function topKOf(text: string | null, vocabulary: number): number {
  if (text === null || text === "") return 5;
  const k = Number(text);
  if (!Number.isInteger(k) || k < 1 || k > vocabulary)
    throw new Error(`top-k must be a whole number from 1 to ${vocabulary}, got ${JSON.stringify(text)}`);
  return k;
}

/** The <tslens-logit-lens> element (see the file's comment). */
export class LogitLensElement extends LiveElement<LogitLensResult> {
  static get observedAttributes(): string[] {
    return [...LiveElement.baseAttributes, "top-k"];
  }

  protected compute(model: HookedTransformer): LogitLensResult {
    const started = performance.now();
    if (this.prompt === "") throw new Error("the logit lens needs a prompt: type some text"); // as the kernel's view
    const topK = topKOf(this.getAttribute("top-k"), model.cfg.dVocabOut);
    const tokenizer = model.tokenizer;
    if (!tokenizer) throw new Error(`${this.modelName} has no tokenizer, and the logit lens shows token text`);
    const { cache } = model.runWithCache(this.prompt, { namesFilter: logitLensHooks(model.cfg.nLayers), returnType: "none" });
    try {
      const lens = logitLensTopK(model, cache, { topK });
      // Token text as the kernel's view shows it: the tokenizer's display strings (byte pieces as <0xNN>).
      const text = new Map<number, string>();
      const shown = (id: number) => text.get(id) ?? text.set(id, tokenizer.displayStrings([id])[0]).get(id)!;
      return {
        model: this.modelName,
        prompt: this.prompt,
        labels: lens.labels,
        tokens: lens.tokens,
        strTokens: lens.tokens.map(shown),
        topTokens: lens.topTokens,
        topStrTokens: lens.topTokens.map((layer) => layer.map((cells) => cells.map(shown))),
        topProbs: lens.topProbs,
        ms: performance.now() - started,
      };
    } finally {
      cache.dispose();
    }
  }

  protected draw(result: LogitLensResult, theme: Theme): void {
    const table = make("table", "lens");
    table.createCaption().textContent = "top next token after each layer (hover a cell for the top k)";
    const header = table.createTHead().insertRow();
    header.append(make("th", "", "layer \\ token"));
    result.strTokens.forEach((token, p) => {
      const th = make("th", "position", displayToken(token));
      th.title = `position ${p}: ${displayToken(token)}`;
      header.append(th);
    });
    const body = table.createTBody();
    result.labels.forEach((label, l) => {
      const row = body.insertRow();
      row.append(make("th", "", label));
      result.strTokens.forEach((_, p) => {
        const probability = result.topProbs[l][p][0];
        const background = colorOf(probability, 0, 1, theme);
        const cell = row.insertCell();
        cell.textContent = displayToken(result.topStrTokens[l][p][0]);
        cell.style.background = cssColor(background);
        cell.style.color = cssColor(textColorOn(background));
        const next = result.tokens[p + 1];
        if (next !== undefined && result.topTokens[l][p][0] === next) cell.classList.add("next");
        const list = result.topStrTokens[l][p].map((t, k) => `${displayToken(t)} ${formatValue(result.topProbs[l][p][k])}`);
        cell.title = `${label}, after ${displayToken(result.strTokens[p])} (${p}):\n${list.join("\n")}`;
      });
    });
    const next = make("tr", "actual");
    next.append(make("th", "", "actual next"));
    result.strTokens.forEach((_, p) =>
      next.append(make("td", "", p + 1 < result.strTokens.length ? displayToken(result.strTokens[p + 1]) : "")),
    );
    body.append(next);
    this.view.replaceChildren(table);
  }

  protected styleText(): string {
    return `
      .view { overflow-x: auto; }
      table.lens td { padding: 0.15rem 0.35rem; font: 12px ui-monospace, monospace; white-space: pre; text-align: center; }
      table.lens th.position { font: 12px ui-monospace, monospace; white-space: pre; }
      table.lens td.next { text-decoration: underline; font-weight: 700; }
      tr.actual td { opacity: 0.75; }
    `;
  }
}
