/**
 * Text, Textarea and HTML (@jupyter-widgets/controls 2.0.0).
 * Text and Textarea values are plain text; only HTML renders markup (the
 * frontend sanitizes it).
 */
import { Widget } from "../widget-core/widget";
import { controlState, DescriptionOptions } from "./base";

/** Options of Text and Textarea. */
export interface TextOptions extends DescriptionOptions {
  value?: string;
  placeholder?: string;
  continuousUpdate?: boolean;
}

/** A single-line text box. */
export class Text extends Widget {
  declare value: string;
  declare placeholder: string;
  declare description: string;
  declare disabled: boolean;
  declare continuousUpdate: boolean;

  constructor(options: TextOptions = {}) {
    super(controlState("Text", options));
  }
}

/** A multi-line text box. */
export class Textarea extends Widget {
  declare value: string;
  declare placeholder: string;
  declare description: string;
  declare disabled: boolean;
  declare continuousUpdate: boolean;
  declare rows: number | null;

  constructor(options: TextOptions & { rows?: number | null } = {}) {
    super(controlState("Textarea", options));
  }
}

/** Shows an HTML fragment (sanitized by the frontend). */
export class HTML extends Widget {
  declare value: string;
  declare placeholder: string;
  declare description: string;

  constructor(options: Omit<TextOptions, "continuousUpdate" | "disabled"> = {}) {
    super(controlState("HTML", options));
  }
}
