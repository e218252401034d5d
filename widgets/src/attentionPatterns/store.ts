/**
 * PatternStore: the attention view's access to its patterns, at whatever resolution has arrived.
 *
 * The kernel sends every head as a small max-pooled thumbnail, and the full [query, key] bytes of
 * only some heads (all of them for a small view; for a large one, the selected head). The store
 * hands out what it has and fetches the rest from the kernel:
 *
 *   const store = new PatternStore(this, { onArrive: (h) => repaint(h), onExact: (h) => retip(h) });
 *   store.thumbnail(h)   // PatternImage ≤ 64 × 64, always there once the state arrived
 *   store.head(h)        // full PatternImage [queries, keys], or undefined while it is fetched
 *                        // (onArrive(h) is called when it lands; draw store.preview(h) meanwhile)
 *   store.exact(h)       // float32 [queries, keys] for tooltips, or undefined while it is fetched (onExact(h))
 *   imagePixels(image, store.scale.min, store.scale.max, theme)  // RGBA for putImageData
 *
 * Replies about older patterns (an earlier `patternsVersion`) are dropped; new patterns from the
 * kernel empty the caches. Without a kernel (an exported notebook) nothing is fetched: heads the
 * saved state holds are shown in full, the others as their thumbnails.
 */
import type { PatternImage } from "../../../src/common/draw/patternImage";
import { floatsSerializer } from "../../../src/common/quantise";
import { changeEvents, fieldReader } from "../../../src/common/spec";
import type { FieldReader } from "../../../src/common/spec";
import { AttentionPatternsFields, attentionPatternsSpec } from "../../../src/views/attentionPatterns/spec";

/** Full heads kept at most in the browser (besides those the state holds); the least recently used go first. */
const MAX_FETCHED_HEADS = 32;
/** Heads of exact float32 values kept at most (4 MB each at 1024 tokens). */
const MAX_EXACT_HEADS = 4;

/** What the store uses of a widget model (a Backbone model: WidgetModel has all of it). */
export interface StoreModel {
  get(key: string): unknown;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- Backbone's handlers take any arguments
  on(events: string, callback: (...args: any[]) => void, context?: unknown): unknown;
  off(events: string | null, callback: null, context?: unknown): unknown;
}

/** What the store needs of the view: its model and its send (custom messages to the kernel). */
export interface StoreOwner {
  readonly model: StoreModel;
  send(content: Record<string, unknown>): void;
}

/** Callbacks of a PatternStore. */
export interface StoreCallbacks {
  /** A head's full bytes arrived (fetched, or pushed by the kernel with a new selection): head(h) now returns them. */
  onArrive?: (head: number) => void;
  /** A head's exact values arrived: exact(h) now returns them. */
  onExact?: (head: number) => void;
}

/** The view's scale: byte b stands for min + b/255·(max − min); maskUpper greys keys after the query. */
export interface PatternScale {
  min: number;
  max: number;
  maskUpper: boolean;
}

/** A Map kept in least-recently-used order: get() refreshes an entry, set() drops the oldest beyond `limit`. */
class Recent<V> {
  private readonly entries = new Map<number, V>();
  constructor(private readonly limit: number) {}
  get(key: number): V | undefined {
    const value = this.entries.get(key);
    if (value !== undefined) {
      this.entries.delete(key);
      this.entries.set(key, value);
    }
    return value;
  }
  set(key: number, value: V): void {
    this.entries.delete(key);
    this.entries.set(key, value);
    while (this.entries.size > this.limit) this.entries.delete(this.entries.keys().next().value as number);
  }
  clear(): void {
    this.entries.clear();
  }
}

/** The patterns of one attention view, as far as they arrived (see the file comment). */
export class PatternStore {
  private readonly get: FieldReader<AttentionPatternsFields>;
  /** Full heads the state holds (`patterns`), by head. */
  private listed = new Map<number, PatternImage>();
  /** Full heads fetched on request. */
  private readonly fetched = new Recent<PatternImage>(MAX_FETCHED_HEADS);
  private readonly exactValues = new Recent<Float32Array>(MAX_EXACT_HEADS);
  private readonly askedHeads = new Set<number>();
  private readonly askedExact = new Set<number>();
  private thumbs: PatternImage[] = [];
  /** What the caches were filled from: the version, and the `patterns` and `thumbnails` buffers. */
  private version = -1;
  private patternsSeen: Uint8Array | null | undefined;
  private thumbsSeen: Uint8Array | null | undefined;
  private readonly context = {};

  constructor(
    private readonly owner: StoreOwner,
    private readonly callbacks: StoreCallbacks = {},
  ) {
    const { model } = owner;
    this.get = fieldReader(attentionPatternsSpec, (wire) => model.get(wire));
    model.on("msg:custom", (content: unknown, buffers: DataView[]) => this.receive(content, buffers), this.context);
    // Heads the kernel pushes in the state (a new selection of a large view) count as arrived.
    model.on(changeEvents(attentionPatternsSpec, ["patterns", "patternHeads"]), () => this.announcePushed(), this.context);
    this.sync();
  }

  /** Stops listening to the model (call from the view's remove()). */
  dispose(): void {
    this.owner.model.off(null, null, this.context);
  }

  /** Number of heads, queries and keys (0 before the state arrived). */
  get dims(): { heads: number; queries: number; keys: number } {
    return { heads: this.get("nHeads"), queries: this.get("nQueries"), keys: this.get("nKeys") };
  }

