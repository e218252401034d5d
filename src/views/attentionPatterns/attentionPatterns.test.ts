/**
 * attentionPatterns on the kernel side (fake host): the patterns travel as one byte per weight
 * that decodes to the real pattern, the display bundle carries a PNG snapshot and a text line,
 * selecting a head works both ways, and bad input gets clear errors.
 */
import { strict as assert } from "assert";
import * as path from "path";
import { attentionPatterns, HookedTransformer, loadModel, tf } from "../..";
import { MIME_BUNDLE_KEY } from "../../common/host";
import { REPO_ROOT } from "../../../tests/support/paths";
import { FakeHost, installFakeHost, removeFakeHost } from "../../../tests/widgets/fake-host";
import { decodePng, pixelAt, Rgb } from "../../../tests/widgets/png-pixels";
import { attentionLayout } from "./snapshot";

const HOSTILE = "<img src=x onerror=alert(1)>";

/** Colours of the pattern scale [0, 1] on the light theme: 0, 1 and masked cells (a faint step off white). */
const [WHITE, BLUE, MASKED]: Rgb[] = [
  [255, 255, 255],
  [33, 102, 172],
  [236, 236, 236],
];
/** Where the snapshot of `view` puts its thumbnails and large pattern. */
const layoutOf = (view: { get(key: string): unknown }) =>
  attentionLayout({ headNames: view.get("head_names") as string[], headLayers: view.get("head_layers") as (number | null)[] });

