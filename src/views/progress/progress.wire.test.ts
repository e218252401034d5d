/**
 * Progress and cancel through a real kernel. A long sweep shows one progress widget in its cell's
 * output and redraws it in place (no new displays, at most about ten redraws a second); the Cancel
 * click arrives as a comm message while the sweep runs and stops it with a clear error, freeing its
 * tensors; Jupyter's interrupt stops it the same way; the kernel stays usable.
 */
import assert from "node:assert/strict";
import type { KernelClient, Received } from "../../../tests/kernel/client";
import { openedState, viewKernel } from "../../../tests/widgets/view-wire";

/** 2 layers × 4 heads × 24 × 24 single attention weights of the embedded model. */
const LONG_RUNS = 2 * 4 * 24 * 24;

const SETUP = `
const pgClean = [Array.from({ length: 24 }, (_, i) => ((i * 37) % 1000) + 1)];
const pgCorrupted = [pgClean[0].map((t, i) => (i === 3 ? 999 : t))];
const pgCache = model.runWithCache(pgClean, { returnType: "none" }).cache;
const pgMetric: lens.PatchMetric = (logits) => logits.slice([0, 23, 5], [-1, 1, 1]).mean();
const pgBefore = lens.tf.memory().numTensors;`;

/** A sweep of LONG_RUNS full forwards: long enough to be stopped midway. */
const LONG_SWEEP = `await lens.getActPatchAttnHeadPatternDestSrcPos(model, pgCorrupted, pgCache, pgMetric, { mode: "loop" });`;

/** The comm_open of a `modelName` widget among messages parented to `msgId`. */
function openOf(kernel: KernelClient, msgId: string, modelName: string): Received | undefined {
  return kernel
    .iopubFor(msgId)
    .find((m) => m.header.msg_type === "comm_open" && (openedState(m)._model_name as string) === modelName);
}

/** Every state update the kernel sent on `commId` so far. */
function updatesOf(kernel: KernelClient, commId: string): Record<string, unknown>[] {
  return kernel.received
    .filter(
      (m) =>
        m.channel === "iopub" &&
        m.header.msg_type === "comm_msg" &&
        m.content.comm_id === commId &&
        (m.content.data as { method?: string }).method === "update",
    )
    .map((m) => (m.content.data as { state: Record<string, unknown> }).state);
}

/** Starts the long sweep in a cell; resolves once its bar has moved, with the cell's id and the bar's parts. */
async function startLongSweep(kernel: KernelClient): Promise<{ cell: string; bar: string; line: string; button: string }> {
  const cell = await kernel.request("shell", "execute_request", {
    code: LONG_SWEEP,
    silent: false,
    store_history: true,
    user_expressions: {},
    allow_stdin: false,
    stop_on_error: false,
  });
  const parts = await kernel.waitFor("the progress widget's parts", () => {
    const [bar, line, button] = ["FloatProgressModel", "LabelModel", "ButtonModel"].map((n) => openOf(kernel, cell, n));
    return bar && line && button && { bar: bar.content.comm_id, line: line.content.comm_id, button: button.content.comm_id };
  });
  const ids = { cell, bar: String(parts.bar), line: String(parts.line), button: String(parts.button) };
  await kernel.waitFor("the bar to move", () => updatesOf(kernel, ids.bar).some((u) => Number(u.value) > 0));
  return ids;
}

describe("progress bar and cancel over the kernel wire", function () {
  this.timeout(180_000);
  let kernel: KernelClient;

  before(async () => {
    kernel = await viewKernel();
    await kernel.run(SETUP);
  });

  it("a long sweep shows one progress widget in its cell and redraws it in place, ending as a 'done in' line", async () => {
    const started = Date.now();
    const { msgId, outputs } = await kernel.run(
      `(await lens.getActPatchAttnHeadOutByPos(model, pgCorrupted, pgCache, pgMetric, { mode: "loop" })).dispose();`,
    );
    const elapsedMs = Date.now() - started;
    const displays = outputs.filter((m) => m.header.msg_type === "display_data");
    assert.equal(displays.length, 1, "one display: the bar");
    const box = openOf(kernel, msgId, "HBoxModel")!;
    const shown = displays[0].content.data as Record<string, { model_id?: string }>;
    assert.equal(shown["application/vnd.jupyter.widget-view+json"].model_id, box.content.comm_id);
    const bar = String(openOf(kernel, msgId, "FloatProgressModel")!.content.comm_id);
    const line = String(openOf(kernel, msgId, "LabelModel")!.content.comm_id);
    const redraws = updatesOf(kernel, bar).filter((u) => "value" in u);
    // 192 runs, one step each; redraws are ≤ 10 a second (+ the first and the final one), however fast the runs were.
    assert.ok(redraws.length <= 2 + Math.ceil(elapsedMs / 100), `${redraws.length} redraws in ${elapsedMs} ms`);
    assert.equal(redraws[redraws.length - 1].value, 192);
    assert.match(String(updatesOf(kernel, line).pop()?.value), /^192 runs · done in \d/);
    assert.ok(
      outputs.every((m) => m.header.msg_type !== "stream"),
      "no text bar on stderr",
    );
  });

  it("Cancel stops the running sweep: a clear error, no tensors left, and the kernel keeps working", async () => {
    const { cell, bar, line, button } = await startLongSweep(kernel);
    // The click is a comm message handled while the cell still runs.
    await kernel.roundTrip("shell", "comm_msg", { comm_id: button, data: { method: "custom", content: { event: "click" } } });
    const { reply } = await kernel.collectUntilIdle(cell);
    assert.equal(reply?.content.status, "error");
    assert.equal(reply?.content.ename, "SweepCancelledError");
    const stopped = String(reply?.content.evalue).match(
      new RegExp(`^patching attn.hook_pattern sweep cancelled after (\\d+) of ${LONG_RUNS} runs$`),
    );
    assert.ok(stopped, String(reply?.content.evalue));
    assert.ok(Number(stopped[1]) < LONG_RUNS);
    assert.equal(updatesOf(kernel, bar).pop()?.bar_style, "danger");
    assert.match(String(updatesOf(kernel, line).pop()?.value), new RegExp(`^cancelled after ${stopped[1]} of ${LONG_RUNS} runs`));
    assert.equal(await kernel.evaluate("lens.tf.memory().numTensors - pgBefore"), 0);
  });

  it("Jupyter's interrupt ends the cell and stops the sweep at its next step, freeing its tensors", async () => {
    const { cell, line } = await startLongSweep(kernel);
    await kernel.roundTrip("control", "interrupt_request", {});
    const { reply } = await kernel.collectUntilIdle(cell);
    assert.equal(reply?.content.ename, "Interrupted");
    const last = await kernel.waitFor("the bar's last line", () =>
      updatesOf(kernel, line)
        .map((u) => String(u.value))
        .find((v) => v.startsWith("interrupted after")),
    );
    assert.match(last, new RegExp(`^interrupted after \\d+ of ${LONG_RUNS} runs · `));
    assert.equal(await kernel.evaluate("lens.tf.memory().numTensors - pgBefore"), 0);
  });
});
