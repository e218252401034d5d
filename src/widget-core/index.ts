/** The kernel-side widget base class (ipywidgets protocol 2.1.0) and display. */
export { Widget, camelName, wireName } from "./widget";
export type { Change } from "./widget";
export { display } from "./display";
