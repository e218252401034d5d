"""Executes notebooks with nbclient on the tslens kernel and exports them to HTML
with nbconvert, printing a JSON summary per notebook for the mocha test.

    python run_notebooks.py OUT_DIR NOTEBOOK...
"""
import json
import os
import re
import sys

import nbformat
from nbclient import NotebookClient
from nbconvert import HTMLExporter

WIDGET_STATE = "application/vnd.jupyter.widget-state+json"
WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"


def structure(nb):
    """Per code cell, the kinds of its outputs: the output type with the stream name or the MIME types. Stderr is left
    out (the backend notes it on some machines only) and consecutive pieces of one stream are merged (the kernel
    flushes them on a timer)."""
    cells = []
    for cell in nb.cells:
        if cell.cell_type != "code":
            continue
        kinds = []
        for out in cell.get("outputs", []):
            if out.get("output_type") == "stream":
                if out.get("name") == "stderr" or kinds[-1:] == [f"stream {out.get('name')}"]:
                    continue
                kinds.append(f"stream {out.get('name')}")
            else:
                kinds.append(" ".join([out.get("output_type", "")] + sorted(out.get("data", {}).keys())))
        cells.append(kinds)
    return cells


def outside_widget_json(html):
    """The export without the widget state and view scripts: JSON data there (a view's prompt, say) is text, not
    markup, and nbconvert writes "</" in it as "<\\/", so it cannot close its script."""
    return re.sub(r'<script type="application/vnd\.jupyter\.widget-[a-z-]+\+json">.*?</script>', "", html, flags=re.S)


def summarize(path, out_dir):
    nb = nbformat.read(path, as_version=4)
    committed = structure(nb)
    client = NotebookClient(nb, kernel_name="tslens", timeout=120, resources={"metadata": {"path": os.path.dirname(path)}})
    error = None
    try:
        client.execute()
    except Exception as exc:  # the summary reports it; the test fails on it
        error = f"{type(exc).__name__}: {exc}"
    executed = os.path.join(out_dir, os.path.basename(path))
    nbformat.write(nb, executed)
    outputs = [o for c in nb.cells if c.cell_type == "code" for o in c.get("outputs", [])]
    html, _ = HTMLExporter(template_name="lab").from_notebook_node(nb)
    state = nb.metadata.get("widgets", {}).get(WIDGET_STATE, {})
    return {
        "path": path,
        "error": error,
        "error_outputs": [o for o in outputs if o.get("output_type") == "error"],
        "widget_views": [o["data"][WIDGET_VIEW]["model_id"] for o in outputs if WIDGET_VIEW in o.get("data", {})],
        "texts": ["".join(o.get("text", "")) or o.get("data", {}).get("text/plain", "") for o in outputs],
        "widget_state": state,
        "html_has_state_script": f'<script type="{WIDGET_STATE}">' in html,
        "html_view_scripts": html.count(f'<script type="{WIDGET_VIEW}">'),
        "view_outputs": [sorted(o["data"].keys()) for o in outputs if WIDGET_VIEW in o.get("data", {})],
        "html_has_markup_from_tokens": re.search(r"<img\b[^>]*\bonerror", outside_widget_json(html)) is not None,
        "committed_structure": committed,
        "executed_structure": structure(nb),
    }


def main():
    out_dir = sys.argv[1]
    json.dump([summarize(p, out_dir) for p in sys.argv[2:]], sys.stdout)


if __name__ == "__main__":
    main()
