/**
 * <tslens-induction-heads>: the induction view of a notebook, live in any page. The prompt is repeated once (after
 * a BOS); the element shows every head's previous-token and induction scores as two layer × head grids and the
 * selected head's attention pattern as a heatmap (a hovered cell gives the exact weight). A click on a head shows
 * its pattern. Numbers come from inductionViewFields, the code behind the kernel's inductionHeads view.
 *
 *   <tslens-induction-heads model="attn-only-2l" prompt="The cat sat on the mat." head="L1H1"></tslens-induction-heads>
 *
 * Attributes (a change recomputes): model (an embedded model, default attn-only-2l), prompt (empty: 20 random
 * tokens), seed and seq-len (the random tokens'), head (the selected head, "L1H1"; default the best induction head),
 * theme ("light" or "dark"; default the reader's system setting). Events: tslens-computed with an
 * InductionHeadsResult, tslens-error with { message } (see base.ts).
 */
import { cssColor, paletteOf } from "../../../src/common/draw/colors";
import type { Theme } from "../../../src/common/draw/colors";
import { gridCell, gridCellSize } from "../../../src/common/draw/grid";
import { imagePixels } from "../../../src/common/draw/patternImage";
import { displayToken, positionLabel } from "../../../src/common/draw/tokens";
import { headLabel, parseHeadLabel } from "../../../src/common/heads";
import { quantise } from "../../../src/common/quantise";
import type { HookedTransformer } from "../../../src/model/hookedTransformer";
import { bestHead, inductionViewFields, repeatCaption } from "../../../src/views/inductionHeads/fields";
import { LiveElement, make } from "./base";

/** What <tslens-induction-heads> shows, as numbers (the detail of its tslens-computed event). */
export interface InductionHeadsResult {
  model: string;
  prompt: string;
  /** The repeated sequence's token ids [pos] and their display text. */
  tokens: number[];
  strTokens: string[];
  /** Scores [layer][head]. */
  previousToken: number[][];
  induction: number[][];
  /** The selected head ("L1H1") and its exact attention weights [query][key]. */
  head: string;
  pattern: number[][];
  /** Milliseconds the computation took. */
  ms: number;
}

/** A computation's numbers plus what only drawing needs: every head's weights [heads, query, key] and scales. */
interface Computed extends InductionHeadsResult {
  allPatterns: Float32Array;
  heads: string[];
  scales: { previousToken: [number, number]; induction: [number, number]; pattern: [number, number] };
  repeat: { start: number; length: number } | null;
  /** The patterns' query and key counts. */
  queries: number;
  keys: number;
}

/** Pixels per pattern cell: large for short prompts, at least 4. */
function cellPixels(positions: number): number {
  return Math.max(4, Math.min(24, Math.floor(480 / Math.max(1, positions))));
}

/**
 * Draws a pattern's pixels ([queries, keys] RGBA) on `canvas`, each cell `pixel` px wide, with the repeat's guides as
 * the kernel's view draws them: lines where the second copy starts, the induction diagonal dashed.
 */
function drawPattern(
  canvas: HTMLCanvasElement,
  pixels: Uint8ClampedArray,
  shape: { queries: number; keys: number },
  pixel: number,
  repeat: { start: number; length: number } | null,
  theme: Theme,
): void {
  const context = canvas.getContext("2d");
  if (!context) return;
  const cells = make("canvas");
  cells.width = shape.keys;
  cells.height = shape.queries;
  cells.getContext("2d")?.putImageData(new ImageData(pixels, shape.keys, shape.queries), 0, 0);
  context.imageSmoothingEnabled = false;
  context.drawImage(cells, 0, 0, canvas.width, canvas.height);
  if (!repeat) return;
  const { start, length } = repeat;
  context.strokeStyle = cssColor(paletteOf(theme).guide);
  context.lineWidth = 1;
  context.beginPath();
  context.moveTo(0, start * pixel);
  context.lineTo(canvas.width, start * pixel);
  context.moveTo(start * pixel, 0);
  context.lineTo(start * pixel, canvas.height);
  context.stroke();
  // Query t attends to key t − (length − 1): from query `start` down to the last query.
  context.setLineDash([3, 3]);
  context.beginPath();
  context.moveTo((start - length + 1) * pixel, start * pixel);
  context.lineTo((shape.queries - length + 1) * pixel, shape.queries * pixel);
  context.stroke();
}

