/**
 * One way to name an attention head: `{ layer, head }` in code and on the wire, "L1H0" as its label.
 */

/** A head, by layer and index within the layer. */
export interface HeadRef {
  layer: number;
  head: number;
}

/** True for `{ layer, head }` with non-negative integers (other keys are ignored). */
export function isHeadRef(value: unknown): value is HeadRef {
  if (value === null || typeof value !== "object") return false;
  const { layer, head } = value as Record<string, unknown>;
  return Number.isInteger(layer) && Number.isInteger(head) && (layer as number) >= 0 && (head as number) >= 0;
}

/** The label of a head: "L1H0". */
export function headLabel(ref: HeadRef): string {
  return `L${ref.layer}H${ref.head}`;
}

/** The head a label names ("L1H0" → { layer: 1, head: 0 }); anything else is refused with the label in the error. */
export function parseHeadLabel(label: string): HeadRef {
  const match = /^L(0|[1-9][0-9]*)H(0|[1-9][0-9]*)$/.exec(label);
  if (!match) throw new Error(`a head label looks like "L1H0" (layer 1, head 0), got ${JSON.stringify(label)}`);
  return { layer: Number(match[1]), head: Number(match[2]) };
}

/** True when both name the same head. */
export function sameHead(a: HeadRef | null | undefined, b: HeadRef | null | undefined): boolean {
  return !!a && !!b && a.layer === b.layer && a.head === b.head;
}
