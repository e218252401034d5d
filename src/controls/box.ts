/**
 * HBox and VBox (@jupyter-widgets/controls 2.0.0): lay children out in a row
 * or a column.
 */
import { Widget } from "../widget-core/widget";
import { controlState, DOMWidgetOptions } from "./base";

/** Options of the boxes. */
export interface BoxOptions extends DOMWidgetOptions {
  boxStyle?: "" | "success" | "info" | "warning" | "danger";
}

/** A horizontal box. */
export class HBox extends Widget {
  declare children: Widget[];
  declare boxStyle: string;

  constructor(children: Widget[] = [], options: BoxOptions = {}) {
    super({ ...controlState("HBox", options), children: [...children] });
  }
}

/** A vertical box. */
export class VBox extends Widget {
  declare children: Widget[];
  declare boxStyle: string;

  constructor(children: Widget[] = [], options: BoxOptions = {}) {
    super({ ...controlState("VBox", options), children: [...children] });
  }
}
