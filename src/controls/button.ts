/**
 * Button (@jupyter-widgets/controls 2.0.0). A click arrives from the frontend
 * as a custom message {"event": "click"}.
 */
import { Widget } from "../widget-core/widget";
import { controlState, DOMWidgetOptions } from "./base";

/** Options of Button. */
export interface ButtonOptions extends DOMWidgetOptions {
  description?: string;
  disabled?: boolean;
  icon?: string;
  buttonStyle?: "" | "primary" | "success" | "info" | "warning" | "danger";
}

/** A push button; `onClick` callbacks run in the kernel when it is clicked. */
export class Button extends Widget {
  declare description: string;
  declare disabled: boolean;
  declare icon: string;
  declare buttonStyle: string;
  private readonly clickHandlers: ((button: Button) => void | Promise<void>)[] = [];

  constructor(options: ButtonOptions = {}) {
    super(controlState("Button", options));
  }

  /** Registers a click callback; returns a function that removes it. */
  onClick(handler: (button: Button) => void | Promise<void>): () => void {
    this.clickHandlers.push(handler);
    this.callbackOutput();
    return () => {
      const i = this.clickHandlers.indexOf(handler);
      if (i >= 0) this.clickHandlers.splice(i, 1);
    };
  }

  /** Runs the click callbacks, as a frontend click does. */
  click(): void {
    for (const handler of [...this.clickHandlers]) this.invoke(() => handler(this));
  }

  protected override handleCustom(content: unknown): void {
    if ((content as { event?: unknown } | null)?.event === "click") this.click();
  }
}
