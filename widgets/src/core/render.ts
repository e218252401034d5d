/**
 * Rendering widget views in a page without JupyterLab (exported notebooks, test pages): the
 * ipywidgets HTML manager with the standard controls and the given module's models and views,
 * rendering every widget view script of the page from its saved widget-state script.
 */
import type { ExportMap } from "@jupyter-widgets/base";
import { HTMLManager } from "@jupyter-widgets/html-manager";
import { renderWidgets } from "@jupyter-widgets/html-manager/lib/libembed";
import { MODULE_NAME } from "../../../src/common/module";

/** Renders the page's widgets with `views` as the MODULE_NAME module; `onManager` gets the manager. */
export function renderPage(views: ExportMap, onManager?: (manager: HTMLManager) => void): void {
  const loader = async (name: string): Promise<unknown> => {
    if (name === MODULE_NAME) return views;
    throw new Error(`the page needs widget module ${JSON.stringify(name)}, which this bundle does not hold`);
  };
  const render = () =>
    renderWidgets(() => {
      const manager = new HTMLManager({ loader });
      onManager?.(manager);
      return manager;
    });
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", render);
  else render();
}
