/**
 * A patching sweep's progress and cancel. In a notebook cell (fake kernel host) a long sweep shows
 * one progress widget that ends as a "done in" line; outside a kernel it writes the text bar on
 * stderr. A click on Cancel, or an interrupt of the cell, stops the sweep after the batch it is
 * in: it rejects with an error saying how far it got, runs no further forwards and leaves no tensors.
 */
import { strict as assert } from "assert";
import * as path from "path";
import * as lens from "../../src";
import { ActivationCache, HookedTransformer, loadModel, tf } from "../../src";
import { REPO_ROOT } from "../support/paths";
import { FakeHost, installFakeHost, removeFakeHost } from "../widgets/fake-host";

const CLEAN = [[1, 5, 7, 9, 11, 13, 20]];
const CORRUPTED = [[1, 5, 8, 9, 11, 13, 20]];
/** gpt2-tiny: 2 layers × 4 heads × 7 × 7 single attention weights. */
const RUNS = 2 * 4 * 7 * 7;
const metric: lens.PatchMetric = (logits) => logits.slice([0, 6, 3], [-1, 1, 1]).mean();

/** What `fn` writes on stderr while it runs (nothing reaches the terminal). */
async function stderrOf<T>(fn: () => Promise<T>): Promise<{ result: T; text: string }> {
  const write = process.stderr.write;
  let text = "";
  process.stderr.write = ((chunk: string | Uint8Array) => ((text += String(chunk)), true)) as typeof process.stderr.write;
  try {
    return { result: await fn(), text };
  } finally {
    process.stderr.write = write;
  }
}

/** State of the widgets a fake host opened, by model name. */
function openedModels(host: FakeHost, modelName: string): { commId: string; state: Record<string, unknown> }[] {
  return host.sent
    .filter((s) => s.kind === "open" && (s.data.state as Record<string, unknown>)._model_name === modelName)
    .map((s) => ({ commId: s.commId, state: s.data.state as Record<string, unknown> }));
}

/** The last value each state key was set to on `commId`. */
function lastState(host: FakeHost, commId: string): Record<string, unknown> {
  const open = host.sent.find((s) => s.kind === "open" && s.commId === commId)!;
  const state = { ...(open.data.state as Record<string, unknown>) };
  for (const m of host.messages(commId)) if (m.data.method === "update") Object.assign(state, m.data.state);
  return state;
}

