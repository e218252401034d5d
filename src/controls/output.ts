/**
 * Output (@jupyter-widgets/output 1.0.0): a widget that shows captured outputs.
 * While `msg_id` is set, the frontend captures every output whose parent is
 * that message into this widget.
 */
import { withMsgId } from "../widget-core/cellOutput";
import { kernelHost } from "../widget-core/host";
import { Widget } from "../widget-core/widget";
import { controlState, DOMWidgetOptions } from "./base";

/** A Jupyter output as stored in the Output widget's `outputs`. */
export type OutputRecord = Record<string, unknown>;

/** Shows outputs captured from the kernel. */
export class Output extends Widget {
  declare msgId: string;
  declare outputs: OutputRecord[];

  constructor(options: DOMWidgetOptions = {}) {
    super(controlState("Output", options));
  }

  /**
   * Runs `fn` with its console output and displays captured here. Captures
   * everything published for the current request while `fn` (or its promise) runs.
   */
  capture<T>(fn: () => T): T {
    const requestId = kernelHost().currentRequestId();
    if (!requestId) return fn();
    return withMsgId((id) => (this.msgId = id), requestId, this.msgId, fn);
  }

  /** Appends text to the widget as stdout. */
  appendStdout(text: string): void {
    this.outputs = [...this.outputs, { output_type: "stream", name: "stdout", text }];
  }

  /** Appends text to the widget as stderr. */
  appendStderr(text: string): void {
    this.outputs = [...this.outputs, { output_type: "stream", name: "stderr", text }];
  }

  /** Removes all outputs. */
  clear(): void {
    this.outputs = [];
  }
}