/** The <tslens-induction-heads> element (see the file's comment). */
export class InductionHeadsElement extends LiveElement<InductionHeadsResult> {
  static get observedAttributes(): string[] {
    return [...LiveElement.baseAttributes, "head", "seed", "seq-len"];
  }

  protected compute(model: HookedTransformer): InductionHeadsResult {
    const started = performance.now();
    const seed = this.numberAttribute("seed");
    const seqLen = this.numberAttribute("seq-len");
    const asked = this.getAttribute("head");
    const wanted = asked ? parseHeadLabel(asked) : undefined;
    if (wanted && (wanted.layer >= model.cfg.nLayers || wanted.head >= model.cfg.nHeads))
      throw new Error(`head ${asked} is not in ${this.modelName} (${model.cfg.nLayers} layers × ${model.cfg.nHeads} heads)`);
    const fields = inductionViewFields(model, this.prompt, { seed, seqLen }, 0);
    const heads = fields.patterns.head_names as string[];
    const previousToken = fields.previousToken.scores as number[][];
    const induction = fields.induction.scores as number[][];
    const computed: Computed = {
      model: this.modelName,
      prompt: this.prompt,
      tokens: fields.tokens,
      strTokens: fields.patterns.tokens as string[],
      previousToken,
      induction,
      head: headLabel(wanted ?? bestHead(induction)),
      pattern: [],
      ms: 0,
      allPatterns: fields.exactPatterns,
      heads,
      scales: {
        previousToken: [Number(fields.previousToken.value_min), Number(fields.previousToken.value_max)],
        induction: [Number(fields.induction.value_min), Number(fields.induction.value_max)],
        pattern: [Number(fields.patterns.value_min), Number(fields.patterns.value_max)],
      },
      repeat: (fields.patterns.repeat as { start: number; length: number } | null) ?? null,
      queries: Number(fields.patterns.n_queries),
      keys: Number(fields.patterns.n_keys),
    };
    computed.pattern = this.patternOf(computed, computed.head);
    computed.ms = performance.now() - started;
    return computed;
  }

  /** An integer attribute, undefined when absent; an error names the attribute otherwise. */
  private numberAttribute(name: string): number | undefined {
    const text = this.getAttribute(name);
    if (text === null || text === "") return undefined;
    const value = Number(text);
    if (!Number.isInteger(value) || value < 0) throw new Error(`${name} must be a whole number ≥ 0, got ${JSON.stringify(text)}`);
    return value;
  }

  /** Head `label`'s exact weights [query][key] from a computation. */
  private patternOf(computed: Computed, label: string): number[][] {
    const index = computed.heads.indexOf(label);
    const { queries, keys } = computed;
    const rows: number[][] = [];
    for (let q = 0; q < queries; q++) {
      const start = (index * queries + q) * keys;
      rows.push(Array.from(computed.allPatterns.subarray(start, start + keys)));
    }
    return rows;
  }

  /** Shows head `label`'s pattern (a click on a score cell). */
  private select(label: string): void {
    const computed = this.result as Computed | undefined;
    if (!computed || computed.head === label) return;
    this.changed({ ...computed, head: label, pattern: this.patternOf(computed, label) });
  }

  protected draw(result: InductionHeadsResult, theme: Theme): void {
    const computed = result as Computed;
    const grids = make("div", "grids");
    grids.append(
      this.scoreTable("previous-token score", computed.previousToken, computed.scales.previousToken, computed.head, theme),
      this.scoreTable("induction score", computed.induction, computed.scales.induction, computed.head, theme),
    );
    const caption = make("p", "caption", repeatCaption(computed.tokens));
    this.view.replaceChildren(grids, caption, this.patternFigure(computed, theme));
  }

