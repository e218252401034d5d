/**
 * `compositionView(model | scores, { kind })`: Q-, K- and V-composition (lens.compositionScores) between every earlier
 * and every later head as one heatmap, earlier heads down the side and later heads along the top, with a Q/K/V switch,
 * the strongest edges listed as text ("L0H1 → L1H1  K 0.151"), exact values on hover, and optionally a baseline (the
 * score random weights of the same shapes get) at the centre of the colour scale, so cells above chance are blue and
 * cells below it red. Clicking a cell (or a listed edge) sets `selected = { from, to }` in the kernel.
 */
import type { Tensor } from "@tensorflow/tfjs-core";
import { compositionScores } from "../../analysis/compositionScores";
import { formatValue } from "../../common/draw/tokens";
import type { ValueOf } from "../../common/spec";
import type { HookedTransformer } from "../../model/hookedTransformer";
import { ViewWidget } from "../core/viewWidget";
import { scoreScale } from "../headScores/headScores";
import { defaultBaselineSamples, randomCompositionBaseline } from "./baseline";
import type { RandomBaselineOptions } from "./baseline";
import {
  CompositionGrid,
  CompositionKind,
  EdgeRef,
  edgeCell,
  edgeLabel,
  edgeText,
  gridSide,
  isEdge,
  isEdgeRef,
  KINDS,
  scoreAt,
  strongestEdges,
} from "../../common/draw/compositionEdges";
import { compositionPng } from "./snapshot";
import { CompositionViewFields, compositionViewSpec } from "./spec";

export type { CompositionKind, EdgeRef };

/** Scores of one kind as compositionScores gives them: [n_layers, n_heads, n_layers, n_heads], a tensor or nested arrays. */
type KindScores = Tensor | number[][][][];

/** What the view shows: a model (its scores are computed), or compositionScores's result (the caller keeps it). */
export type CompositionSource = HookedTransformer | { Q: KindScores; K: KindScores; V: KindScores };

/** Options of compositionView. */
export interface CompositionViewOptions {
  /** The kind shown first: "Q", "K" (default) or "V" (lower case too). */
  kind?: CompositionKind | "q" | "k" | "v";
  title?: string;
  /**
   * The colour scale's centre, drawn in the background colour: a score, or "random" for the mean score of random
   * weights of the model's shapes (randomCompositionBaseline; needs a model, or `dims`). Default none (centre 0).
   */
  baseline?: number | "random";
  /** d_model and d_head for baseline "random" when the source is scores rather than a model. */
  dims?: { dModel: number; dHead: number };
  /** Draws of the random baseline (see randomCompositionBaseline). */
  baselineOptions?: RandomBaselineOptions;
  /** Colour scale ends (scores); a missing one follows the scores of all three kinds. */
  min?: number;
  max?: number;
  /** How many of the strongest edges to list (default 8). */
  top?: number;
  /** The edge framed at first, e.g. { from: { layer: 0, head: 1 }, to: { layer: 1, head: 1 } }. */
  selected?: EdgeRef | null;
}

/** `kind` as "Q" | "K" | "V", or an error naming the option. */
function checkedKind(kind: unknown): CompositionKind {
  const upper = typeof kind === "string" ? kind.toUpperCase() : kind;
  if (typeof upper !== "string" || !KINDS.includes(upper as CompositionKind))
    throw new Error(`compositionView: kind must be "Q", "K" or "V", got ${JSON.stringify(kind)}`);
  return upper as CompositionKind;
}

function isModel(source: unknown): source is HookedTransformer {
  return typeof source === "object" && source !== null && "cfg" in source && "W_Q" in source;
}

/** [n_layers, n_heads, n_layers, n_heads] of one kind as nested arrays, or an error naming the kind. */
function kindArrays(scores: unknown, kind: CompositionKind): number[][][][] {
  const t = scores as Partial<Tensor>;
  const arrays = Array.isArray(scores)
    ? scores
    : typeof t?.arraySync === "function" && t.rank === 4
      ? (t.arraySync() as number[][][][])
      : undefined;
  const [l, h] = [arrays?.length ?? 0, arrays?.[0]?.length ?? 0];
  const ok =
    arrays !== undefined &&
    l >= 2 &&
    h >= 1 &&
    arrays.every(
      (byHead) =>
        Array.isArray(byHead) &&
        byHead.length === h &&
        byHead.every(
          (into) =>
            Array.isArray(into) &&
            into.length === l &&
            into.every((row) => Array.isArray(row) && row.length === h && row.every((v) => typeof v === "number")),
        ),
    );
  if (!ok) {
    const shape = t?.shape ? `[${t.shape}]` : Array.isArray(scores) ? "ragged or non-numeric arrays" : typeof scores;
    throw new Error(
      `compositionView: scores.${kind} must be [n_layers ≥ 2, n_heads, n_layers, n_heads] as compositionScores gives, got ${shape}`,
    );
  }
  return arrays;
}

