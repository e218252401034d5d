"""What `tslens export --live` adds to a page: tslens live's engine (the bundle `npm run build:live` writes), the
models the notebook's live views use, and the call that wires those views to recompute in the reader's browser.

A live view is an induction view (lens.inductionHeads) whose column's DOM classes name its model (see
src/views/inductionHeads/fields.ts), or a logit-lens view made from a model and a text, which has a prompt
box and names its model the same way (src/views/logitLens/fields.ts). Its model is embedded when it is a folder
under models/ with one model.safetensors: always for the models tslens ships, up to LIMIT_BYTES of weights for
others. A view whose model cannot be embedded exports as without --live (its prompt box then needs the kernel),
and the export says why.
"""
import base64
import json
import os
from urllib.parse import unquote

INDUCTION_VIEW_CLASS = "tslens-induction-heads"
LOGIT_LENS_VIEW_CLASS = "tslens-logit-lens-prompt"
# The DOM class that marks each kind of live view, by the view's name.
VIEW_CLASSES = {"inductionHeads": INDUCTION_VIEW_CLASS, "logitLens": LOGIT_LENS_VIEW_CLASS}
LIVE_TAG_PREFIX = "tslens-live:"
# The models tslens ships (src/model/loadModel.ts EMBEDDED_MODELS): embedded whatever their size.
SHIPPED_MODELS = {"attn-only-2l", "attn-only-1l"}
# Any other model is embedded only when its weights are at most this many bytes.
LIMIT_BYTES = 8_000_000
# A model's files the page needs, by the key tslensLive.addModel takes.
MODEL_FILES = {"config": "config.json", "tokenizer": "tokenizer.json", "tokenizerConfig": "tokenizer_config.json"}
# Runs once the page has loaded: wires every live view (live/src/exportedPage.ts).
WIRE = (
    "(function () { var go = function () { window.tslensLiveReady = tslensLive.wireExportedPage(); };"
    ' if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", go); else go(); })();\n'
)


def live_views(state):
    """(widget id, view name, live tag) of every induction view and logit lens with a prompt box in a widget state."""
    views = []
    for model_id, entry in state.items():
        classes = entry.get("state", {}).get("_dom_classes") or []
        view = next((name for name, mark in VIEW_CLASSES.items() if mark in classes), None)
        if view is None:
            continue
        tags = [c for c in classes if c.startswith(LIVE_TAG_PREFIX)]
        views.append((model_id, view, json.loads(unquote(tags[0][len(LIVE_TAG_PREFIX):])) if tags else {}))
    return views


def model_script(name, folder):
    """The script that embeds the model in `folder`: tslensLive.addModel({ name, config, …, weightsBase64 })."""
    model = {"name": name}
    for key, file in MODEL_FILES.items():
        path = os.path.join(folder, file)
        if os.path.exists(path):
            with open(path, encoding="utf-8") as f:
                model[key] = json.load(f)
    with open(os.path.join(folder, "model.safetensors"), "rb") as f:
        model["weightsBase64"] = base64.b64encode(f.read()).decode("ascii")
    return f"tslensLive.addModel({json.dumps(model)});\n"


def why_not_embedded(name, models_dir, limit):
    """Why model `name` cannot be embedded, or None when it can."""
    if not name:
        return "its model was not loaded from a folder (a model built in code has no files to embed)"
    folder = os.path.join(models_dir, name)
    if not os.path.exists(os.path.join(folder, "config.json")):
        return f'its model "{name}" is not a folder under {models_dir} (only those can be embedded)'
    weights = os.path.join(folder, "model.safetensors")
    if not os.path.exists(weights):
        return f'its model "{name}" has no single model.safetensors (a sharded model cannot be embedded)'
    size = os.path.getsize(weights)
    if name not in SHIPPED_MODELS and size > limit:
        return f'its model "{name}" has {size / 1e6:.1f} MB of weights, over the {limit / 1e6:.0f} MB limit of --live'
    return None


def live_scripts(state, bundle_path, models_dir, limit=LIMIT_BYTES):
    """(the scripts to inline, in order, or [] when no view is live; notes for stderr about views left as they are)."""
    names, notes = [], []
    for model_id, view, tag in live_views(state):
        name = tag.get("model")
        reason = why_not_embedded(name, models_dir, limit)
        if reason:
            notes.append(
                f"tslens export --live: the {view} view (widget {model_id}) exports as without --live "
                f"(its prompt box needs the kernel): {reason}"
            )
        elif name not in names:
            names.append(name)
    if not names:
        if not notes:
            notes.append(
                "tslens export --live: the notebook's saved state holds no inductionHeads view "
                "(nor logitLens view with a prompt box) that names its model "
                "(a view saved before the live export existed names none: run the notebook again, or export with "
                "--execute); exported as without --live"
            )
        return [], notes
    with open(bundle_path, encoding="utf-8") as f:
        scripts = [f.read()]
    scripts += [model_script(name, os.path.join(models_dir, name)) for name in names]
    scripts.append(WIRE)
    return scripts, notes
