/**
 * Reading a pattern's axes and rows, the same in the browser view and the PNG snapshot: which token
 * labels fit along an axis, which window of a long prompt to show around a token, the strongest
 * sources of a row, and how heads group into rows by layer.
 */

/**
 * Indices (ascending) of the labels to write along an axis of `length` px holding `count` evenly spaced
 * positions, so that label centres are at least `minGap` px apart: every position when they fit, else every
 * n-th. `keep` (a hovered position) is always labelled; labels too close to it are dropped.
 */
export function thinnedLabels(count: number, length: number, minGap: number, keep?: number): number[] {
  if (count <= 0) return [];
  const cell = length / count;
  const step = Math.max(1, Math.ceil(minGap / Math.max(cell, 1e-9)));
  const picked: number[] = [];
  for (let i = 0; i < count; i += step) picked.push(i);
  if (keep === undefined || keep < 0 || keep >= count) return picked;
  const near = Math.ceil(minGap / Math.max(cell, 1e-9)); // positions closer than this collide with `keep`
  return [...picked.filter((i) => Math.abs(i - keep) >= near), keep].sort((a, b) => a - b);
}

/**
 * The window [start, end) of `size` positions out of `count` that shows position `centre` in its middle
 * (shifted to stay inside 0…count); the whole range when it is not longer than `size`.
 */
export function windowAround(count: number, centre: number, size: number): [number, number] {
  if (count <= size) return [0, count];
  const start = Math.min(count - size, Math.max(0, Math.round(centre - size / 2)));
  return [start, start + size];
}

/** A position and its value. */
export interface Ranked {
  index: number;
  value: number;
}

/** The `k` largest values of `values` (ties: the lower index first), leaving out the indices `skip` flags. */
export function topK(values: ArrayLike<number>, k: number, skip: (index: number) => boolean = () => false): Ranked[] {
  const out: Ranked[] = [];
  for (let i = 0; i < values.length; i++) {
    if (skip(i) || !Number.isFinite(values[i])) continue;
    out.push({ index: i, value: values[i] });
  }
  out.sort((a, b) => b.value - a.value || a.index - b.index);
  return out.slice(0, Math.max(0, k));
}

/** A row of the heads grid: its label ("L0", or "" for heads without a layer) and the heads in it, in order. */
export interface HeadRow {
  label: string;
  layer: number | null;
  heads: number[];
}

/** The layer a head name like "L3H1" states, or null. */
export function layerOfName(name: string): number | null {
  const match = /^L(\d+)H\d+$/.exec(name);
  return match ? Number(match[1]) : null;
}

/**
 * The heads grid: one row per layer (in order of first appearance), labelled "L{layer}"; heads whose layer is
 * null share one unlabelled row. `layers[h]` is head h's layer.
 */
export function headRows(layers: (number | null)[]): HeadRow[] {
  const rows: HeadRow[] = [];
  layers.forEach((layer, h) => {
    let row = rows.find((r) => r.layer === layer);
    if (!row) rows.push((row = { label: layer === null ? "" : `L${layer}`, layer, heads: [] }));
    row.heads.push(h);
  });
  return rows;
}

/** A head's mean weights (0 … 1) on the previous token, itself, the first token (BOS) and induction; null: no such key. */
export interface BadgeScores {
  previous: number | null;
  self: number | null;
  bos: number | null;
  induction: number | null;
}

/** A badge drawn on a thumbnail: its one-letter code, what it stands for, and the score. */
export interface Badge {
  key: keyof BadgeScores;
  code: string;
  name: string;
  value: number;
}

const BADGES: { key: keyof BadgeScores; code: string; name: string }[] = [
  { key: "previous", code: "P", name: "previous token" },
  { key: "induction", code: "I", name: "induction" },
  { key: "self", code: "S", name: "self" },
  { key: "bos", code: "B", name: "first token (BOS)" },
];

/** Badges of every kind, in drawing order: code and name (for legends). */
export const BADGE_KINDS: readonly { key: keyof BadgeScores; code: string; name: string }[] = BADGES;

/** The score at and above which a badge is shown. */
export const NOTABLE_SCORE = 0.4;

/** The badges worth showing for `scores`: those at or above `threshold`, strongest first (at most `max`). */
export function notableBadges(scores: BadgeScores, threshold = NOTABLE_SCORE, max = 2): Badge[] {
  return BADGES.flatMap(({ key, code, name }) => {
    const value = scores[key];
    return value !== null && Number.isFinite(value) && value >= threshold ? [{ key, code, name, value }] : [];
  })
    .sort((a, b) => b.value - a.value)
    .slice(0, max);
}

/** "P.95": a badge's code and its score in two digits ("P1.0" for a full score). */
export function badgeText(badge: Badge): string {
  return badge.value >= 0.995 ? `${badge.code}1.0` : `${badge.code}${badge.value.toFixed(2).replace(/^0/, "")}`;
}
