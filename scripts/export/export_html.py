"""Exports a notebook to one HTML file that shows its widgets offline: nbconvert's lab page with the
notebook's saved widget state, and tslens's widget bundle (the ipywidgets HTML manager, the standard
controls and tslens's views) inlined. Outputs whose widgets have no saved state show their PNG or text.

    python export_html.py NOTEBOOK OUT_HTML EMBED_DIR [--execute] [--fail-on-error] [--live=BUNDLE_JS]

With --execute the notebook runs first (nbclient on the tslens kernel), which saves the widget state.
A cell that raises does not stop the run (as nbconvert's --allow-errors): the export shows what ran,
the error output included, and each failed cell is named on stderr; the exit status stays 0. With
--fail-on-error the first failing cell stops the run: nothing is written and the exit status is 1.
With --live=BUNDLE_JS (tslens live's engine) the page also embeds the engine and the models of its induction
views, which then recompute a typed prompt in the page (see live.py).
"""
import os
import sys

import nbformat
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from live import live_scripts  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
FLAGS = {"--execute", "--fail-on-error"}


def inline(path, closing):
    """A file's text, safe inside an HTML element that `closing` (e.g. "</script") would end."""
    with open(path, encoding="utf-8") as f:
        return f.read().replace(closing, closing[:1] + "\\/" + closing[2:])


def describe(nb, index):
    """'cell 2 of 5 ("first line of its source")', for messages about cell `index` (0-based)."""
    first_line = nb.cells[index].source.strip().split("\n")[0]
    if len(first_line) > 60:
        first_line = first_line[:59] + "…"
    return f'cell {index + 1} of {len(nb.cells)} ("{first_line}")'


def error_outputs(nb):
    """(cell index, error output) of every error the notebook's code cells show."""
    return [
        (i, out)
        for i, cell in enumerate(nb.cells)
        if cell.cell_type == "code"
        for out in cell.get("outputs", [])
        if out.get("output_type") == "error"
    ]


def execute(nb, source, fail_on_error):
    """Runs the notebook on the tslens kernel; returns the failed cells' (index, error output)."""
    client = NotebookClient(
        nb,
        kernel_name="tslens",
        timeout=600,
        allow_errors=not fail_on_error,
        resources={"metadata": {"path": os.path.dirname(os.path.abspath(source))}},
    )
    try:
        client.execute()
    except CellExecutionError as err:
        failed = error_outputs(nb)  # the run stopped at the first one
        where = describe(nb, failed[0][0]) if failed else "a cell"
        reason = f"{err.ename}: {err.evalue}" if getattr(err, "ename", None) else str(err).strip().split("\n")[-1]
        print(f"tslens export: {where} failed ({reason}); no HTML written (--fail-on-error)", file=sys.stderr)
        sys.exit(1)
    return error_outputs(nb)


def main():
    live_bundle = next((a.split("=", 1)[1] for a in sys.argv[1:] if a.startswith("--live=")), None)
    args = [a for a in sys.argv[1:] if a not in FLAGS and not a.startswith("--live=")]
    if len(args) != 3:
        sys.exit(__doc__)
    source, target, embed_dir = args
    nb = nbformat.read(source, as_version=4)
    failed = execute(nb, source, "--fail-on-error" in sys.argv) if "--execute" in sys.argv else []
    from nbconvert import HTMLExporter  # after the run: nbconvert takes a while to import

    exporter = HTMLExporter(template_name="tslens", extra_template_basedirs=[os.path.join(HERE, "templates")])
    resources = {
        "tslens_embed_js": inline(os.path.join(embed_dir, "tslens-embed.js"), "</script"),
        "tslens_embed_css": inline(os.path.join(embed_dir, "tslens-embed.css"), "</style"),
    }
    state = nb.metadata.get("widgets", {}).get("application/vnd.jupyter.widget-state+json", {}).get("state", {})
    live_notes = []
    if live_bundle:
        scripts, live_notes = live_scripts(state, live_bundle, os.path.join(HERE, "..", "..", "models"))
        resources["tslens_live_js"] = "".join(s.replace("</script", "<\\/script") for s in scripts)
    html, _ = exporter.from_notebook_node(nb, resources=resources)
    with open(target, "w", encoding="utf-8") as f:
        f.write(html)
    for note in live_notes:
        print(note, file=sys.stderr)
    print(f"wrote {target} ({len(html) / 1e6:.1f} MB, {len(state)} widget models)")
    if live_bundle and resources["tslens_live_js"]:
        live_mb = len(resources["tslens_live_js"]) / 1e6
        print(f"--live: tslens live's engine and the models of its live views embedded ({live_mb:.1f} MB of the page)")
    for i, out in failed:
        print(
            f"tslens export: {describe(nb, i)} failed ({out.get('ename')}: {out.get('evalue')}); "
            "its error is shown in the HTML (--fail-on-error makes this fatal)",
            file=sys.stderr,
        )


if __name__ == "__main__":
    main()
