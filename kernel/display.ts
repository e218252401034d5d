/**
 * Turns a cell's last-expression value into a MIME bundle (src/common/mime.ts), with Node's
 * inspector writing the text/plain of values that bring no bundle of their own.
 */
import { inspect } from "util";
import type { MimeBundle } from "../src/common/host";
import { mimeBundleOf } from "../src/common/mime";

/** The MIME bundle to display for `value`; always has text/plain. */
export function toMimeBundle(value: unknown): MimeBundle {
  return mimeBundleOf(value, inspect);
}
