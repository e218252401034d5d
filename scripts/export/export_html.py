"""Exports a notebook to one HTML file that shows its widgets offline: nbconvert's lab page with the
notebook's saved widget state, and tslens's widget bundle (the ipywidgets HTML manager, the standard
controls and tslens's views) inlined. Outputs whose widgets have no saved state show their PNG or text.

    python export_html.py NOTEBOOK OUT_HTML EMBED_DIR [--execute]

With --execute the notebook runs first (nbclient on the tslens kernel), which saves the widget state.
"""
import os
import sys

import nbformat
from nbclient import NotebookClient
from nbconvert import HTMLExporter

HERE = os.path.dirname(os.path.abspath(__file__))


def inline(path, closing):
    """A file's text, safe inside an HTML element that `closing` (e.g. "</script") would end."""
    with open(path, encoding="utf-8") as f:
        return f.read().replace(closing, closing[:1] + "\\/" + closing[2:])


def main():
    args = [a for a in sys.argv[1:] if a != "--execute"]
    if len(args) != 3:
        sys.exit(__doc__)
    source, target, embed_dir = args
    nb = nbformat.read(source, as_version=4)
    if "--execute" in sys.argv:
        NotebookClient(nb, kernel_name="tslens", timeout=600, resources={"metadata": {"path": os.path.dirname(os.path.abspath(source))}}).execute()
    exporter = HTMLExporter(template_name="tslens", extra_template_basedirs=[os.path.join(HERE, "templates")])
    resources = {
        "tslens_embed_js": inline(os.path.join(embed_dir, "tslens-embed.js"), "</script"),
        "tslens_embed_css": inline(os.path.join(embed_dir, "tslens-embed.css"), "</style"),
    }
    html, _ = exporter.from_notebook_node(nb, resources=resources)
    with open(target, "w", encoding="utf-8") as f:
        f.write(html)
    state = nb.metadata.get("widgets", {}).get("application/vnd.jupyter.widget-state+json", {}).get("state", {})
    print(f"wrote {target} ({len(html) / 1e6:.1f} MB, {len(state)} widget models)")


if __name__ == "__main__":
    main()
