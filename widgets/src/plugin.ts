/** The JupyterLab plugin: registers the MODULE_NAME module ("tslens-widgets") with the ipywidgets manager. */
import { IJupyterWidgetRegistry } from "@jupyter-widgets/base";
import { MODULE_NAME, MODULE_VERSION } from "../../src/common/module";
import { VIEWS } from "./index";

// Typed by shape: JupyterLab reads only these fields, so no @jupyterlab/application dependency is needed.
const plugin = {
  id: "tslens-widgets:plugin",
  description: "Registers tslens's widget views.",
  requires: [IJupyterWidgetRegistry],
  autoStart: true,
  activate: (_app: unknown, registry: IJupyterWidgetRegistry): void => {
    registry.registerWidget({ name: MODULE_NAME, version: MODULE_VERSION, exports: VIEWS });
  },
};

export default plugin;
