"""Runs notebooks on the tslens kernel with nbclient and saves each in place with its outputs and widget state
(every view's output keeps its PNG and text line, so GitHub and nbviewer show the pictures):

    .venv/bin/python scripts/execute_notebooks.py notebooks/*.ipynb      (npm run notebooks)

Each notebook runs in its own folder, as Jupyter runs it. A notebook with a failing cell is not written: the
script names the cell and its error, goes on with the others, and exits with status 1 at the end. Cell timings are
not recorded, so a re-run changes only what the cells print (and the widgets' ids).

Notebook 09 runs the model TSLENS_NB09_MODEL names. Unset, this script sets it to the bundled stand-in attn-only-2l,
so the saved outputs come from a run anyone can repeat offline; TSLENS_NB09_MODEL=gpt2 runs GPT-2 small from the hub.
"""
import os
import sys
import time

import nbformat
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError


def execute(path):
    """Runs the notebook at `path` and writes it back; returns an error message, or None."""
    nb = nbformat.read(path, as_version=4)
    client = NotebookClient(
        nb,
        kernel_name="tslens",
        timeout=600,
        record_timing=False,
        resources={"metadata": {"path": os.path.dirname(os.path.abspath(path))}},
    )
    try:
        client.execute()
    except CellExecutionError as err:
        failed = next(
            (i for i, c in enumerate(nb.cells) if any(o.get("output_type") == "error" for o in c.get("outputs", []))), None
        )
        where = f"cell {failed + 1}" if failed is not None else "a cell"
        return f"{where} failed: {getattr(err, 'ename', '')}: {getattr(err, 'evalue', str(err).strip().splitlines()[-1])}"
    nbformat.write(nb, path)
    return None


def main():
    paths = sys.argv[1:]
    if not paths:
        sys.exit(__doc__)
    os.environ.setdefault("TSLENS_NB09_MODEL", "attn-only-2l")  # the kernels inherit it
    failures = 0
    for path in paths:
        started = time.time()
        error = execute(path)
        if error:
            failures += 1
            print(f"{path}: {error} (not written)", file=sys.stderr)
        else:
            print(f"{path}: {time.time() - started:.0f} s, {os.path.getsize(path) / 1e3:.0f} kB")
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
