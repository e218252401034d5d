/**
 * Token text for display: always plain text (callers set textContent or draw it), with whitespace
 * made visible and byte-level BPE markers turned back into what they stand for.
 */

/** A token as shown: "Ġ"/"▁" → "·" (a space), "Ċ" and newlines → "¶", tabs → "→", empty → "∅". */
export function displayToken(token: string): string {
  if (token.length === 0) return "∅";
  return token
    .replace(/[Ġ▁ ]/g, "·")
    .replace(/Ċ|\r?\n/g, "¶")
    .replace(/\t|ĉ/g, "→");
}

/** "token (index)", the label of a position in tooltips and axes. */
export function positionLabel(tokens: string[], index: number): string {
  return `${displayToken(tokens[index] ?? "")} (${index})`;
}

/** A number with 3 significant decimals, for tooltips and legends. */
export function formatValue(value: number): string {
  if (!Number.isFinite(value)) return String(value);
  const abs = Math.abs(value);
  return abs !== 0 && (abs < 1e-3 || abs >= 1e4) ? value.toExponential(2) : value.toFixed(3);
}
