/**
 * The acceptance scenario, driven by jupyter_client from .venv (a real
 * Jupyter client library, not our own codec).
 */
import { strict as assert } from "assert";
import { execFileSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { REPO_ROOT, venvBin } from "../support/paths";

interface Observed {
  msg_type: string;
  content: Record<string, any>;
  metadata: Record<string, any>;
  buffers: string[];
  session: string;
}
interface Execution {
  iopub: Observed[];
  reply: Record<string, any>;
}

function types(msgs: Observed[]): string[] {
  return msgs.map((m) => (m.msg_type === "status" ? `status:${m.content.execution_state}` : m.msg_type));
}

function plainResult(exec: Execution): string | undefined {
  return exec.iopub.find((m) => m.msg_type === "execute_result")?.content.data["text/plain"];
}

describe("jupyter_client acceptance scenario", function () {
  this.timeout(180_000);
  let report: Record<string, any>;

  before(function () {
    const cwd = fs.mkdtempSync(path.join(os.tmpdir(), "tslens-acceptance-"));
    const stdout = execFileSync(venvBin("python"), [path.join(REPO_ROOT, "tests", "jupyter", "acceptance_client.py"), cwd], {
      encoding: "utf8",
      maxBuffer: 64 * 1024 * 1024,
      timeout: 170_000,
    });
    report = JSON.parse(stdout);
  });

  it("publishes comm_open for the IntSlider, then a display with its model id", function () {
    const msgs: Observed[] = report.slider_cell.iopub;
    const openIndex = msgs.findIndex((m) => m.msg_type === "comm_open" && m.content.data.state._model_name === "IntSliderModel");
    assert.ok(openIndex >= 0, `no IntSliderModel comm_open in ${types(msgs)}`);
    const open = msgs[openIndex];
    assert.equal(open.content.target_name, "jupyter.widget");
    assert.equal(open.metadata.version, "2.1.0");
    assert.equal(open.content.data.state._model_module, "@jupyter-widgets/controls");
    assert.equal(open.content.data.state.value, 3);
    assert.deepEqual(open.content.data.buffer_paths, []);
    const displayIndex = msgs.findIndex((m) => m.msg_type === "display_data");
    assert.ok(displayIndex > openIndex, `display_data must follow the comm_open: ${types(msgs)}`);
    const view = msgs[displayIndex].content.data["application/vnd.jupyter.widget-view+json"];
    assert.deepEqual(view, { version_major: 2, version_minor: 0, model_id: open.content.comm_id });
    assert.match(msgs[displayIndex].content.data["text/plain"], /^IntSlider\(value=3/);
    assert.equal(report.slider_cell.reply.status, "ok");
  });

  it("wraps a frontend update in busy/idle parented to it, echoes it, and the kernel sees value 7", function () {
    const msgs: Observed[] = report.update;
    assert.deepEqual(types(msgs), ["status:busy", "comm_msg", "status:idle"]);
    assert.deepEqual(msgs[1].content.data, { method: "echo_update", state: { value: 7 }, buffer_paths: [] });
    assert.equal(plainResult(report.value_after_update), "7");
  });

  it("accepts a comm_msg carrying a binary buffer, bytes intact", function () {
    assert.deepEqual(types(report.binary), ["status:busy", "status:idle"]);
    assert.equal(plainResult(report.received_bytes), "[ 0, 1, 254, 255 ]");
  });

  it("drops a message with a bad signature and keeps working", function () {
    assert.deepEqual(report.bad_signature_traffic, []);
    assert.equal(plainResult(report.after), "8");
  });

  it("answers comm_info for jupyter.widget with status ok, listing the slider", function () {
    assert.equal(report.comm_info.status, "ok");
    assert.deepEqual(report.comm_info.comms[report.slider_id], { target_name: "jupyter.widget" });
    for (const info of Object.values(report.comm_info.comms) as { target_name: string }[]) {
      assert.equal(info.target_name, "jupyter.widget");
    }
    assert.deepEqual(types(report.comm_info_iopub), ["status:busy", "status:idle"]);
  });

  it("interrupts a busy loop and an awaiting cell with SIGINT, and keeps running", function () {
    for (const key of ["interrupt_sync", "interrupt_async"]) {
      assert.equal(report[key].status, "error", key);
      assert.equal(report[key].ename, "Interrupted", key);
    }
    assert.equal(plainResult(report.after_interrupts), "14");
  });

  it("loads a model and reads activations from a notebook cell (top-level await, native backend)", function () {
    assert.equal(report.engine.reply.status, "ok", JSON.stringify(report.engine.reply));
    assert.equal(plainResult(report.engine), "'tensorflow 2 1x4x8x8 <s>| The| cat'");
  });

  it("keeps tslab's own display API working (display_data and update_display_data)", function () {
    const shown = (report.tslab_display.iopub as Observed[]).filter((m) => m.msg_type.endsWith("display_data"));
    assert.deepEqual(
      shown.map((m) => [m.msg_type, m.content.data]),
      [
        ["display_data", { "text/html": "<b>x</b>" }],
        ["display_data", { "text/plain": "a" }],
        ["update_display_data", { "text/plain": "b" }],
      ],
    );
    assert.equal(shown[1].content.transient.display_id, shown[2].content.transient.display_id);
  });

  it("uses one kernel session id on every message", function () {
    const sessions = new Set<string>();
    for (const key of ["slider_cell", "value_after_update", "after"])
      report[key].iopub.forEach((m: Observed) => sessions.add(m.session));
    report.update.forEach((m: Observed) => sessions.add(m.session));
    assert.equal(sessions.size, 1);
  });
});