/** The grid of the source: earlier heads × later heads of each kind. Scores computed here are freed here. */
function gridOf(source: CompositionSource): CompositionGrid {
  let arrays: Record<CompositionKind, number[][][][]>;
  if (isModel(source)) {
    const scores = compositionScores(source);
    try {
      arrays = { Q: kindArrays(scores.Q, "Q"), K: kindArrays(scores.K, "K"), V: kindArrays(scores.V, "V") };
    } finally {
      scores.dispose();
    }
  } else if (typeof source === "object" && source !== null && "Q" in source && "K" in source && "V" in source) {
    arrays = { Q: kindArrays(source.Q, "Q"), K: kindArrays(source.K, "K"), V: kindArrays(source.V, "V") };
  } else {
    throw new Error("compositionView: expects a model or lens.compositionScores(model)'s result { Q, K, V }");
  }
  const [nLayers, nHeads] = [arrays.Q.length, arrays.Q[0].length];
  for (const kind of KINDS)
    if (arrays[kind].length !== nLayers || arrays[kind][0].length !== nHeads)
      throw new Error(
        `compositionView: scores.${kind} is [${arrays[kind].length}, ${arrays[kind][0].length}, …], scores.Q [${nLayers}, ${nHeads}, …]`,
      );
  const side = gridSide(nLayers, nHeads);
  const scores = new Float32Array(3 * side * side); // [kind, earlier head, later head]
  KINDS.forEach((kind, k) => {
    for (let row = 0; row < side; row++)
      for (let column = 0; column < side; column++) {
        if (!isEdge(row, column, nHeads)) continue;
        const [l1, h1, l2, h2] = [Math.floor(row / nHeads), row % nHeads, 1 + Math.floor(column / nHeads), column % nHeads];
        scores[(k * side + row) * side + column] = arrays[kind][l1][h1][l2][h2];
      }
  });
  return { nLayers, nHeads, scores };
}

/** Every edge's score of all three kinds. */
function edgeScores(grid: CompositionGrid): number[] {
  const side = gridSide(grid.nLayers, grid.nHeads);
  const out: number[] = [];
  for (const kind of KINDS)
    for (let row = 0; row < side; row++)
      for (let column = 0; column < side; column++)
        if (isEdge(row, column, grid.nHeads)) out.push(scoreAt(grid, kind, row, column));
  return out;
}

/** The baseline score and its note, from the options. */
function baselineOf(source: CompositionSource, options: CompositionViewOptions): { baseline: number; note: string } {
  const given = options.baseline;
  if (given === undefined) return { baseline: 0, note: "" };
  if (typeof given === "number") {
    if (!Number.isFinite(given)) throw new Error(`compositionView: baseline must be a finite score or "random", got ${given}`);
    return { baseline: given, note: `neutral colour at the baseline ${formatValue(given)}: bluer above it, redder below` };
  }
  if (given !== "random") throw new Error(`compositionView: baseline must be a score or "random", got ${JSON.stringify(given)}`);
  const dims = isModel(source) ? { dModel: source.cfg.dModel, dHead: source.cfg.dHead } : options.dims;
  if (!dims) throw new Error('compositionView: baseline "random" needs the model, or dims: { dModel, dHead } with scores');
  const samples = options.baselineOptions?.samples ?? defaultBaselineSamples(dims.dModel, dims.dHead);
  const baseline = randomCompositionBaseline(dims.dModel, dims.dHead, options.baselineOptions);
  return {
    baseline,
    note:
      `neutral colour at random weights' mean score ${formatValue(baseline)} (d_model ${dims.dModel}, d_head ${dims.dHead}, ` +
      `${samples} draws): bluer above it, redder below`,
  };
}

/**
 * The colour scale. Without a baseline, as headScores (0 … max for scores of one sign). With one, from 0 (or the lowest
 * score) to the highest score (or the baseline), the baseline in the background colour: colorOf gives both sides one
 * slope, so a score as far below the baseline as another is above it gets as strong a colour.
 */