  /** The scale the bytes are on. */
  get scale(): PatternScale {
    return { min: this.get("valueMin"), max: this.get("valueMax"), maskUpper: this.get("maskUpperTri") };
  }

  /** Head `h` max-pooled to at most 64 × 64 (the full pattern when it is that small); undefined for a head not shown. */
  thumbnail(h: number): PatternImage | undefined {
    this.sync();
    return this.thumbs[h];
  }

  /** Head `h` at full resolution [queries, keys], or undefined while it is fetched from the kernel (see onArrive). */
  head(h: number): PatternImage | undefined {
    this.sync();
    if (!this.isHead(h)) return undefined;
    const image = this.listed.get(h) ?? this.fetched.get(h);
    if (image) return image;
    // A large view's selected head comes with the kernel's state (it pushes it on every new selection): no request.
    if (h !== this.get("selectedHead") && !this.askedHeads.has(h)) {
      this.askedHeads.add(h);
      this.owner.send({ request: "head", head: h });
    }
    return undefined;
  }

  /** True when head `h`'s full bytes are here (head(h) would return them without a request). */
  hasHead(h: number): boolean {
    this.sync();
    return this.listed.has(h) || this.fetched.get(h) !== undefined;
  }

  /** The best image of head `h` there is now: full when it arrived (fetching it if not), else the thumbnail. */
  preview(h: number): { image: PatternImage; full: boolean } | undefined {
    const full = this.head(h);
    if (full) return { image: full, full: true };
    const thumb = this.thumbnail(h);
    return thumb && { image: thumb, full: false };
  }

  /** Head `h`'s exact float32 weights [queries, keys], or undefined while they are fetched (see onExact). */
  exact(h: number): Float32Array | undefined {
    this.sync();
    if (!this.isHead(h)) return undefined;
    const values = this.exactValues.get(h);
    if (values) return values;
    if (!this.askedExact.has(h)) {
      this.askedExact.add(h);
      this.owner.send({ request: "values", head: h });
    }
    return undefined;
  }

  /** Handles a custom message from the kernel; true when it was one of the store's replies (current or stale). */
  receive(content: unknown, buffers: DataView[]): boolean {
    const reply = (content ?? {}) as { head_for?: unknown; values_for?: unknown; patterns_version?: unknown };
    const isHeadReply = typeof reply.head_for === "number";
    const isValuesReply = typeof reply.values_for === "number";
    if (!isHeadReply && !isValuesReply) return false;
    this.sync();
    const h = (isHeadReply ? reply.head_for : reply.values_for) as number;
    const { queries, keys } = this.dims;
    const buffer = buffers?.[0];
    if (reply.patterns_version !== this.version || !this.isHead(h) || !buffer) return true; // about older patterns
    if (isHeadReply) {
      if (buffer.byteLength !== queries * keys) return true;
      this.fetched.set(
        h,
        this.fullImage(new Uint8Array(buffer.buffer.slice(buffer.byteOffset, buffer.byteOffset + buffer.byteLength))),
      );
      this.askedHeads.delete(h);
      this.callbacks.onArrive?.(h);
    } else {
      const values = floatsSerializer.deserialize(buffer);
      if (!values || values.length !== queries * keys) return true;
      this.exactValues.set(h, values);
      this.askedExact.delete(h);
      this.callbacks.onExact?.(h);
    }
    return true;
  }

  private isHead(h: number): boolean {
    return Number.isInteger(h) && h >= 0 && h < this.get("nHeads");
  }

  /** A full-resolution image of one head's bytes. */
  private fullImage(bytes: Uint8Array): PatternImage {
    const { queries, keys } = this.dims;
    return { bytes, rows: queries, cols: keys, queries, keys, maskUpper: this.get("maskUpperTri") };
  }

  /** Brings the caches in line with the state: new patterns (version) empty them; new buffers are read. */
  private sync(): void {
    const get = this.get;
    const version = get("patternsVersion");
    if (version !== this.version) {
      this.version = version;
      this.fetched.clear();
      this.exactValues.clear();
      this.askedHeads.clear();
      this.askedExact.clear();
      this.patternsSeen = undefined;
      this.thumbsSeen = undefined;
    }
    const patterns = get("patterns");
    if (patterns !== this.patternsSeen) {
      this.patternsSeen = patterns;
      const { queries, keys } = this.dims;
      const size = queries * keys;
      const heads = get("patternHeads");
      this.listed = new Map();
      if (patterns && patterns.byteLength === heads.length * size)
        heads.forEach((h, i) => this.listed.set(h, this.fullImage(patterns.subarray(i * size, (i + 1) * size))));
    }
    const thumbnails = get("thumbnails");
    if (thumbnails !== this.thumbsSeen) {
      this.thumbsSeen = thumbnails;
      const [rows, cols] = [get("thumbRows"), get("thumbCols")];
      const { heads, queries, keys } = this.dims;
      const size = rows * cols;
      const maskUpper = get("maskUpperTri");
      this.thumbs =
        thumbnails && size > 0 && thumbnails.byteLength === heads * size
          ? Array.from({ length: heads }, (_, h) => ({
              bytes: thumbnails.subarray(h * size, (h + 1) * size),
              ...{ rows, cols, queries, keys, maskUpper },
            }))
          : [];
    }
  }

  /** Calls onArrive for each head the state now holds in full. */
  private announcePushed(): void {
    const before = new Set(this.listed.keys());
    this.sync();
    for (const h of this.listed.keys()) if (!before.has(h)) this.callbacks.onArrive?.(h);
  }
}
