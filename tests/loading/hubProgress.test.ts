/**
 * Download progress in a notebook cell (fake kernel host): each file gets a progress bar widget
 * instead of the stderr line, ending as "0.3 MB · done in …"; a download that stops leaves a red
 * line saying how far it got; `progress: false` and a callback still mean silent and the caller's
 * reports, and loadModel hands its `progress` option to the hub.
 */
import * as assert from "assert";
import { loadModel } from "../../src";
import { resolveHubModel } from "../../src/loading/hub";
import { createReporter, HubProgress } from "../../src/loading/hub/progress";
import { FakeHost, installFakeHost, removeFakeHost } from "../widgets/fake-host";
import { FakeHub } from "./hub-support/fake-hub";
import { isolateEnv, removeTempDirs, tempDir, tinyRepo } from "./hub-support/fixtures";

/** Everything written to stderr while `fn` runs. */
async function captureStderr(fn: () => Promise<unknown>): Promise<string> {
  const write = process.stderr.write;
  let text = "";
  process.stderr.write = ((chunk: string | Uint8Array) => ((text += String(chunk)), true)) as typeof process.stderr.write;
  try {
    await fn();
  } finally {
    process.stderr.write = write;
  }
  return text;
}

/** Final state of each FloatProgress and Label the host opened, in order. */
function finalStates(host: FakeHost, modelName: string): Record<string, unknown>[] {
  return host.sent
    .filter((s) => s.kind === "open" && (s.data.state as Record<string, unknown>)._model_name === modelName)
    .map((open) => {
      const state = { ...(open.data.state as Record<string, unknown>) };
      for (const m of host.messages(open.commId)) if (m.data.method === "update") Object.assign(state, m.data.state);
      return state;
    });
}

describe("hub download progress in a notebook cell", function () {
  this.timeout(20_000);
  let hub: FakeHub;
  let restoreEnv: () => void;
  let host: FakeHost;

  beforeEach(async () => {
    restoreEnv = isolateEnv();
    hub = await new FakeHub().start();
    hub.repos.set("acme/tiny", tinyRepo("tiny"));
    host = installFakeHost();
  });
  afterEach(async () => {
    removeFakeHost();
    await hub.stop();
    restoreEnv();
    removeTempDirs();
  });

  it("shows a bar widget per downloaded file, ending full and green with its size, and writes nothing on stderr", async () => {
    hub.faults.chunkDelayMs = 5;
    const written = await captureStderr(() => resolveHubModel("acme/tiny", { cacheDir: tempDir(), endpoint: hub.endpoint }));
    assert.strictEqual(written, "");
    assert.strictEqual(host.displayed.length, 5, "one bar per file");
    const bars = finalStates(host, "FloatProgressModel");
    const weights = bars.find((b) => b.description === "downloading model.safetensors");
    assert.ok(weights, JSON.stringify(bars.map((b) => b.description)));
    assert.deepStrictEqual([weights.value, weights.max, weights.bar_style], [300_000, 300_000, "success"]);
    const lines = finalStates(host, "LabelModel").map((l) => String(l.value));
    assert.ok(
      lines.some((l) => /^0\.3 MB · done in \d+\.\d s$/.test(l)),
      lines.join("\n"),
    );
    assert.strictEqual(finalStates(host, "ButtonModel").length, 0, "downloads have no Cancel button");
  });

  it("a download that stops leaves a red line saying how far it got", () => {
    const reporter = createReporter(undefined, "model.safetensors", 268_400_000, 0);
    reporter.update(120_300_000);
    reporter.fail();
    const [bar] = finalStates(host, "FloatProgressModel");
    const [line] = finalStates(host, "LabelModel");
    assert.strictEqual(bar.bar_style, "danger");
    assert.match(String(line.value), /^stopped at 120\.3\/268\.4 MB · \d+\.\d s$/);
  });

  it("progress: false shows nothing; a callback gets the reports; loadModel passes its progress option to the hub", async () => {
    await resolveHubModel("acme/tiny", { cacheDir: tempDir(), endpoint: hub.endpoint, progress: false });
    assert.strictEqual(host.displayed.length, 0);
    const reports: HubProgress[] = [];
    process.env.HF_ENDPOINT = hub.endpoint;
    // The fake repo's weights are random bytes: loading them fails after the download, which is all this needs.
    await assert.rejects(loadModel("acme/tiny", { cacheDir: tempDir(), progress: (p) => reports.push(p) }));
    assert.strictEqual(host.displayed.length, 0);
    assert.deepStrictEqual(reports.filter((r) => r.file === "model.safetensors").pop(), {
      file: "model.safetensors",
      downloaded: 300_000,
      total: 300_000,
    });
  });
});
