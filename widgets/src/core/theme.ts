/**
 * The page's theme for the views: JupyterLab marks its body with `data-jp-theme-light` ("true" or
 * "false"); a page without it (an exported notebook, a static page) follows the reader's system setting.
 * Views draw canvases in the theme's palette and redraw when the theme changes.
 */
import type { Theme } from "../../../src/common/draw/colors";

/** The theme of `doc` now. */
export function pageTheme(doc: Document = document): Theme {
  const light = doc.body?.dataset.jpThemeLight;
  if (light === "true") return "light";
  if (light === "false") return "dark";
  return doc.defaultView?.matchMedia?.("(prefers-color-scheme: dark)").matches ? "dark" : "light";
}

/**
 * Calls `changed(theme)` whenever the page's theme changes (JupyterLab switching themes, or the system
 * setting on a page without JupyterLab); returns the function that stops watching.
 */
export function watchTheme(changed: (theme: Theme) => void, doc: Document = document): () => void {
  let last = pageTheme(doc);
  const check = () => {
    const now = pageTheme(doc);
    if (now !== last) changed((last = now));
  };
  const observer = new MutationObserver(check);
  if (doc.body) observer.observe(doc.body, { attributes: true, attributeFilter: ["data-jp-theme-light"] });
  const query = doc.defaultView?.matchMedia?.("(prefers-color-scheme: dark)");
  query?.addEventListener?.("change", check);
  return () => {
    observer.disconnect();
    query?.removeEventListener?.("change", check);
  };
}
