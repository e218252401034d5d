/**
 * `attentionPatterns({ tokens, attention })`, or `attentionPatterns({ cache })` for a run's own patterns
 * and token text: every head (grouped by layer) as a thumbnail with its score badges, plus one head large;
 * hovering a token shows where it attends or what attends to it, clicking locks. The selected head is shared
 * with the view both ways (a click in the view sets it; setting it moves the view), as `selectedHead` (its index
 * among the heads shown) or `selected` ({ layer, head }).
 *
 * What goes on the wire (see spec.ts): every head's thumbnail, and the full bytes of every head for a small view
 * or of the selected head only for a large one; the view fetches other heads when it shows them. The kernel keeps
 * every head's exact weights and bytes.
 */
import type { HeadRef } from "../../common/heads";
import { headLabel, isHeadRef } from "../../common/heads";
import type { QuantisedPatterns } from "../../common/quantise";
import type { ValueOf } from "../../common/spec";
import { ViewWidget } from "../core/viewWidget";
import { fieldsOf, sentPatterns, show } from "./fields";
import type { Shown } from "./fields";
import { AttentionPatternsFromCache, AttentionPatternsOptions } from "./options";
import { attentionPng } from "./snapshot";
import { AttentionPatternsFields, attentionPatternsSpec } from "./spec";

export type { AttentionPatternsFromCache, AttentionPatternsOptions } from "./options";

type Spec = typeof attentionPatternsSpec;

/** The index of `selected` (an index or a head) among `heads`, checked. */
function headIndex(selected: number | HeadRef, heads: HeadRef[]): number {
  if (isHeadRef(selected)) {
    const index = heads.findIndex((h) => h.layer === selected.layer && h.head === selected.head);
    if (index < 0) throw new Error(`${headLabel(selected)} is not among the heads shown (${heads.map(headLabel).join(", ")})`);
    return index;
  }
  if (!Number.isInteger(selected) || selected < 0 || selected >= heads.length)
    throw new Error(`selectedHead must be an integer in 0…${heads.length - 1}, got ${String(selected)}`);
  return selected;
}

/** The attention-patterns view. */
export class AttentionPatterns extends ViewWidget<AttentionPatternsFields> {
  /** The head shown large, as its index among the heads shown (a click on a thumbnail sets it). */
  declare selectedHead: ValueOf<Spec, "selectedHead">;
  /** What a hovered token shows: "query" (where it attends) or "key" (what attends to it). */
  declare tokenMode: ValueOf<Spec, "tokenMode">;
  /** The locked token's position, or −1. */
  declare lockedToken: ValueOf<Spec, "lockedToken">;

  /** The patterns shown: exact weights, bytes, heads. */
  private shown: Shown;
  /** The patterns update() is putting in place (the selected head is checked against their heads). */
  private incoming: Shown | undefined;

  constructor(options: AttentionPatternsOptions | AttentionPatternsFromCache) {
    const shown = show(options);
    super(attentionPatternsSpec, fieldsOf(shown, headIndex(options.selectedHead ?? 0, shown.data.heads)));
    this.shown = shown;
  }

  /** Every head shown, as { layer, head }, in thumbnail order (layer numbers from the hooks or `layers`, else 0). */
  get heads(): HeadRef[] {
    return this.shown.data.heads.map((ref) => ({ ...ref }));
  }

  /** The head shown large, as { layer, head }; setting it selects that head (it must be among those shown). */
  get selected(): HeadRef {
    return { ...this.shown.data.heads[this.selectedHead] };
  }

  set selected(ref: HeadRef) {
    this.setFields({ selectedHead: headIndex(ref, this.shown.data.heads) });
  }

  /**
   * Requests from the view: `{ request: "head", head }` is answered `{ head_for: head, patterns_version }` with that
   * head's bytes [query, key]; `{ request: "values", head }` with `{ values_for: head, patterns_version }` and its
   * float32 weights [query, key]. Requests for a head not shown are ignored.
   */
  protected override handleCustom(content: unknown): void {
    const { request, head } = (content ?? {}) as { request?: unknown; head?: unknown };
    const { data, bytes } = this.shown;
    if (!Number.isInteger(head) || (head as number) < 0 || (head as number) >= data.heads.length) return;
    const size = data.queries * data.keys;
    const [from, to] = [(head as number) * size, ((head as number) + 1) * size];
    const version = this.field("patternsVersion");
    if (request === "head") this.send({ head_for: head, patterns_version: version }, [bytes.slice(from, to)]);
    if (request === "values") this.send({ values_for: head, patterns_version: version }, [data.values.slice(from, to)]);
  }

  /** Shows new patterns (and tokens); the selected head stays unless `options.selectedHead` is given or it is out of range. */
  update(options: AttentionPatternsOptions | AttentionPatternsFromCache): void {
    const next = show(options);
    const kept = this.selectedHead;
    const selected =
      options.selectedHead !== undefined
        ? headIndex(options.selectedHead, next.data.heads)
        : kept < next.data.heads.length
          ? kept
          : 0;
    this.incoming = next;
    try {
      this.setFields({ ...fieldsOf(next, selected), lockedToken: -1, patternsVersion: this.field("patternsVersion") + 1 });
      this.shown = next;
    } finally {
      this.incoming = undefined;
    }
  }

  protected override validate(key: string, value: unknown): unknown {
    if (key === "selected_head") return headIndex(value as number, (this.incoming ?? this.shown).data.heads);
    if (key === "token_mode" && value !== "query" && value !== "key")
      throw new Error(`tokenMode must be "query" or "key", got ${String(value)}`);
    return value;
  }

  /**
   * A change of the selected head is also a change of `selected` ({ layer, head }); in a large view the state's
   * full bytes become the new selected head's (sent along), so the view and a saved notebook have it in full.
   */
  protected override changed(key: string, old: unknown, value: unknown): void {
    if (key !== "selected_head") return;
    if (!this.incoming && !this.shown.sendsAll) this.setFields(sentPatterns(this.shown, value as number));
    const heads = (this.incoming ?? this.shown).data.heads;
    this.emit("selected", this.shown.data.heads[old as number] ?? null, { ...heads[value as number] });
  }

  protected override extraEvents(): string[] {
    return ["selected"];
  }

  /** Every head's bytes and the scale, as the PNG snapshot draws them. */
  private allPatterns(): QuantisedPatterns {
    const { data, bytes } = this.shown;
    const { queries, keys, min, max, maskUpper } = data;
    return { bytes, heads: data.heads.length, queries, keys, min, max, maskUpper };
  }

  protected snapshot(): Uint8Array | undefined {
    return attentionPng({
      patterns: this.allPatterns(),
      headNames: this.field("headNames"),
      queryTokens: this.field("queryTokens"),
      keyTokens: this.field("tokens"),
      selectedHead: this.field("selectedHead"),
      headLayers: this.field("headLayers"),
      headBadges: this.field("headBadges"),
      repeat: this.field("repeat"),
    });
  }

  override toString(): string {
    const names = this.field("headNames");
    return `AttentionPatterns(${names.length} heads, ${this.field("nQueries")}×${this.field("nKeys")} tokens, selected ${names[this.field("selectedHead")]})`;
  }
}

/**
 * Shows attention patterns as a live view (the last expression of a cell displays it): given as `{ tokens, attention }`,
 * or read from a run as `{ cache }` (its patterns and its token text; `layers` picks some).
 */
export function attentionPatterns(options: AttentionPatternsOptions | AttentionPatternsFromCache): AttentionPatterns {
  return new AttentionPatterns(options);
}
