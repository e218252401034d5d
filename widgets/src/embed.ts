/**
 * The standalone bundle for exported notebooks (no JupyterLab, nothing fetched): the ipywidgets
 * HTML manager with the standard controls and tslens's views, rendering every widget view script
 * of the page from its saved widget-state script.
 */
import { renderPage } from "./core/render";
import { VIEWS } from "./index";

renderPage(VIEWS);
