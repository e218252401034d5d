/**
 * The progress bar on the kernel side (fake host): it is displayed in the running cell, redraws in
 * place at most once per interval whatever the number of updates, says what it counts and how long
 * is left, takes a Cancel click from the frontend, and is not shown where no cell runs.
 */
import { strict as assert } from "assert";
import { MIME_BUNDLE_KEY } from "../../common/host";
import { FakeHost, installFakeHost, removeFakeHost } from "../../../tests/widgets/fake-host";
import { formatSeconds, ratePerSecond, runningLine, secondsLeft } from "./format";
import { ProgressBar } from "./progressBar";
import { showProgressBar } from "./show";

const WIDGET_VIEW = "application/vnd.jupyter.widget-view+json";

/** The state a widget opened with, by model name ("FloatProgressModel", …). */
function opened(host: FakeHost, modelName: string): { commId: string; state: Record<string, unknown> }[] {
  return host.sent
    .filter((s) => s.kind === "open" && (s.data.state as Record<string, unknown>)._model_name === modelName)
    .map((s) => ({ commId: s.commId, state: s.data.state as Record<string, unknown> }));
}

/** The state updates sent on a comm, in order. */
function updates(host: FakeHost, commId: string): Record<string, unknown>[] {
  return host
    .messages(commId)
    .filter((s) => s.data.method === "update")
    .map((s) => s.data.state as Record<string, unknown>);
}

describe("progress bar widget", () => {
  let host: FakeHost;
  beforeEach(() => (host = installFakeHost()));
  afterEach(() => removeFakeHost());

  it("is displayed in the running cell as one HBox of a FloatProgress, a Label and a Cancel button", () => {
    const bar = showProgressBar({ label: "patching resid_pre", total: 4096, unit: "runs", cancellable: true });
    assert.ok(bar);
    assert.equal(host.displayed.length, 1);
    const shown = host.displayed[0].data;
    assert.equal((shown[WIDGET_VIEW] as { model_id: string }).model_id, bar.box.modelId);
    assert.equal(shown["text/plain"], "patching resid_pre: 0/4096 runs");
    const [box] = opened(host, "HBoxModel");
    const [progress] = opened(host, "FloatProgressModel");
    const [label] = opened(host, "LabelModel");
    const [button] = opened(host, "ButtonModel");
    assert.deepEqual(
      box.state.children,
      [progress, label, button].map((w) => `IPY_MODEL_${w.commId}`),
    );
    assert.equal(progress.state.description, "patching resid_pre");
    assert.equal(progress.state.max, 4096);
    assert.equal(label.state.value, "0/4096 runs");
    assert.equal(button.state.description, "Cancel");
  });

  it("redraws in place at most once per 100 ms: 1000 updates over 1 s send 10 redraws, then the final line", () => {
    let clock = 0;
    const bar = new ProgressBar({ label: "patching", total: 1000, unit: "runs", now: () => clock });
    const [progress] = opened(host, "FloatProgressModel");
    const [label] = opened(host, "LabelModel");
    for (let done = 1; done <= 1000; done++) {
      clock = done; // one update per millisecond
      bar.update(done);
    }
    const drawn = updates(host, progress.commId).map((u) => u.value);
    assert.deepEqual(drawn, [1, 101, 201, 301, 401, 501, 601, 701, 801, 901]);
    assert.equal(updates(host, label.commId).length, 10);
    assert.equal(host.displayed.length, 0, "updates never display anything new");
    clock = 3200;
    bar.finish();
    const last = updates(host, label.commId).pop();
    assert.deepEqual(last, { value: "1000 runs · done in 3.2 s" });
    assert.deepEqual(updates(host, progress.commId).slice(-2), [{ bar_style: "success" }, { value: 1000 }]);
  });

  it("shows the counts, the time so far and the time left at the rate since the first report", () => {
    let clock = 0;
    const bar = new ProgressBar({ label: "patching", total: 4096, unit: "runs", now: () => clock });
    const [label] = opened(host, "LabelModel");
    clock = 500;
    bar.update(1024); // done at once (runs a patch does not change): the rate starts here
    clock = 3_600;
    bar.update(1234); // 210 runs in 3.1 s
    assert.equal(updates(host, label.commId).pop()?.value, "1234/4096 runs · 3.6 s · 42 s left");
  });

  it("a Cancel click from the frontend sets cancelRequested and disables the button; stop() leaves a red line", async () => {
    let clock = 0;
    const bar = new ProgressBar({ label: "patching", total: 10, unit: "runs", cancellable: true, now: () => clock });
    const [box] = opened(host, "HBoxModel");
    const [button] = opened(host, "ButtonModel");
    const [progress] = opened(host, "FloatProgressModel");
    assert.equal(bar.cancelRequested, false);
    await host.comms.get(button.commId)!.receive({ method: "custom", content: { event: "click" } });
    assert.equal(bar.cancelRequested, true);
    assert.deepEqual(updates(host, button.commId), [{ description: "Cancelling…", disabled: true }]);
    clock = 1500;
    bar.stop("cancelled after 4 of 10 runs");
    assert.deepEqual(updates(host, progress.commId), [{ bar_style: "danger" }]);
    assert.equal(host.messages(button.commId, "close").length, 1, "the button is closed");
    assert.equal(updates(host, box.commId).pop()?.children instanceof Array, true);
    assert.equal((updates(host, box.commId).pop()?.children as string[]).length, 2, "the box keeps the bar and its line");
    bar.update(5); // after the end, nothing moves
    assert.equal(updates(host, progress.commId).length, 1);
  });

  it("is not shown outside a running cell: no kernel, or inside a widget callback", () => {
    host.cell = undefined;
    assert.equal(showProgressBar({ label: "x", total: 1 }), undefined);
    removeFakeHost();
    assert.equal(showProgressBar({ label: "x", total: 1 }), undefined);
    assert.equal(host.sent.length, 0);
  });

  it("text/plain of the display says what runs (for frontends without widgets)", () => {
    const bar = new ProgressBar({ label: "downloading model.safetensors", total: 268_400_000, unit: "bytes" });
    assert.equal(bar[MIME_BUNDLE_KEY]().data["text/plain"], "downloading model.safetensors: 0.0/268.4 MB");
  });
});

describe("progress line formatting", () => {
  it("durations read as seconds, minutes and hours", () => {
    assert.deepEqual([0.04, 3.24, 42.4, 65, 3599, 3720].map(formatSeconds), [
      "0.0 s",
      "3.2 s",
      "42 s",
      "1 min 05 s",
      "59 min 59 s",
      "1 h 02 min",
    ]);
  });

  it("bytes show MB and the speed; nothing is left once done, and there is no estimate without a rate", () => {
    const perSecond = ratePerSecond({ at: 0, done: 0 }, 4000, 120_300_000);
    assert.equal(
      runningLine({ done: 120_300_000, total: 268_400_000, unit: "bytes", elapsedSeconds: 4, perSecond, leftSeconds: 5 }),
      "120.3/268.4 MB · 30.1 MB/s · 4.0 s · 5.0 s left",
    );
    assert.equal(secondsLeft(10, 10, 3), undefined);
    assert.equal(ratePerSecond({ at: 100, done: 5 }, 100, 5), undefined);
    assert.equal(secondsLeft(3, 10, undefined), undefined);
  });
});
