"""Records the full default state ipywidgets 8 emits for each standard control.

tslens's kernel-side controls start from exactly this state, so frontends see
what they would see from ipykernel. Run with the project's .venv python:

    .venv/bin/python scripts/record_widget_defaults.py > src/controls/defaults.json

The test suite re-runs it and compares with the committed file.
"""
import json
import sys

import ipywidgets as w

CONTROLS = ["IntSlider", "FloatSlider", "FloatProgress", "Text", "Textarea", "Label", "Dropdown", "Checkbox", "Button", "HTML", "Output", "HBox", "VBox"]
REFERENCES = ("layout", "style")


def plain_state(widget):
    state = widget.get_state()
    return {key: value for key, value in sorted(state.items()) if key not in REFERENCES}


def record():
    models = {}
    for name in CONTROLS:
        widget = getattr(w, name)()
        entry = {"state": plain_state(widget), "refs": {}}
        for ref in REFERENCES:
            child = getattr(widget, ref, None)
            if child is None:
                continue
            child_name = type(child).__name__
            entry["refs"][ref] = child_name
            models.setdefault(child_name, {"state": plain_state(child), "refs": {}})
        models[name] = entry
    return {"ipywidgets": w.__version__, "models": dict(sorted(models.items()))}


def dump(recorded):
    """The recording as JSON with one model per line (short enough to read, diff and keep under 400 lines)."""
    models = recorded["models"]
    lines = [f'  {json.dumps(name)}: {json.dumps(models[name], sort_keys=True)}' for name in sorted(models)]
    return "{\n" + f' "ipywidgets": {json.dumps(recorded["ipywidgets"])},\n "models": {{\n' + ",\n".join(lines) + "\n }\n}\n"


if __name__ == "__main__":
    sys.stdout.write(dump(record()))
