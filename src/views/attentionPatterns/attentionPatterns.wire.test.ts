/**
 * attentionPatterns through a real kernel: a cell's view arrives as a comm_open whose bytes, read
 * through the spec as the browser reads them, decode to the model's own patterns; a click in the
 * frontend (an update of selected_head) reaches the kernel object as selectedHead and { layer, head };
 * the view's request for exact values is answered with that head's float32 values; the PNG in the
 * display bundle shows the selected head.
 */
import assert from "node:assert/strict";
import type { KernelClient } from "../../../tests/kernel/client";
import { decodePng, pixelAt } from "../../../tests/widgets/png-pixels";
import { frontendUpdate, showView, shownBundle, viewKernel, WireView, wireFields } from "../../../tests/widgets/view-wire";
import { attentionLayout } from "./snapshot";
import { attentionPatternsSpec, patternsOf } from "./spec";

const TEXT = "The cat sat on the mat. The cat sat";

describe("attentionPatterns over the kernel wire", function () {
  this.timeout(120_000);
  let kernel: KernelClient;
  let view: WireView;
  let truth: { layer1: number[]; nHeads: number; tokens: string[] };

  before(async () => {
    kernel = await viewKernel();
    view = await showView(
      kernel,
      attentionPatternsSpec,
      `const apCache = model.runWithCache(${JSON.stringify(TEXT)}, { namesFilter: (n) => n.endsWith("hook_pattern"), returnType: "none" }).cache;
const apView = lens.attentionPatterns({ tokens: model.toStrTokens(${JSON.stringify(TEXT)}), attention: [apCache.get("blocks.0.attn.hook_pattern"), apCache.get("blocks.1.attn.hook_pattern")] });
apView`,
    );
    truth = (await kernel.evaluate(
      `{ layer1: Array.from(apCache.get("blocks.1.attn.hook_pattern").dataSync()), nHeads: model.cfg.nHeads, tokens: model.toStrTokens(${JSON.stringify(TEXT)}) }`,
    )) as typeof truth;
  });

  it("the bytes on the wire decode to layer 1's patterns within half a level; names and tokens as given", () => {
    const read = wireFields(attentionPatternsSpec, view.state);
    const p = patternsOf(read)!;
    const { nHeads } = truth;
    assert.deepEqual([p.heads, p.queries, p.keys, p.min, p.max], [2 * nHeads, truth.tokens.length, truth.tokens.length, 0, 1]);
    assert.deepEqual(
      read("headNames").slice(nHeads),
      Array.from({ length: nHeads }, (_, h) => `L1H${h}`),
    );
    assert.deepEqual(read("tokens"), truth.tokens);
    const layer1 = p.bytes.subarray(nHeads * p.queries * p.keys);
    const worst = Math.max(...truth.layer1.map((v, i) => Math.abs(layer1[i] / 255 - v)));
    assert.ok(worst <= 0.5 / 255 + 1e-6, `worst decoding error ${worst}`);
  });

  it("a click on a thumbnail (selected_head from the frontend) is selectedHead and { layer, head } in the kernel", async () => {
    const head = truth.nHeads + 1; // L1H1
    const published = await frontendUpdate(kernel, view.commId, { selected_head: head });
    assert.ok(
      published.some((m) => (m.content.data as { method?: string })?.method === "echo_update"),
      "the kernel echoes the update",
    );
    assert.deepEqual(await kernel.evaluate("[apView.selectedHead, apView.selected, String(apView)]"), [
      head,
      { layer: 1, head: 1 },
      `AttentionPatterns(${2 * truth.nHeads} heads, ${truth.tokens.length}×${truth.tokens.length} tokens, selected L1H1)`,
    ]);
  });

  it("answers the view's request for a head's exact values with that head's float32 pattern", async () => {
    const head = truth.nHeads; // L1H0
    const { iopub } = await kernel.roundTrip("shell", "comm_msg", {
      comm_id: view.commId,
      data: { method: "custom", content: { request: "values", head } },
    });
    const reply = iopub.find((m) => m.header.msg_type === "comm_msg" && m.content.comm_id === view.commId)!;
    assert.deepEqual(reply.content.data, { method: "custom", content: { values_for: head, patterns_version: 0 } });
    const bytes = reply.buffers[0];
    const exact = new Float32Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength));
    const n = truth.tokens.length;
    assert.deepEqual(Array.from(exact), Array.from(Float32Array.from(truth.layer1.slice(0, n * n))));
  });

  it("the PNG sent with the view frames the selected head's thumbnail, in its layer's row, and fills its cells with the pattern's colours", async () => {
    const png = shownBundle((await kernel.run("apView")).outputs)!["image/png"] as string;
    const image = await decodePng(png);
    const read = wireFields(attentionPatternsSpec, view.state);
    const layout = attentionLayout({ headNames: read("headNames"), headLayers: read("headLayers") });
    assert.deepEqual(
      layout.rows.map((r) => r.label),
      ["L0", "L1"],
    );
    // Thumbnail of L1H1 (index nHeads + 1): second row, second column; cell (query 0, key 0) holds weight 1, full blue.
    const index = truth.nHeads + 1;
    const [x, y] = layout.thumbAt(index);
    assert.deepEqual([x, y > layout.thumbAt(0)[1]], [layout.thumbAt(1)[0], true], "L1H1 sits under L0H1");
    const n = truth.tokens.length;
    assert.deepEqual(pixelAt(image, x + layout.thumb / n / 2, y + layout.thumb / n / 2), [33, 102, 172]);
    // Its frame is 3 px wide and blue (selected): 2 px outside the thumbnail, where head 0's 1 px grey frame leaves white.
    const [r, , b] = pixelAt(image, x - 2, y + 32);
    assert.ok(b > r + 100, `a blue frame: ${pixelAt(image, x - 2, y + 32)}`);
    const [x0, y0] = layout.thumbAt(0);
    assert.deepEqual(pixelAt(image, x0 - 2, y0 + 32), [255, 255, 255]);
  });
});
