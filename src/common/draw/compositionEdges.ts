/**
 * The grid compositionView shows, as plain numbers shared by the kernel (PNG, text) and the browser view: rows are
 * the earlier heads (layers 0 … L − 2), columns the later heads (layers 1 … L − 1), a cell is an edge when its
 * column's layer is after its row's, and the strongest edges of a kind are listed as "L0H1 → L1H1  K 0.151".
 */
import { formatValue } from "./tokens";
import { HeadRef, headLabel, isHeadRef } from "../heads";

/** Which input of the later head reads the earlier head: query, key or value (as compositionScores's mode). */
export type CompositionKind = "Q" | "K" | "V";

/** The kinds in the order of the scores' first axis. */
export const KINDS: readonly CompositionKind[] = ["Q", "K", "V"];

/** What each kind reads through, for labels: "query", "key", "value". */
export const KIND_INPUT: Record<CompositionKind, string> = { Q: "query", K: "key", V: "value" };

/** An edge: an earlier head and a later head that reads it. */
export interface EdgeRef {
  from: HeadRef;
  to: HeadRef;
}

/** The scores of a view: a model's size and [3, rows, columns] values (Q, K, V). */
export interface CompositionGrid {
  nLayers: number;
  nHeads: number;
  /** [kind, earlier head, later head], float32. */
  scores: Float32Array;
}

/** Rows (earlier heads) and columns (later heads) of a model with `nLayers` × `nHeads` heads: (L − 1)·H each. */
export function gridSide(nLayers: number, nHeads: number): number {
  return Math.max(0, nLayers - 1) * nHeads;
}

/** The earlier head of row `row`. */
export function rowHead(row: number, nHeads: number): HeadRef {
  return { layer: Math.floor(row / nHeads), head: row % nHeads };
}

/** The later head of column `column`. */
export function columnHead(column: number, nHeads: number): HeadRef {
  return { layer: 1 + Math.floor(column / nHeads), head: column % nHeads };
}

/** True when cell (row, column) is an edge: the column's head is in a later layer than the row's. */
export function isEdge(row: number, column: number, nHeads: number): boolean {
  return columnHead(column, nHeads).layer > rowHead(row, nHeads).layer;
}

/** The score of `kind` at (row, column). */
export function scoreAt(grid: CompositionGrid, kind: CompositionKind, row: number, column: number): number {
  const side = gridSide(grid.nLayers, grid.nHeads);
  return grid.scores[(KINDS.indexOf(kind) * side + row) * side + column];
}

/** The (row, column) of an edge, or undefined when it is not one of the grid's edges. */
export function edgeCell(edge: EdgeRef, nLayers: number, nHeads: number): { row: number; column: number } | undefined {
  const { from, to } = edge;
  if (from.head >= nHeads || to.head >= nHeads || to.layer >= nLayers || from.layer >= to.layer) return undefined;
  return { row: from.layer * nHeads + from.head, column: (to.layer - 1) * nHeads + to.head };
}

/** True for `{ from: HeadRef, to: HeadRef }`. */
export function isEdgeRef(value: unknown): value is EdgeRef {
  if (value === null || typeof value !== "object") return false;
  const { from, to } = value as Record<string, unknown>;
  return isHeadRef(from) && isHeadRef(to);
}

/** An edge with its score. */
export interface RankedEdge extends EdgeRef {
  score: number;
}

/** The `count` edges of `kind` with the highest scores, highest first (ties in row, then column order). */
export function strongestEdges(grid: CompositionGrid, kind: CompositionKind, count: number): RankedEdge[] {
  const side = gridSide(grid.nLayers, grid.nHeads);
  const edges: RankedEdge[] = [];
  for (let row = 0; row < side; row++)
    for (let column = 0; column < side; column++)
      if (isEdge(row, column, grid.nHeads))
        edges.push({
          from: rowHead(row, grid.nHeads),
          to: columnHead(column, grid.nHeads),
          score: scoreAt(grid, kind, row, column),
        });
  return edges.sort((a, b) => b.score - a.score).slice(0, Math.max(0, count));
}

/** An edge as text: "L0H1 → L1H1  K 0.151". */
export function edgeText(edge: RankedEdge, kind: CompositionKind): string {
  return `${headLabel(edge.from)} → ${headLabel(edge.to)}  ${kind} ${formatValue(edge.score)}`;
}

/** The label of an edge without a score: "L0H1 → L1H1". */
export function edgeLabel(edge: EdgeRef): string {
  return `${headLabel(edge.from)} → ${headLabel(edge.to)}`;
}
