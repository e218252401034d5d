/**
 * attentionPatterns' data path (fake host): which layer each head is (from the hook its pattern came
 * from, or `layers`; a list of other tensors is refused without `layers`), the per-head score badges
 * (hand-made patterns, and detectHead's scores on a real run), and what a large view puts on the wire:
 * every head as a max-pooled thumbnail plus the selected head in full, other heads on request, the
 * state's full head following the selection; nothing left in tf memory.
 */
import { strict as assert } from "assert";
import * as path from "path";
import { attentionPatterns, detectHead, HookedTransformer, loadModel, tf } from "../..";
import { REPO_ROOT } from "../../../tests/support/paths";
import { FakeHost, installFakeHost, removeFakeHost } from "../../../tests/widgets/fake-host";
import { headBadges } from "./badges";

/** The state and buffers of the comm_open of `view`. */
function opened(host: FakeHost, view: { modelId: string }) {
  const open = host.sent.find((m) => m.kind === "open" && m.commId === view.modelId)!;
  const paths = open.data.buffer_paths as string[][];
  const buffer = (name: string) => open.buffers[paths.findIndex((p) => p[0] === name)] as Uint8Array;
  return { state: open.data.state as Record<string, unknown>, buffer, open };
}

/** Bytes of a message as it goes out: its JSON plus its binary buffers. */
function wireBytes(m: { data: unknown; buffers: ArrayBufferView[] | unknown[] }): number {
  return JSON.stringify(m.data).length + (m.buffers as ArrayBufferView[]).reduce((s, b) => s + b.byteLength, 0);
}