describe("patching sweep progress and cancel", function () {
  this.timeout(120_000);
  let model: HookedTransformer;
  let clean: ActivationCache;

  before(async () => {
    model = await loadModel(path.join(REPO_ROOT, "tests", "fixtures", "models", "gpt2-tiny"));
    clean = model.runWithCache(CLEAN, { returnType: "none" }).cache;
  });
  after(() => {
    removeFakeHost();
    clean?.dispose();
    model?.dispose();
  });
  afterEach(() => removeFakeHost());

  it("in a notebook cell: one progress widget, finished as a green 'done in' line, and nothing on stderr", async () => {
    const host = installFakeHost();
    const { result, text } = await stderrOf(() => lens.getActPatchAttnHeadPatternDestSrcPos(model, CORRUPTED, clean, metric));
    result.dispose();
    assert.equal(text, "");
    assert.equal(host.displayed.length, 1, "one display: the bar");
    const [bar] = openedModels(host, "FloatProgressModel");
    const [line] = openedModels(host, "LabelModel");
    assert.equal(bar.state.description, "patching attn.hook_pattern");
    assert.deepEqual(
      [lastState(host, bar.commId).value, lastState(host, bar.commId).bar_style, lastState(host, bar.commId).max],
      [RUNS, "success", RUNS],
    );
    assert.match(String(lastState(host, line.commId).value), new RegExp(`^${RUNS} runs · done in \\d+\\.\\d s$`));
    const [button] = openedModels(host, "ButtonModel");
    assert.equal(host.messages(button.commId, "close").length, 1, "the Cancel button goes when the sweep ends");
  });

  it("outside a kernel: the text bar on stderr, as before; progress: false writes nothing", async () => {
    const { result, text } = await stderrOf(() => lens.getActPatchAttnHeadPatternDestSrcPos(model, CORRUPTED, clean, metric));
    result.dispose();
    assert.match(text, new RegExp(`\\rpatching attn.hook_pattern \\[#{24}\\] ${RUNS}/${RUNS} runs \\d+\\.\\d s\\n$`));
    const quiet = await stderrOf(() =>
      lens.getActPatchAttnHeadPatternDestSrcPos(model, CORRUPTED, clean, metric, { progress: false }),
    );
    quiet.result.dispose();
    assert.equal(quiet.text, "");
  });

  it("in a notebook cell, progress: false shows nothing and a callback gets the counts instead of a widget", async () => {
    const host = installFakeHost();
    (await lens.getActPatchAttnHeadPatternDestSrcPos(model, CORRUPTED, clean, metric, { progress: false })).dispose();
    const seen: number[] = [];
    const progress = (done: number) => void seen.push(done);
    (await lens.getActPatchAttnHeadPatternDestSrcPos(model, CORRUPTED, clean, metric, { progress })).dispose();
    assert.equal(host.displayed.length, 0);
    assert.equal(seen[seen.length - 1], RUNS);
  });

  for (const mode of ["batched", "loop"] as const) {
    it(`${mode}: Cancel clicked mid-sweep stops it after that batch, with a clear error, no further forwards and no tensors left`, async () => {
      const host = installFakeHost();
      const forward = mode === "loop" ? "runWithHooks" : "runFromLayer";
      const original = model[forward];
      let calls = 0;
      let clickedAt = -1;
      (model as unknown as Record<string, unknown>)[forward] = (...args: unknown[]) => {
        calls++;
        if (calls === 5) {
          // The frontend's click arrives while the sweep runs (as a comm message between batches would).
          const [button] = openedModels(host, "ButtonModel");
          void host.comms.get(button.commId)!.receive({ method: "custom", content: { event: "click" } });
          clickedAt = calls;
        }
        return (original as (...a: unknown[]) => unknown).apply(model, args);
      };
      const before = tf.memory().numTensors;
      let error: Error | undefined;
      try {
        await lens.getActPatchAttnHeadPatternDestSrcPos(model, CORRUPTED, clean, metric, { mode, batchSize: 4 });
      } catch (err) {
        error = err as Error;
      } finally {
        (model as unknown as Record<string, unknown>)[forward] = original;
      }
      assert.ok(error instanceof lens.SweepCancelledError, `rejected with ${error}`);
      assert.match(error.message, new RegExp(`^patching attn.hook_pattern sweep cancelled after (\\d+) of ${RUNS} runs$`));
      const done = (error as lens.SweepCancelledError).done;
      assert.ok(done > 0 && done < RUNS, `stopped midway: ${done}`);
      // The batch the click came in finished; nothing ran after it (loop: one forward per run).
      if (mode === "loop") assert.equal(calls, clickedAt);
      else assert.ok(calls <= clickedAt + model.cfg.nLayers, `${calls} block calls after the click at ${clickedAt}`); // a group: ≤ one call per layer + the unembedding
      assert.equal(tf.memory().numTensors, before, "no tensors left behind");
      const [bar] = openedModels(host, "FloatProgressModel");
      const [line] = openedModels(host, "LabelModel");
      assert.equal(lastState(host, bar.commId).bar_style, "danger");
      assert.match(String(lastState(host, line.commId).value), new RegExp(`^cancelled after ${done} of ${RUNS} runs · `));
    });
  }

  it("an interrupted cell stops the sweep the same way, even when it shows no bar; the next sweep runs", async () => {
    const host = installFakeHost();
    const cell = host.cell as { interrupted?: boolean };
    const original = model.runFromLayer;
    let calls = 0;
    model.runFromLayer = (...args) => {
      if (++calls === 3) cell.interrupted = true; // interrupt_request / SIGINT, as the kernel marks the cell
      return original.apply(model, args);
    };
    const before = tf.memory().numTensors;
    try {
      await assert.rejects(
        lens.getActPatchAttnHeadPatternDestSrcPos(model, CORRUPTED, clean, metric, { batchSize: 4, progress: false }),
        new RegExp(`^SweepCancelledError: patching attn.hook_pattern sweep interrupted after \\d+ of ${RUNS} runs$`),
      );
    } finally {
      model.runFromLayer = original;
    }
    assert.equal(tf.memory().numTensors, before);
    host.cell = { msgId: "next-cell", running: true, hooks: [] };
    (await lens.getActPatchAttnHeadPatternDestSrcPos(model, CORRUPTED, clean, metric, { progress: false })).dispose();
    assert.equal(tf.memory().numTensors, before);
  });
});
