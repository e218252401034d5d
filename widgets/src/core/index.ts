/** What a browser view needs, in one import: the ipywidgets view base, typed fields, DOM helpers, the stylesheet. */
export { DOMWidgetView } from "@jupyter-widgets/base";
export { element, paint } from "./dom";
export { fieldsOf, moduleExports, specModel } from "./model";
export type { FieldAccess } from "./model";
export { addStyle } from "./style";
export { pageTheme, watchTheme } from "./theme";