describe("attentionPatterns data: layers, badges, thumbnails and heads on demand", function () {
  this.timeout(60_000);
  let host: FakeHost;
  let model: HookedTransformer;
  before(async () => (model = await loadModel(path.join(REPO_ROOT, "models", "attn-only-2l"))));
  after(() => model?.dispose());
  beforeEach(() => (host = installFakeHost()));
  afterEach(() => removeFakeHost());

  it("a pattern from cache.get knows its layer: blocks.1 then blocks.0 are L1… then L0…, not L0 and L1", () => {
    const { cache } = model.runWithCache("The cat sat. The cat", {
      namesFilter: (n) => n.endsWith("hook_pattern"),
      returnType: "none",
    });
    const strs = cache.strTokens[0];
    const heads = model.cfg.nHeads;
    const both = attentionPatterns({
      tokens: strs,
      attention: [cache.get("blocks.1.attn.hook_pattern"), cache.get("blocks.0.attn.hook_pattern")],
    });
    const labels = (l: number) => Array.from({ length: heads }, (_, h) => `L${l}H${h}`);
    assert.deepEqual(both.get("head_names"), [...labels(1), ...labels(0)]);
    assert.deepEqual(both.get("head_layers"), [...new Array(heads).fill(1), ...new Array(heads).fill(0)]);
    assert.deepEqual(both.heads[0], { layer: 1, head: 0 });
    const one = attentionPatterns({ tokens: strs, attention: cache.get("blocks.1.attn.hook_pattern") });
    assert.deepEqual(one.get("head_names"), labels(1), "a single pattern from a hook is named by its layer too");
    assert.deepEqual(one.selected, { layer: 1, head: 0 });
    const given = attentionPatterns({ tokens: strs, attention: [cache.get("blocks.1.attn.hook_pattern")], layers: [7] });
    assert.deepEqual(given.get("head_layers"), new Array(heads).fill(7), "`layers` wins over the hook");
    const plain = tf.fill([2, strs.length, strs.length], 1 / strs.length);
    const alone = attentionPatterns({ tokens: strs, attention: plain });
    assert.deepEqual(
      [alone.get("head_names"), alone.get("head_layers")],
      [
        ["H0", "H1"],
        [null, null],
      ],
      "no layer: none made up",
    );
    const copy = cache.get("blocks.1.attn.hook_pattern").clone();
    assert.throws(
      () => attentionPatterns({ tokens: strs, attention: [cache.get("blocks.0.attn.hook_pattern"), copy] }),
      /attention\[1\] did not come from a cache .* so its layer is unknown: pass layers, one per pattern \(e\.g\. layers: \[0, 1\]\)/,
    );
    tf.dispose([plain, copy]);
    cache.dispose();
  });

  it("badges from hand-made patterns: previous, self, BOS and induction as means over the queries that have them", () => {
    // Tokens a b c a c: query 3 ("a") repeats position 0 (next: key 1), query 4 ("c") repeats position 2 (next: key 3).
    const tokens = ["a", "b", "c", "a", "c"];
    const previousHead = [
      [1, 0, 0, 0, 0],
      [1, 0, 0, 0, 0],
      [0, 1, 0, 0, 0],
      [0, 0, 1, 0, 0],
      [0, 0, 0, 1, 0],
    ];
    const inductionHead = [
      [1, 0, 0, 0, 0],
      [1, 0, 0, 0, 0],
      [1, 0, 0, 0, 0],
      [0, 1, 0, 0, 0],
      [0.5, 0, 0, 0.5, 0],
    ];
    const values = Float32Array.from([...previousHead.flat(), ...inductionHead.flat()]);
    const [prev, ind] = headBadges(values, 2, 5, 5, tokens);
    assert.deepEqual(prev, { previous: 1, self: 0.2, bos: 0.4, induction: 0.5 });
    assert.deepEqual(ind, { previous: 1.5 / 4, self: 0.2, bos: 3.5 / 5, induction: 0.75 });
    // Two earlier copies of "a" (positions 0 and 2): the weights on both next positions (1 and 3) add up.
    const twice = Float32Array.from([0, 1, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0.25, 0, 0.5, 0.25]);
    assert.equal(headBadges(twice, 1, 3, 5, ["a", "b", "a", "c", "a"])[0].induction, (1 + 0.75) / 2);
    // No token repeats: no induction badge. One query at the last position: its previous and self keys.
    assert.deepEqual(headBadges(Float32Array.from([0.25, 0.25, 0.5]), 1, 1, 3, ["x", "y", "z"]), [
      { previous: 0.25, self: 0.5, bos: 0.25, induction: null },
    ]);
    assert.equal(headBadges(Float32Array.from([1]), 1, 1, 1, ["x"])[0].previous, null, "position 0 has no previous token");
  });

  it("badges on a real run agree with detectHead: previous·(n−1)/n and induction·m/n (m queries whose token repeats)", () => {
    const text = "The cat sat on the mat. The cat sat on the mat.";
    const { cache } = model.runWithCache(text, { namesFilter: (n) => n.endsWith("hook_pattern"), returnType: "none" });
    const ids = (cache.tokens.arraySync() as number[][])[0];
    const n = ids.length;
    const m = ids.filter((id, i) => ids.indexOf(id) < i).length;
    assert.ok(m > 0 && m < n);
    const view = attentionPatterns({ cache });
    const badges = view.get("head_badges") as { previous: number; induction: number }[];
    const previous = detectHead(model, cache, "previous_token_head").flat();
    const induction = detectHead(model, cache, "induction_head").flat();
    badges.forEach((b, i) => {
      assert.ok(Math.abs((b.previous * (n - 1)) / n - previous[i]) < 1e-5, `head ${i}: ${b.previous} vs ${previous[i]}`);
      assert.ok(Math.abs((b.induction * m) / n - induction[i]) < 1e-5, `head ${i}: ${b.induction} vs ${induction[i]}`);
    });
    const best = badges.reduce((a, b, i) => (b.induction > badges[a].induction ? i : a), 0);
    assert.equal(view.heads[best].layer, 1, "the strongest induction badge is in layer 1 (the model's induction head)");
    cache.dispose();
  });

  it("a large view sends thumbnails and the selected head only (≤ 2 MB), other heads on request, the state following the selection", async () => {
    const before = tf.memory().numTensors;
    const [heads, n] = [3, 700]; // 3 × 700² bytes = 1.47 MB: more than a view sends at once
    const values = tf.tidy(() => {
      const causal = tf.linalg.bandPart(tf.ones([n, n]), -1, 0);
      return tf.softmax(tf.add(tf.randomNormal([heads, n, n], 0, 3, "float32", 7), tf.mul(tf.sub(1, causal), -1e9)));
    });
    const exact = values.dataSync() as Float32Array;
    const byte = (i: number) => Math.round(exact[i] * 255);
    const view = attentionPatterns({ tokens: Array.from({ length: n }, (_, i) => `t${i}`), attention: values, selectedHead: 1 });
    values.dispose();
    const { state, buffer, open } = opened(host, view);
    assert.ok(wireBytes(open) <= 2e6, `comm_open of ${wireBytes(open)} bytes`);
    assert.deepEqual(state.pattern_heads, [1]);
    const full = buffer("patterns");
    assert.equal(full.byteLength, n * n, "one head in full");
    assert.ok(
      full.every((b, i) => b === byte(n * n + i)),
      "the selected head's bytes",
    );
    // Thumbnails: 64 × 64 per head, each cell the largest byte of its block of queries × keys (blocks of 10 or 11).
    assert.deepEqual([state.thumb_rows, state.thumb_cols], [64, 64]);
    const thumbs = buffer("thumbnails");
    assert.equal(thumbs.byteLength, heads * 64 * 64);
    const block = (i: number) => [Math.floor((i * n) / 64), Math.floor(((i + 1) * n) / 64)];
    for (const [h, r, c] of [
      [0, 0, 0],
      [0, 63, 63],
      [1, 40, 12],
      [2, 63, 0],
      [2, 10, 11],
    ]) {
      const [[q0, q1], [k0, k1]] = [block(r), block(c)];
      let most = 0;
      for (let q = q0; q < q1; q++)
        for (let k = k0; k < Math.min(k1, q + 1); k++) most = Math.max(most, byte((h * n + q) * n + k));
      assert.equal(thumbs[(h * 64 + r) * 64 + c], most, `thumbnail ${h} cell (${r}, ${c})`);
    }
    assert.equal(thumbs[(0 * 64 + 3) * 64 + 40], 0, "a block above the diagonal holds no weight");
    // Another head on request: its bytes, tagged with the version.
    const comm = host.comms.get(view.modelId)!;
    await comm.receive({ method: "custom", content: { request: "head", head: 2 } });
    const reply = host.messages(view.modelId).pop()!;
    assert.deepEqual(reply.data, { method: "custom", content: { head_for: 2, patterns_version: 0 } });
    assert.ok((reply.buffers[0] as Uint8Array).every((b, i) => b === byte(2 * n * n + i)));
    // Selecting a head (kernel side, or a click in the view) puts that head's bytes in the state.
    view.selectedHead = 0;
    const update = host.messages(view.modelId).pop()!;
    assert.deepEqual((update.data.state as Record<string, unknown>).pattern_heads, [0]);
    assert.ok((update.buffers[0] as Uint8Array).every((b, i) => b === byte(i)));
    await comm.receive({ method: "update", state: { selected_head: 2 }, buffer_paths: [] });
    const pushed = host
      .messages(view.modelId)
      .filter((msg) => msg.data.method === "update")
      .pop()!;
    assert.deepEqual(pushed.data.state, { pattern_heads: [2] }, "the click is not sent back");
    assert.deepEqual(pushed.data.buffer_paths, [["patterns"]]);
    assert.ok(
      (pushed.buffers[0] as Uint8Array).every((b, k) => b === byte(2 * n * n + k)),
      "head 2's bytes are",
    );
    assert.deepEqual(view.get("pattern_heads"), [2]);
    assert.equal(tf.memory().numTensors, before, "no tensor left behind");
  });

  it("hundreds of heads get smaller thumbnails: all of them together stay within 1 MiB", () => {
    const [heads, n] = [400, 80]; // 400 × 64² would be 1.6 MB of thumbnails
    const a = tf.fill([heads, n, n], 1 / n);
    const view = attentionPatterns({ tokens: Array.from({ length: n }, (_, i) => `t${i}`), attention: a });
    a.dispose();
    const { state, buffer } = opened(host, view);
    assert.deepEqual([state.thumb_rows, state.thumb_cols], [51, 51], "⌊√(2²⁰ / 400)⌋ = 51");
    assert.ok(buffer("thumbnails").byteLength <= 1 << 20, `${buffer("thumbnails").byteLength} bytes of thumbnails`);
    assert.deepEqual(state.pattern_heads, [0], "400 × 80² bytes do not go at once");
  });

  it("a small view sends every head at once; update() bumps the version and the replies carry it", async () => {
    const a = tf.fill([2, 4, 4], 0.25);
    const view = attentionPatterns({ tokens: ["a", "b", "c", "d"], attention: a });
    assert.deepEqual(opened(host, view).state.pattern_heads, [0, 1]);
    view.selectedHead = 1;
    assert.ok(
      !host.messages(view.modelId).some((m) => "patterns" in ((m.data.state ?? {}) as object)),
      "a small view's state holds every head already: selecting sends no bytes",
    );
    view.update({ tokens: ["a", "b", "c", "d"], attention: a });
    await host.comms.get(view.modelId)!.receive({ method: "custom", content: { request: "head", head: 1 } });
    assert.deepEqual(host.messages(view.modelId).pop()!.data.content, { head_for: 1, patterns_version: 1 });
    a.dispose();
  });

  it("repeat marks a repeated sequence in the view's state; a mark outside the prompt is refused, naming the option", () => {
    const { cache } = model.runWithCache("a b c a b c", { namesFilter: (n) => n.endsWith("hook_pattern"), returnType: "none" });
    const before = tf.memory().numTensors;
    const view = attentionPatterns({ cache, repeat: { start: 4, length: 3 } });
    assert.deepEqual(opened(host, view).state.repeat, { start: 4, length: 3 });
    assert.equal(opened(host, attentionPatterns({ cache })).state.repeat, null);
    const keys = cache.tokens.shape[1];
    for (const bad of [
      { start: keys, length: 3 },
      { start: 2, length: 3 },
      { start: 4, length: 0 },
      { start: 4.5, length: 3 },
    ])
      assert.throws(() => attentionPatterns({ cache, repeat: bad }), /^Error: repeat must be \{ start, length \}/);
    assert.equal(tf.memory().numTensors, before);
    cache.dispose();
  });

  it("{ cache } labels tokens with the cache's display text: a split character as its bytes, not �", () => {
    const { cache } = model.runWithCache("a snowman ☃", { namesFilter: (n) => n.endsWith("hook_pattern"), returnType: "none" });
    assert.ok(
      cache.strTokens[0].some((t) => t.includes("\uFFFD")),
      `TransformerLens's strings keep �: ${cache.strTokens[0]}`,
    );
    const shown = opened(host, attentionPatterns({ cache })).state.tokens as string[];
    assert.deepEqual(shown, cache.displayTokens[0]);
    assert.ok(shown.join("|").includes("<0xE2>|<0x98>|<0x83>"), shown.join("|"));
    assert.ok(!shown.some((t) => t.includes("\uFFFD")));
    cache.dispose();
    assert.throws(() => cache.displayTokens, /disposed/);
  });
});
