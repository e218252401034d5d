/**
 * MIME bundles of values, for the kernel (a cell's last expression) and the library (`display(...)`):
 * objects that implement `[MIME_BUNDLE_KEY]()` (widgets, rich results) choose their own bundle;
 * everything else is shown as text/plain, as the caller's inspector prints it. The inspector is
 * passed in (Node's `util.inspect` on both sides) so this file stays free of Node modules.
 */
import { MIME_BUNDLE_KEY, MimeBundle } from "./host";

/** How values become text: Node's `util.inspect` or anything with its signature. */
export type Inspect = (value: unknown, options?: { depth?: number; maxArrayLength?: number }) => string;

/** True when `value` provides its own MIME bundle. */
export function hasMimeBundle(value: unknown): value is { [MIME_BUNDLE_KEY](): MimeBundle } {
  return (
    value !== null &&
    (typeof value === "object" || typeof value === "function") &&
    typeof (value as Record<symbol, unknown>)[MIME_BUNDLE_KEY] === "function"
  );
}

/** The MIME bundle to display for `value`; always has text/plain (written by `inspect` when the value gives none). */
export function mimeBundleOf(value: unknown, inspect: Inspect): MimeBundle {
  if (hasMimeBundle(value)) {
    const bundle = value[MIME_BUNDLE_KEY]();
    const data = { ...bundle.data };
    if (typeof data["text/plain"] !== "string") data["text/plain"] = inspect(value, { depth: 1 });
    return { data, metadata: bundle.metadata ?? {} };
  }
  const text = typeof value === "string" ? inspect(value) : inspect(value, { depth: 4, maxArrayLength: 100 });
  return { data: { "text/plain": text }, metadata: {} };
}