  /** A layer × head table of `scores`, each cell a button that selects its head. */
  private scoreTable(
    title: string,
    scores: number[][],
    [min, max]: [number, number],
    selected: string,
    theme: Theme,
  ): HTMLTableElement {
    const table = make("table", "scores");
    table.dataset.score = title.startsWith("induction") ? "induction" : "previous-token";
    table.createCaption().textContent = title;
    const side = gridCellSize(scores.length, scores[0].length);
    const header = table.createTHead().insertRow();
    header.append(make("th"));
    scores[0].forEach((_, h) => header.append(make("th", "", `H${h}`)));
    const body = table.createTBody();
    scores.forEach((row, layer) => {
      const line = body.insertRow();
      line.append(make("th", "", `L${layer}`));
      row.forEach((value, head) => {
        const label = headLabel({ layer, head });
        const { background, text } = gridCell(value, min, max, theme);
        const cell = line.insertCell();
        const button = make("button", label === selected ? "head selected" : "head", value.toFixed(3));
        button.dataset.head = label;
        button.title = `${label} ${title}: ${value.toFixed(6)} (click to show its pattern)`;
        button.style.cssText = `background:${cssColor(background)};color:${cssColor(text)};min-width:${side + 16}px;height:${side}px`;
        button.addEventListener("click", () => this.select(label));
        cell.append(button);
      });
    });
    return table;
  }

  /** The selected head's pattern as a heatmap, with token labels and the exact weight of a hovered cell. */
  private patternFigure(computed: Computed, theme: Theme): HTMLElement {
    const figure = make("figure", "pattern");
    const { queries, keys } = computed;
    const [min, max] = computed.scales.pattern;
    const title = make("figcaption", "", `${computed.head} attention pattern (rows: queries, columns: keys)`);
    const pixel = cellPixels(Math.max(queries, keys));
    const canvas = make("canvas");
    canvas.width = keys * pixel;
    canvas.height = queries * pixel;
    const values = computed.pattern.flat(); // [query * key]
    const image = { bytes: quantise(values, min, max), rows: queries, cols: keys, queries, keys, maskUpper: true };
    drawPattern(canvas, imagePixels(image, min, max, theme), image, pixel, computed.repeat, theme);
    const hover = make("div", "hover", "hover a cell for its exact weight");
    canvas.addEventListener("mousemove", (event) => {
      const box = canvas.getBoundingClientRect();
      const q = Math.floor(((event.clientY - box.top) / box.height) * queries);
      const k = Math.floor(((event.clientX - box.left) / box.width) * keys);
      if (q < 0 || k < 0 || q >= queries || k >= keys) return;
      const masked = k > q + (keys - queries);
      const weight = masked ? "masked (a key after the query)" : computed.pattern[q][k].toFixed(6);
      hover.textContent = `query ${positionLabel(computed.strTokens, q)} → key ${positionLabel(computed.strTokens, k)}: ${weight}`;
      hover.dataset.query = String(q);
      hover.dataset.key = String(k);
    });
    const keyLabels = make("div", "keys", computed.strTokens.map((t, i) => `${i}:${displayToken(t)}`).join("  "));
    figure.append(title, canvas, hover, keyLabels);
    return figure;
  }

  protected styleText(theme: Theme): string {
    const palette = paletteOf(theme);
    return `
      .grids { display: flex; flex-wrap: wrap; gap: 1.5rem; }
      button.head { border: 2px solid transparent; border-radius: 3px; font: inherit; font-size: 12px; cursor: pointer; }
      button.head.selected { border-color: ${cssColor(palette.text)}; }
      .caption { opacity: 0.8; }
      figure { margin: 0.5rem 0 0; }
      canvas { border: 1px solid ${cssColor(palette.guide)}; cursor: crosshair; display: block; }
      .hover { font-variant-numeric: tabular-nums; min-height: 1.4em; }
      .keys { opacity: 0.7; font: 11px ui-monospace, monospace; word-break: break-all; }
    `;
  }
}
