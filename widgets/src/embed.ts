/**
 * The standalone bundle for exported notebooks (no JupyterLab, nothing fetched): the ipywidgets
 * HTML manager with the standard controls and tslens's views, rendering every widget view script
 * of the page from its saved widget-state script. Each manager is listed in `window.tslensWidgetManagers`
 * (a live export's page script finds the views' models there).
 */
import type { HTMLManager } from "@jupyter-widgets/html-manager";
import { renderPage } from "./core/render";
import { VIEWS } from "./index";

const page = window as unknown as { tslensWidgetManagers?: HTMLManager[] };
renderPage(VIEWS, (manager) => (page.tslensWidgetManagers ??= []).push(manager));
