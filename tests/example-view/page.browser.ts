/**
 * The example view's test page (bundled by tests/browser/example-view.test.ts): renders the page's
 * saved widget state with the example view as the views' module, and hands the widget manager to
 * the test as `window.tslensManager`.
 */
import { moduleExports } from "../../widgets/src/core";
import { renderPage } from "../../widgets/src/core/render";
import { exampleBarsSpec } from "./spec";
import { ExampleBarsView } from "./view.browser";

renderPage(moduleExports([[exampleBarsSpec, ExampleBarsView]]), (manager) => {
  (window as unknown as { tslensManager: unknown }).tslensManager = manager;
});
