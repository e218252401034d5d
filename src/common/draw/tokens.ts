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

/**
 * A number for tooltips, cells and legends: three decimals ("0.250", "-1.204"); magnitudes below 0.001
 * as "<0.001" (or ">-0.001") rather than an exponent; 0 as "0"; magnitudes of 10^4 and more without decimals.
 */
export function formatValue(value: number): string {
  if (!Number.isFinite(value)) return String(value);
  if (value === 0) return "0";
  const abs = Math.abs(value);
  if (abs < 5e-4) return value > 0 ? "<0.001" : ">-0.001";
  if (abs >= 1e4) return value.toFixed(0);
  return value.toFixed(3);
}

/**
 * A number short enough for a grid cell (at most 5 characters): two decimals ("0.91", "-0.12", "1.00"), one from
 * 10 on ("12.5"), none from 100 on ("340"), thousands as "12k"; magnitudes below 0.005 as "<0.01" (or ">-0.01")
 * rather than a rounded "0.00" that would read as exactly zero; 0 as "0".
 */
export function formatShort(value: number): string {
  if (!Number.isFinite(value)) return String(value);
  if (value === 0) return "0";
  const abs = Math.abs(value);
  if (abs < 0.005) return value > 0 ? "<0.01" : ">-0.01";
  if (abs < 10) return value.toFixed(2);
  if (abs < 100) return value.toFixed(1);
  if (abs < 1e4) return value.toFixed(0);
  return `${Math.round(value / 1000)}k`;
}