function scaleOf(values: number[], baseline: number, given: { min?: number; max?: number }) {
  const scale =
    baseline === 0
      ? scoreScale(values, given)
      : {
          min: given.min ?? Math.min(0, ...values),
          max: given.max ?? Math.max(baseline, ...values),
          note:
            given.min !== undefined && given.max !== undefined
              ? `fixed ${given.min} … ${given.max}`
              : `autoscaled: ${formatValue(given.min ?? Math.min(0, ...values))} … ${formatValue(given.max ?? Math.max(baseline, ...values))}`,
        };
  if (!(scale.max > scale.min))
    throw new Error(`compositionView: the colour scale needs max > min, got [${given.min}, ${given.max}]`);
  return scale;
}

/** `value` as an edge of the grid (or null), or an error naming the allowed heads. */
function checkedEdge(value: unknown, nLayers: number, nHeads: number): EdgeRef | null {
  if (value === null) return null;
  if (!isEdgeRef(value) || !edgeCell(value, nLayers, nHeads))
    throw new Error(
      `compositionView: selected must be null or { from, to } with from in layers 0…${nLayers - 2}, to in a later layer ` +
        `(up to ${nLayers - 1}), heads 0…${nHeads - 1}; got ${JSON.stringify(value)}`,
    );
  return { from: { layer: value.from.layer, head: value.from.head }, to: { layer: value.to.layer, head: value.to.head } };
}

/** The composition heatmap view. */
export class CompositionView extends ViewWidget<CompositionViewFields> {
  /** The kind shown: "Q", "K" or "V" (switched in the view, or set here). */
  declare kind: ValueOf<typeof compositionViewSpec, "kind">;
  /** The clicked (or set) edge, or null. */
  declare selected: ValueOf<typeof compositionViewSpec, "selected">;
  declare title: ValueOf<typeof compositionViewSpec, "title">;

  constructor(source: CompositionSource, options: CompositionViewOptions = {}) {
    const kind = checkedKind(options.kind ?? "K");
    const top = options.top ?? 8;
    if (!Number.isInteger(top) || top < 0) throw new Error(`compositionView: top must be a whole number ≥ 0, got ${top}`);
    const grid = gridOf(source);
    const { baseline, note: baselineNote } = baselineOf(source, options);
    const scale = scaleOf(edgeScores(grid), baseline, options);
    super(compositionViewSpec, {
      title: options.title ?? "composition scores",
      kind,
      nLayers: grid.nLayers,
      nHeads: grid.nHeads,
      scores: grid.scores,
      valueMin: scale.min,
      valueMax: scale.max,
      scaleNote: scale.note,
      baseline,
      baselineNote,
      topCount: top,
      selected: checkedEdge(options.selected ?? null, grid.nLayers, grid.nHeads),
    });
  }

  protected override validate(key: string, value: unknown): unknown {
    if (key === "kind") return checkedKind(value);
    return key === "selected" ? checkedEdge(value, this.field("nLayers"), this.field("nHeads")) : value;
  }

  /** The grid as numbers. */
  private grid(): CompositionGrid {
    return { nLayers: this.field("nLayers"), nHeads: this.field("nHeads"), scores: this.field("scores")! };
  }

  /** The `count` strongest edges of `kind` (default: the kind shown and the listed count), as "L0H1 → L1H1  K 0.151". */
  strongest(kind: CompositionKind = this.field("kind"), count = this.field("topCount")): string[] {
    return strongestEdges(this.grid(), checkedKind(kind), count).map((edge) => edgeText(edge, checkedKind(kind)));
  }

  protected snapshot(): Uint8Array | undefined {
    return compositionPng({
      ...this.grid(),
      kind: this.field("kind"),
      min: this.field("valueMin"),
      max: this.field("valueMax"),
      baseline: this.field("baseline"),
      selected: this.field("selected"),
      title: this.field("title"),
      note: this.field("scaleNote"),
      baselineNote: this.field("baselineNote"),
      topCount: this.field("topCount"),
    });
  }

  /** The text fallback: what is shown, and the strongest edges, one a line. */
  override toString(): string {
    const kind = this.field("kind");
    const [nLayers, nHeads] = [this.field("nLayers"), this.field("nHeads")];
    const side = gridSide(nLayers, nHeads);
    const selected = this.field("selected");
    const head = `CompositionView(${JSON.stringify(this.field("title"))}, ${kind}-composition of ${side} earlier × ${side} later heads, selected ${selected ? edgeLabel(selected) : "none"})`;
    const edges = this.strongest();
    return edges.length === 0 ? head : `${head}\nstrongest ${kind}-composition:\n${edges.map((e) => `  ${e}`).join("\n")}`;
  }
}

/** Shows the Q-, K- and V-composition of every earlier head into every later head: `lens.compositionView(model)`. */
export function compositionView(source: CompositionSource, options: CompositionViewOptions = {}): CompositionView {
  return new CompositionView(source, options);
}
