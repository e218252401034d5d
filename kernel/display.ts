/**
 * Turns a cell's last-expression value into a MIME bundle: objects that
 * implement `[MIME_BUNDLE_KEY]()` (widgets, rich results) choose their own
 * bundle; everything else is shown as text/plain, as Node's inspector prints it.
 */
import { inspect } from "util";
import { MIME_BUNDLE_KEY, MimeBundle } from "../src/common/host";

/** True when `value` provides its own MIME bundle. */
export function hasMimeBundle(value: unknown): value is { [MIME_BUNDLE_KEY](): MimeBundle } {
  return (
    value !== null &&
    (typeof value === "object" || typeof value === "function") &&
    typeof (value as Record<symbol, unknown>)[MIME_BUNDLE_KEY] === "function"
  );
}

/** The MIME bundle to display for `value`; always has text/plain. */
export function toMimeBundle(value: unknown): MimeBundle {
  if (hasMimeBundle(value)) {
    const bundle = value[MIME_BUNDLE_KEY]();
    const data = { ...bundle.data };
    if (typeof data["text/plain"] !== "string") data["text/plain"] = inspect(value, { depth: 1 });
    return { data, metadata: bundle.metadata ?? {} };
  }
  const text = typeof value === "string" ? inspect(value) : inspect(value, { depth: 4, maxArrayLength: 100 });
  return { data: { "text/plain": text }, metadata: {} };
}
