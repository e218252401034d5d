/**
 * The browser view's PatternStore against a stand-in model (the state a large view's comm_open
 * carries): thumbnails and the state's full head at once, another head fetched once and announced
 * when it lands, the selected head left to the kernel's push, replies about older patterns dropped,
 * new patterns emptying the caches, exact values on request.
 */
import { strict as assert } from "assert";
import { PatternStore } from "../../../widgets/src/attentionPatterns/store";

type Handler = (...args: unknown[]) => void;

/** A Backbone-like model holding wire-named state: get, on/off with a context, set firing change events. */
class StandInModel {
  private readonly handlers: { events: string[]; callback: Handler; context: unknown }[] = [];
  constructor(private readonly state: Record<string, unknown>) {}
  get(key: string): unknown {
    return this.state[key];
  }
  on(events: string, callback: Handler, context?: unknown): void {
    this.handlers.push({ events: events.split(" "), callback, context });
  }
  off(_events: null, _callback: null, context?: unknown): void {
    for (let i = this.handlers.length - 1; i >= 0; i--) if (this.handlers[i].context === context) this.handlers.splice(i, 1);
  }
  trigger(event: string, ...args: unknown[]): void {
    for (const h of [...this.handlers]) if (h.events.includes(event)) h.callback(...args);
  }
  set(changes: Record<string, unknown>): void {
    Object.assign(this.state, changes);
    for (const key of Object.keys(changes)) this.trigger(`change:${key}`);
  }
  get listeners(): number {
    return this.handlers.length;
  }
}

const [HEADS, N] = [3, 4];
/** Head h's full bytes: every cell h·10 + its index. */
const headBytes = (h: number) => Uint8Array.from({ length: N * N }, (_, i) => h * 10 + i);

describe("PatternStore (the attention view's patterns in the browser)", () => {
  let model: StandInModel;
  let sent: Record<string, unknown>[];
  let arrived: number[];
  let exactArrived: number[];
  let store: PatternStore;

  beforeEach(() => {
    model = new StandInModel({
      n_heads: HEADS,
      n_queries: N,
      n_keys: N,
      value_min: 0,
      value_max: 1,
      mask_upper_tri: true,
      selected_head: 1,
      patterns_version: 0,
      patterns: headBytes(1),
      pattern_heads: [1],
      thumbnails: Uint8Array.from({ length: HEADS * 4 }, (_, i) => i),
      thumb_rows: 2,
      thumb_cols: 2,
    });
    [sent, arrived, exactArrived] = [[], [], []];
    store = new PatternStore(
      { model, send: (content) => void sent.push(content) },
      { onArrive: (h) => void arrived.push(h), onExact: (h) => void exactArrived.push(h) },
    );
  });

  it("gives every thumbnail and the state's full head at once, without asking the kernel", () => {
    assert.deepEqual(store.dims, { heads: HEADS, queries: N, keys: N });
    const thumb = store.thumbnail(2)!;
    assert.deepEqual([Array.from(thumb.bytes), thumb.rows, thumb.cols, thumb.queries, thumb.keys], [[8, 9, 10, 11], 2, 2, N, N]);
    assert.deepEqual(Array.from(store.head(1)!.bytes), Array.from(headBytes(1)));
    assert.equal(store.thumbnail(3), undefined, "no head 3");
    assert.deepEqual(sent, []);
  });

  it("fetches another head once, announces it when it lands, and drops a reply about older patterns", () => {
    assert.equal(store.head(2), undefined);
    assert.equal(store.head(2), undefined);
    assert.deepEqual(sent, [{ request: "head", head: 2 }], "asked once");
    assert.deepEqual(store.preview(2), { image: store.thumbnail(2), full: false }, "the thumbnail meanwhile");
    model.trigger("msg:custom", { head_for: 2, patterns_version: 7 }, [new DataView(headBytes(2).buffer)]);
    assert.equal(store.hasHead(2), false, "a reply about other patterns is dropped");
    model.trigger("msg:custom", { head_for: 2, patterns_version: 0 }, [new DataView(headBytes(2).buffer)]);
    assert.deepEqual(arrived, [2]);
    assert.deepEqual(Array.from(store.head(2)!.bytes), Array.from(headBytes(2)));
    assert.equal(store.preview(2)!.full, true);
  });

  it("leaves a newly selected head to the kernel's push, and announces it when the state brings it", () => {
    model.set({ selected_head: 0 });
    assert.equal(store.head(0), undefined);
    assert.deepEqual(sent, [], "the kernel pushes the selected head: no request");
    model.set({ patterns: headBytes(0), pattern_heads: [0] });
    assert.deepEqual(arrived, [0]);
    assert.deepEqual(Array.from(store.head(0)!.bytes), Array.from(headBytes(0)));
  });

  it("new patterns (a new version) empty the caches; exact values come on request", () => {
    store.head(2);
    model.trigger("msg:custom", { head_for: 2, patterns_version: 0 }, [new DataView(headBytes(2).buffer)]);
    assert.equal(store.exact(0), undefined);
    const exact = Float32Array.from({ length: N * N }, (_, i) => i / 100);
    model.trigger("msg:custom", { values_for: 0, patterns_version: 0 }, [new DataView(exact.buffer)]);
    assert.deepEqual(exactArrived, [0]);
    assert.deepEqual(Array.from(store.exact(0)!), Array.from(exact));
    model.set({ patterns_version: 1, patterns: headBytes(1).map((b) => 255 - b) });
    assert.equal(store.hasHead(2), false, "head 2 was about the old patterns");
    assert.equal(store.exact(0), undefined, "so were the exact values");
    assert.deepEqual(sent.at(-1), { request: "values", head: 0 }, "asked again");
    store.head(2);
    assert.deepEqual(sent.at(-1), { request: "head", head: 2 }, "asked again");
    assert.equal(store.head(1)!.bytes[0], 255 - 10, "the new state's head");
  });

  it("dispose() stops listening to the model", () => {
    const before = model.listeners;
    store.dispose();
    assert.equal(model.listeners, before - 2);
  });
});
