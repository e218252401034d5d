/**
 * The standalone bundle for exported notebooks (no JupyterLab, nothing fetched): the ipywidgets
 * HTML manager with the standard controls and tslens's views, rendering every widget view script
 * of the page from its saved widget-state script.
 */
import { HTMLManager } from "@jupyter-widgets/html-manager";
import { renderWidgets } from "@jupyter-widgets/html-manager/lib/libembed";
import { MODULE_NAME } from "../../src/common/module";
import { VIEWS } from "./index";

async function loader(name: string): Promise<unknown> {
  if (name === MODULE_NAME) return VIEWS;
  throw new Error(`the exported notebook needs widget module ${JSON.stringify(name)}, which this bundle does not hold`);
}

function render(): void {
  renderWidgets(() => new HTMLManager({ loader }));
}

if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", render);
else render();
