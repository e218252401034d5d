/**
 * Base of tslens's own views (models and views in the "tslens-widgets" frontend module): the
 * DOM-widget state they share, and a display bundle that carries, besides the live view, a PNG
 * snapshot and a one-line text, for places where the view cannot run (GitHub, untrusted or
 * exported notebooks, VS Code without the extension).
 */
import { MIME_BUNDLE_KEY } from "../../common/host";
import type { MimeBundle } from "../../common/host";
import { Layout } from "../../controls/base";
import { Widget } from "../../widget-core/widget";

/** The frontend module of the views and the version range the kernel asks for. */
export const VIEW_MODULE = "tslens-widgets";
export const VIEW_MODULE_VERSION = "^0.1.0";

/** Initial state of view `name` ("AttentionPatterns" → AttentionPatternsModel / AttentionPatternsView) with `traits`. */
export function viewState(name: string, traits: Record<string, unknown>): Record<string, unknown> {
  return {
    _model_name: `${name}Model`,
    _model_module: VIEW_MODULE,
    _model_module_version: VIEW_MODULE_VERSION,
    _view_name: `${name}View`,
    _view_module: VIEW_MODULE,
    _view_module_version: VIEW_MODULE_VERSION,
    _view_count: null,
    _dom_classes: [],
    layout: new Layout(),
    tabbable: null,
    tooltip: null,
    ...traits,
  };
}

/** A tslens view: its display bundle adds `image/png` (from `snapshot()`) to the widget view and text. */
export abstract class LensWidget extends Widget {
  /** PNG bytes of the current state, or undefined when no picture can be drawn here. */
  protected abstract snapshot(): Uint8Array | undefined;

  /** The PNG snapshot of the current state (undefined when no canvas is available here). */
  png(): Uint8Array | undefined {
    return this.snapshot();
  }

  override [MIME_BUNDLE_KEY](): MimeBundle {
    const bundle = super[MIME_BUNDLE_KEY]();
    const png = this.snapshot();
    if (png) bundle.data["image/png"] = Buffer.from(png).toString("base64");
    return bundle;
  }
}
