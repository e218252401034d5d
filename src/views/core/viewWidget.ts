/**
 * Base classes of tslens's own views (models and views of the MODULE_NAME frontend module).
 *
 * SnapshotWidget: a widget whose display bundle carries, besides the live view, a PNG snapshot and
 * a one-line text, for places where the view cannot run (GitHub, untrusted or exported notebooks,
 * VS Code without the extension).
 *
 * ViewWidget: a SnapshotWidget whose synced fields come from a view spec (src/views/<view>/spec.ts,
 * shared with the browser model): its state is the spec's fields (defaults where not given), binary
 * fields are never echoed back, and `field(name)` reads a field typed by the spec.
 */
import { MIME_BUNDLE_KEY } from "../../common/host";
import type { MimeBundle } from "../../common/host";
import { MODULE_VERSION_RANGE } from "../../common/module";
import { fieldReader, identityState, wireState, wireValues } from "../../common/spec";
import type { FieldReader, Fields, Values, ViewSpec } from "../../common/spec";
import { Layout } from "../../controls/base";
import { Widget } from "../../widget-core/widget";

/** A widget shown with a PNG snapshot next to its live view. */
export abstract class SnapshotWidget extends Widget {
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

/** The initial state of a view: DOM-widget keys, then every field of `spec` (from `values`, else its default). */
export function viewState<F extends Fields>(spec: ViewSpec<F>, values: Partial<Values<F>>): Record<string, unknown> {
  return {
    ...identityState(spec, MODULE_VERSION_RANGE),
    _view_count: null,
    _dom_classes: [],
    layout: new Layout(),
    tabbable: null,
    tooltip: null,
    ...wireState(spec, values),
  };
}

/** A view whose synced fields are declared by `spec`. */
export abstract class ViewWidget<F extends Fields> extends SnapshotWidget {
  /** Reads a field by its name in code, typed by the spec. */
  protected readonly field: FieldReader<F>;

  /** Opens the view with `values` for its fields (defaults for the others). */
  constructor(
    protected readonly spec: ViewSpec<F>,
    values: Partial<Values<F>>,
  ) {
    super(viewState(spec, values));
    this.field = fieldReader(spec, (wire) => this.get(wire));
    for (const f of Object.values(spec.fields)) if (f.serializer) this.noEcho.add(f.wire);
  }

  /** Sets several fields by their names in code; one update carries what changed. */
  protected setFields(values: Partial<Values<F>>): void {
    this.set(wireValues(this.spec, values));
  }
}
