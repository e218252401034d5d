/**
 * `display(...)`: shows values in the current cell (or, inside a widget
 * callback, where that callback's output goes), as IPython.display does.
 */
import { inspect } from "util";
import { mimeBundleOf } from "../common/mime";
import { kernelHost } from "./host";

/** Displays each value: widgets as live views, other values by their MIME bundle or as text. */
export function display(...values: unknown[]): void {
  const host = kernelHost();
  for (const value of values) host.display(mimeBundleOf(value, inspect));
}