describe("attentionPatterns (kernel side)", function () {
  this.timeout(60_000);
  let host: FakeHost;
  let model: HookedTransformer;
  before(async () => (model = await loadModel(path.join(REPO_ROOT, "models", "attn-only-2l"))));
  after(() => model?.dispose());
  beforeEach(() => (host = installFakeHost()));
  afterEach(() => removeFakeHost());

  it("sends the patterns as bytes that decode to the real pattern within half a level", () => {
    const tokens = [[0, 11, 42, 7, 99, 11, 42, 7]];
    const { cache } = model.runWithCache(tokens, { namesFilter: (n) => n.endsWith("hook_pattern"), returnType: "none" });
    const pattern = cache.get("blocks.1.attn.hook_pattern"); // [1, heads, 8, 8]
    const strs = model.toStrTokens(tf.tensor2d(tokens, undefined, "int32"));
    const view = attentionPatterns({ tokens: strs, attention: pattern, layers: 1 });
    const open = host.sent.find((m) => m.kind === "open" && m.commId === view.modelId)!;
    const state = open.data.state as Record<string, unknown>;
    assert.equal(state._model_module, "tslens-widgets");
    assert.equal(state._view_name, "AttentionPatternsView");
    assert.deepEqual(open.data.buffer_paths, [["patterns"], ["thumbnails"]], "full patterns, then thumbnails");
    const bytes = open.buffers[0] as Uint8Array;
    const heads = model.cfg.nHeads;
    assert.equal(bytes.byteLength, heads * 8 * 8, "one byte per weight");
    assert.deepEqual([state.n_heads, state.n_queries, state.n_keys, state.value_min, state.value_max], [heads, 8, 8, 0, 1]);
    assert.deepEqual(
      state.head_names,
      Array.from({ length: heads }, (_, h) => `L1H${h}`),
    );
    const real = pattern.dataSync();
    const worst = Math.max(...Array.from(real, (v, i) => Math.abs(bytes[i] / 255 - v)));
    assert.ok(worst <= 0.5 / 255 + 1e-7, `worst decoding error ${worst}`);
    assert.ok(
      Array.from(bytes).some((b) => b > 0 && b < 255),
      "not all levels are extremes",
    );
    cache.dispose();
  });

  it("displays a live view plus a PNG snapshot (non-blank, token labels drawn) and a text line", async () => {
    const n = 6;
    const rows = Array.from({ length: 2 }, (_, h) =>
      Array.from({ length: n }, (_, q) =>
        Array.from({ length: n }, (_, k) => (k <= q ? (h === 0 ? Number(k === q) : 1 / (q + 1)) : 0)),
      ),
    );
    const attention = tf.tensor3d(rows);
    const tokens = ["<|endoftext|>", " The", HOSTILE, " cat", "\n", " sat"];
    const view = attentionPatterns({ tokens, attention, selectedHead: 1 });
    const bundle = view[MIME_BUNDLE_KEY]();
    assert.equal(bundle.data["text/plain"], "AttentionPatterns(2 heads, 6×6 tokens, selected H1)");
    assert.deepEqual(bundle.data["application/vnd.jupyter.widget-view+json"], {
      version_major: 2,
      version_minor: 0,
      model_id: view.modelId,
    });
    assert.ok(!Object.keys(bundle.data).some((k) => k.includes("html")), "no markup in the bundle");
    const png = await decodePng(bundle.data["image/png"] as string);
    let coloured = 0;
    for (let i = 0; i < png.data.length; i += 4) if (png.data[i] < 200 && png.data[i + 2] > 120) coloured++;
    assert.ok(coloured > 1000, `blue pattern pixels in the PNG: ${coloured}`);
    // The token labels left of the large pattern are drawn (dark pixels in that column).
    const without = await decodePng(
      attentionPatterns({ tokens: tokens.map(() => ""), attention })[MIME_BUNDLE_KEY]().data["image/png"] as string,
    );
    const { zoomLeft, zoomTop, zoom } = layoutOf(view); // the query labels sit left of the large pattern
    const darkLeft = (img: typeof png) => {
      let dark = 0;
      for (let y = zoomTop; y < zoomTop + zoom; y++)
        for (let x = 0; x < zoomLeft; x++) if (img.data[(y * img.width + x) * 4] < 100) dark++;
      return dark;
    };
    assert.ok(
      darkLeft(png) > darkLeft(without) + 50,
      `token labels appear in the PNG: ${darkLeft(png)} vs ${darkLeft(without)} dark pixels`,
    );
    attention.dispose();
  });

  it("selectedHead: a click in the view reaches the kernel; setting it in the kernel updates the view", async () => {
    const attention = tf.fill([3, 4, 4], 0.25);
    const view = attentionPatterns({ tokens: ["a", "b", "c", "d"], attention });
    const seen: unknown[] = [];
    view.on("change:selectedHead", (c) => void seen.push(c.new));
    await host.comms.get(view.modelId)!.receive({ method: "update", state: { selected_head: 2 }, buffer_paths: [] });
    assert.equal(view.selectedHead, 2);
    assert.deepEqual(seen, [2]);
    view.selectedHead = 1;
    const last = host.messages(view.modelId).pop()!;
    assert.deepEqual(last.data, { method: "update", state: { selected_head: 1 }, buffer_paths: [] });
    assert.throws(() => (view.selectedHead = 3), /selectedHead must be an integer in 0…2, got 3/);
    attention.dispose();
  });

  it("sends one head's exact values when the view asks (its tooltips), tagged with the patterns' version", async () => {
    const values = tf.tensor3d([
      [
        [1, 0],
        [0.123456, 0.876544],
      ],
      [
        [1, 0],
        [0.5, 0.5],
      ],
    ]);
    const view = attentionPatterns({ tokens: ["a", "b"], attention: values });
    const comm = host.comms.get(view.modelId)!;
    await comm.receive({ method: "custom", content: { request: "values", head: 0 } });
    const reply = host.messages(view.modelId).pop()!;
    assert.deepEqual(reply.data, { method: "custom", content: { values_for: 0, patterns_version: 0 } });
    assert.deepEqual(Array.from(reply.buffers[0] as Float32Array), Array.from(values.dataSync().slice(0, 4)));
    const sent = host.sent.length;
    await comm.receive({ method: "custom", content: { request: "values", head: 7 } });
    assert.equal(host.sent.length, sent, "no reply for a head that does not exist");
    view.update({ tokens: ["x", "y"], attention: values });
    await comm.receive({ method: "custom", content: { request: "values", head: 1 } });
    assert.deepEqual(host.messages(view.modelId).pop()!.data, {
      method: "custom",
      content: { values_for: 1, patterns_version: 1 },
    });
    values.dispose();
  });

  it("bad input gets errors naming the problem", () => {
    const attention = tf.fill([2, 3, 3], 1 / 3);
    const tokens = ["a", "b", "c"];
    assert.throws(
      () => attentionPatterns({ tokens: ["a"], attention }),
      /tokens must be 3 strings \(one per key position\), got 1/,
    );
    assert.throws(
      () => attentionPatterns({ tokens, attention: tf.fill([3, 3], 1) }),
      /attention must be \[heads, query, key\] or \[batch, heads, query, key\], got \[3,3\]/,
    );
    assert.throws(
      () => attentionPatterns({ tokens, attention, selectedHead: 5 }),
      /selectedHead must be an integer in 0…1, got 5/,
    );
    assert.throws(
      () => attentionPatterns({ tokens, attention: [attention, tf.fill([2, 2, 3], 0.5)] }),
      /attention\[1\] is \[2,2,3\] but attention\[0\] is \[2,3,3\]/,
    );
    assert.throws(
      () => attentionPatterns({ tokens, attention: tf.fill([1, 2, 3, 3], 0.5), batchIndex: 1 }),
      /batchIndex 1 is out of range/,
    );
    assert.throws(() => attentionPatterns({ tokens, attention, headNames: ["x"] }), /headNames must name 2 heads, got 1/);
    assert.equal(
      host.sent.filter(
        (m) => m.kind === "open" && (m.data.state as Record<string, unknown>)._model_name === "AttentionPatternsModel",
      ).length,
      0,
      "nothing half-opened",
    );
    attention.dispose();
  });

  it("{ cache }: a run's own patterns and token text, every cached layer or `layers`, row `batchIndex`", () => {
    const patternsOnly = { namesFilter: (n: string) => n.endsWith("hook_pattern"), returnType: "none" } as const;
    const text = "The cat sat on the mat. The cat";
    const { cache } = model.runWithCache(text, patternsOnly);
    const opened = (view: { modelId: string }) => {
      const open = host.sent.find((m) => m.kind === "open" && m.commId === view.modelId)!;
      const { layout: _layout, ...state } = open.data.state as Record<string, unknown>; // each view has its own layout
      return { state, bytes: Array.from(open.buffers[0] as Uint8Array) };
    };
    const attention = [cache.get("blocks.0.attn.hook_pattern"), cache.get("blocks.1.attn.hook_pattern")];
    const given = opened(attentionPatterns({ tokens: model.toStrTokens(text), attention }));
    const all = attentionPatterns({ cache });
    assert.deepEqual(opened(all), given, "the same view as from the text's tokens and both layers' patterns");
    assert.equal(all.heads.length, 2 * model.cfg.nHeads);
    const second = attentionPatterns({ cache, layers: 1, selectedHead: { layer: 1, head: 2 } });
    assert.deepEqual(second.selected, { layer: 1, head: 2 });
    assert.deepEqual(opened(second).state.head_names, ["L1H0", "L1H1", "L1H2", "L1H3"]);
    assert.deepEqual(opened(second).bytes, given.bytes.slice(given.bytes.length / 2), "layer 1's bytes");
    cache.dispose();

    const texts = ["The cat sat on the mat.", "The dog ran to the car."];
    const batch = model.runWithCache(texts, patternsOnly).cache;
    const alone = model.runWithCache(texts[1], patternsOnly).cache;
    const fromBatch = opened(attentionPatterns({ cache: batch, batchIndex: 1 }));
    assert.deepEqual(fromBatch.state.tokens, model.toStrTokens(texts[1]));
    const single = opened(attentionPatterns({ cache: alone }));
    assert.ok(
      fromBatch.bytes.every((b, i) => Math.abs(b - single.bytes[i]) <= 1),
      "row 1 of the batch shows the second text's patterns",
    );
    assert.throws(
      () => attentionPatterns({ cache: batch, batchIndex: 2 }),
      /batchIndex 2 is out of range: the cache holds 2 sequences \(0…1\)/,
    );
    batch.dispose();
    alone.dispose();
    const stream = model.runWithCache(text, { namesFilter: (n) => n.endsWith("resid_post"), returnType: "none" }).cache;
    assert.throws(
      () => attentionPatterns({ cache: stream }),
      /the cache holds no attention patterns: run runWithCache keeping them/,
    );
    assert.throws(() => attentionPatterns({ cache: stream, layers: 0 }), /"blocks\.0\.attn\.hook_pattern" was not cached/);
    stream.dispose();
  });

  it("with min and max given, weights outside the scale become bytes 0 and 255 (clamped, not wrapped)", async () => {
    const attention = tf.tensor3d([
      [
        [0, 1],
        [0.5, 0.5],
      ],
    ]);
    const view = attentionPatterns({ tokens: ["a", "b"], attention, min: 0.25, max: 0.75, maskUpperTri: false });
    const open = host.sent.find((m) => m.kind === "open" && m.commId === view.modelId)!;
    const state = open.data.state as Record<string, unknown>;
    assert.deepEqual([state.value_min, state.value_max], [0.25, 0.75]);
    // 0 is below the scale (byte 0, not −128 wrapped to 128), 1 above it (255, not 383 wrapped to 127), 0.5 mid-scale.
    assert.deepEqual(Array.from(open.buffers[0] as Uint8Array), [0, 255, 128, 128]);
    // The snapshot's large pattern shows the clamped ends: white at (0, 0), the scale's full blue at (0, 1).
    const image = await decodePng(view[MIME_BUNDLE_KEY]().data["image/png"] as string);
    const { zoomLeft, zoomTop } = layoutOf(view);
    assert.deepEqual(pixelAt(image, zoomLeft + 40, zoomTop + 120), WHITE); // off the diagonal guides
    assert.deepEqual(pixelAt(image, zoomLeft + 300, zoomTop + 60), BLUE);
    attention.dispose();
  });

  it("batchIndex picks that row of a [batch, heads, query, key] pattern: bytes, exact values and the PNG", async () => {
    const rows = [
      [1, 0, 0, 0, 1, 0, 0, 0, 1], // batch 0: attends to itself
      [1, 0, 0, 1 / 2, 1 / 2, 0, 1 / 3, 1 / 3, 1 / 3], // batch 1: uniform over the prefix
    ];
    const attention = tf.tensor4d(rows.flat(), [2, 1, 3, 3]);
    const view = attentionPatterns({ tokens: ["a", "b", "c"], attention, batchIndex: 1 });
    const open = host.sent.find((m) => m.kind === "open" && m.commId === view.modelId)!;
    assert.deepEqual(Array.from(open.buffers[0] as Uint8Array), [255, 0, 0, 128, 128, 0, 85, 85, 85]);
    await host.comms.get(view.modelId)!.receive({ method: "custom", content: { request: "values", head: 0 } });
    assert.deepEqual(
      Array.from(host.messages(view.modelId).pop()!.buffers[0] as Float32Array),
      Array.from(Float32Array.from(rows[1])),
    );
    // Query 1, key 0 of the large pattern: 0.5 (a mid blue) for batch 1, where batch 0 has 0 (white).
    const image = await decodePng(view[MIME_BUNDLE_KEY]().data["image/png"] as string);
    const { zoomLeft, zoomTop } = layoutOf(view);
    const cell = pixelAt(image, zoomLeft + 30, zoomTop + 140); // off the diagonal guides
    assert.ok(cell[2] > cell[0] + 40 && cell[0] > BLUE[0] + 40, `a mid-scale blue, got ${cell}`);
    attention.dispose();
  });

  it("the snapshot's thumbnails and large pattern put each weight's colour in its cell; masked cells are faint grey", async () => {
    const identity = tf.tensor3d([
      [
        [1, 0, 0],
        [0, 1, 0],
        [0, 0, 1],
      ],
      [
        [1, 0, 0],
        [1, 0, 0],
        [1, 0, 0],
      ],
    ]);
    const view = attentionPatterns({ tokens: ["a", "b", "c"], attention: identity, selectedHead: 1 });
    const image = await decodePng(view[MIME_BUNDLE_KEY]().data["image/png"] as string);
    const layout = layoutOf(view);
    const third = layout.thumb / 3;
    const thumb = (h: number, q: number, k: number) => {
      const [x, y] = layout.thumbAt(h);
      return pixelAt(image, x + (k + 0.5) * third, y + (q + 0.5) * third);
    };
    assert.deepEqual([thumb(0, 0, 0), thumb(0, 1, 1), thumb(0, 2, 2)], [BLUE, BLUE, BLUE], "head 0: the diagonal");
    assert.deepEqual([thumb(0, 1, 0), thumb(0, 2, 1)], [WHITE, WHITE], "head 0: below the diagonal");
    assert.deepEqual([thumb(0, 0, 1), thumb(0, 0, 2), thumb(0, 1, 2)], [MASKED, MASKED, MASKED], "masked above the diagonal");
    assert.deepEqual([thumb(1, 1, 0), thumb(1, 2, 0), thumb(1, 2, 1)], [BLUE, BLUE, WHITE], "head 1: the first token");
    // The large pattern: cells of 120 px; sampled off their centre lines, where the diagonal guides run.
    const zoom = (q: number, k: number) => pixelAt(image, layout.zoomLeft + (k + 0.3) * 120, layout.zoomTop + (q + 0.7) * 120);
    assert.deepEqual([zoom(2, 0), zoom(2, 2), zoom(0, 2)], [BLUE, WHITE, MASKED], "the selected head (1) is the large one");
    identity.dispose();
  });

  it("heads are { layer, head }: selected reads and sets the large head by layer, labels are L{layer}H{head}", async () => {
    const a = tf.fill([2, 2, 2], 0.5);
    const view = attentionPatterns({
      tokens: ["x", "y"],
      attention: [a, a],
      layers: [3, 5],
      selectedHead: { layer: 5, head: 0 },
    });
    assert.deepEqual(view.heads, [
      { layer: 3, head: 0 },
      { layer: 3, head: 1 },
      { layer: 5, head: 0 },
      { layer: 5, head: 1 },
    ]);
    assert.deepEqual(view.get("head_names"), ["L3H0", "L3H1", "L5H0", "L5H1"]);
    assert.equal(view.selectedHead, 2);
    assert.deepEqual(view.selected, { layer: 5, head: 0 });
    const seen: unknown[] = [];
    view.on("change:selected", (c) => void seen.push([c.old, c.new]));
    view.selected = { layer: 3, head: 1 };
    assert.equal(view.selectedHead, 1);
    await host.comms.get(view.modelId)!.receive({ method: "update", state: { selected_head: 3 }, buffer_paths: [] });
    assert.deepEqual(view.selected, { layer: 5, head: 1 });
    assert.deepEqual(seen, [
      [
        { layer: 5, head: 0 },
        { layer: 3, head: 1 },
      ],
      [
        { layer: 3, head: 1 },
        { layer: 5, head: 1 },
      ],
    ]);
    assert.throws(() => (view.selected = { layer: 4, head: 0 }), /L4H0 is not among the heads shown \(L3H0, L3H1, L5H0, L5H1\)/);
    a.dispose();
  });
});
