"""Drives the tslens kernel with jupyter_client, as a Jupyter frontend would,
and prints what it observed as JSON (the mocha test asserts on it).

Scenario: an IntSlider cell, a frontend update {value: 7} (with its status and
echo), `s.value` afterwards, a comm_msg carrying a binary buffer, a message with a
bad signature, comm_info for jupyter.widget, and a final execute to show the kernel
still works.
"""
import json
import os
import sys
import time

from jupyter_client.manager import start_new_kernel


def collect(kc, msg_id, timeout=60):
    """IOPub messages parented to msg_id, up to and including its idle status."""
    out = []
    deadline = time.time() + timeout
    while time.time() < deadline:
        msg = kc.get_iopub_msg(timeout=timeout)
        if msg["parent_header"].get("msg_id") != msg_id:
            continue
        out.append({"msg_type": msg["msg_type"], "content": msg["content"], "metadata": msg["metadata"],
                    "buffers": [bytes(b).hex() for b in msg.get("buffers", [])],
                    "session": msg["header"]["session"]})
        if msg["msg_type"] == "status" and msg["content"]["execution_state"] == "idle":
            return out
    raise TimeoutError(f"no idle for {msg_id}")


def execute(kc, code):
    msg_id = kc.execute(code)
    iopub = collect(kc, msg_id)
    reply = kc.get_shell_msg(timeout=60)
    while reply["parent_header"].get("msg_id") != msg_id:
        reply = kc.get_shell_msg(timeout=60)
    return {"iopub": iopub, "reply": reply["content"]}


def comm_msg(kc, comm_id, data, buffers=None):
    msg = kc.session.msg("comm_msg", {"comm_id": comm_id, "data": data})
    kc.session.send(kc.shell_channel.socket, msg, buffers=buffers or [])
    return msg["header"]["msg_id"], collect(kc, msg["header"]["msg_id"])


def main():
    km, kc = start_new_kernel(kernel_name="tslens", cwd=sys.argv[1] if len(sys.argv) > 1 else None)
    report = {}
    try:
        report["slider_cell"] = execute(kc, 'import { IntSlider } from "tslens"; const s = new IntSlider({ value: 3, min: 0, max: 10 }); s')
        execute(kc, 'import * as lens from "tslens";')
        opens = [m for m in report["slider_cell"]["iopub"] if m["msg_type"] == "comm_open"]
        slider_id = next(m["content"]["comm_id"] for m in opens if m["content"]["data"]["state"]["_model_name"] == "IntSliderModel")
        report["slider_id"] = slider_id
        report["update_id"], report["update"] = comm_msg(kc, slider_id, {"method": "update", "state": {"value": 7}, "buffer_paths": []})
        report["value_after_update"] = execute(kc, "s.value")
        execute(kc, 'let received: number[] = []; s.onMsg((content, buffers) => { received = Array.from(new Uint8Array(buffers[0].buffer)); })')
        report["binary_id"], report["binary"] = comm_msg(kc, slider_id, {"method": "custom", "content": {"kind": "bytes"}}, [b"\x00\x01\xfe\xff"])
        report["received_bytes"] = execute(kc, "received")
        # A message signed with the wrong key: the kernel must drop it (no busy, no reply) and keep working.
        bad = kc.session.msg("execute_request", {"code": "1 + 1", "silent": False, "store_history": True,
                                                  "user_expressions": {}, "allow_stdin": False, "stop_on_error": True})
        key = kc.session.key
        kc.session.key = b"not-the-key"
        kc.session.send(kc.shell_channel.socket, bad)
        kc.session.key = key
        time.sleep(1.0)
        report["bad_signature_traffic"] = []
        while True:
            try:
                msg = kc.get_iopub_msg(timeout=0.5)
            except Exception:
                break
            if msg["parent_header"].get("msg_id") == bad["header"]["msg_id"]:
                report["bad_signature_traffic"].append(msg["msg_type"])
        info_msg_id = kc.comm_info(target_name="jupyter.widget")
        info = kc.get_shell_msg(timeout=30)
        report["comm_info"] = info["content"]
        report["comm_info_iopub"] = collect(kc, info_msg_id)
        report["after"] = execute(kc, "s.value + 1")
        # SIGINT (interrupt_mode "signal"): a busy loop and an awaiting cell both end with an error, kernel alive.
        for name, code in [("interrupt_sync", "let spins = 0; while (true) { spins++; }"),
                           ("interrupt_async", "await new Promise((r) => setTimeout(r, 100000))")]:
            msg_id = kc.execute(code)
            time.sleep(2.0)
            # Like a user pressing stop again: a SIGINT that lands while the cell is still compiling is lost.
            reply = None
            for _ in range(30):
                km.interrupt_kernel()
                try:
                    reply = kc.get_shell_msg(timeout=1.0)
                except Exception:
                    continue
                while reply["parent_header"].get("msg_id") != msg_id:
                    reply = kc.get_shell_msg(timeout=30)
                break
            report[name] = reply["content"] if reply else {"status": "no reply"}
        report["after_interrupts"] = execute(kc, "s.value * 2")
        fixture = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "fixtures", "models", "llama-tiny-tokenizer")
        report["engine"] = execute(kc, f'const model = await lens.loadModel({json.dumps(fixture)}); '
                                       'const { logits, cache } = model.runWithCache("The cat sat on the mat."); '
                                       'const shape = cache.get("blocks.1.attn.hook_pattern").shape; logits.dispose(); cache.dispose(); '
                                       '[lens.backend(), model.cfg.nLayers, shape.join("x"), model.toStrTokens("The cat").join("|")].join(" ")')
        report["tslab_display"] = execute(kc, 'import * as tslab from "tslab"; tslab.display.html("<b>x</b>"); const d = tslab.newDisplay(); d.text("a"); d.text("b")')
    finally:
        km.shutdown_kernel(now=False)
    json.dump(report, sys.stdout)


if __name__ == "__main__":
    main()
