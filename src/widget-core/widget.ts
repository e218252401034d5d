/**
 * Kernel-side widget base class (ipywidgets protocol 2.1.0).
 *
 * A widget is a comm of target `jupyter.widget` whose id is the model id.
 * Its state is kept with the wire (snake_case) names; every public state key is
 * also an observable property under its camelCase name:
 *
 *   const s = new IntSlider({ value: 3 });
 *   s.value = 5;                                 // sends {method: "update", state: {value: 5}}
 *   s.on("change:value", (c) => console.log(c.old, c.new));
 *
 * Frontend updates are echoed (echo_update) and applied under a property lock,
 * so values just received are not sent back. Callbacks triggered by the
 * frontend print into the cell that created the widget (see cellOutput.ts).
 */
import { MIME_BUNDLE_KEY } from "../common/host";
import { camelName, wireName } from "../common/spec";
import type { BinaryData, Comm, CommMessage, MimeBundle } from "../common/host";
import { BadMessageError, bareRecord, checkDepth, describeValue, hasOwn, isBinary, putBuffers, removeBuffers } from "./buffers";
import { callbackOutputFor, OutputSink, runCapturing } from "./cellOutput";
import { defaultState } from "../controls/defaults";
import { kernelHost } from "./host";

export { camelName, wireName };

/** Protocol version sent as comm_open metadata. */
export const WIDGET_PROTOCOL_VERSION = "2.1.0";
const WIDGET_TARGET = "jupyter.widget";
const MODEL_REF = "IPY_MODEL_";

/** What a change listener receives. */
export interface Change {
  /** camelCase property name. */
  name: string;
  old: unknown;
  new: unknown;
  owner: Widget;
}

type Listener = (change: Change) => void | Promise<void>;
type MsgListener = (content: unknown, buffers: DataView[]) => void | Promise<void>;

const liveWidgets = new Map<string, Widget>();

/** Replaces widget references by "IPY_MODEL_<id>" strings, recursively. */
function serialize(value: unknown): unknown {
  if (value instanceof Widget) return MODEL_REF + value.modelId;
  if (Array.isArray(value)) return value.map(serialize);
  if (value !== null && typeof value === "object" && !isBinary(value)) {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, serialize(v)]));
  }
  return value;
}

/** Turns "IPY_MODEL_<id>" strings of live widgets back into widgets, recursively. */
function deserialize(value: unknown): unknown {
  if (typeof value === "string" && value.startsWith(MODEL_REF)) return liveWidgets.get(value.slice(MODEL_REF.length)) ?? value;
  if (Array.isArray(value)) return value.map(deserialize);
  if (value !== null && typeof value === "object" && !isBinary(value)) {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, deserialize(v)]));
  }
  return value;
}

/** Value equality for state: identity for widgets and binary data, structural for JSON values. */
function sameValue(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (a === null || b === null || typeof a !== "object" || typeof b !== "object") return false;
  if (a instanceof Widget || b instanceof Widget || isBinary(a) || isBinary(b)) return false;
  return JSON.stringify(serialize(a)) === JSON.stringify(serialize(b));
}

/** Base class of every kernel-side widget. */
export class Widget {
  /** Model id (= comm id). */
  readonly modelId: string;
  private readonly comm: Comm;
  /** Wire-named state, without a prototype: a key is present only if the widget has it. */
  private readonly state: Record<string, unknown>;
  private readonly listeners = new Map<string, Listener[]>();
  private readonly msgListeners: MsgListener[] = [];
  /** Values just received from the frontend; not sent back unless changed again. */
  private lock: Record<string, unknown> | undefined;
  private holdDepth = 0;
  private readonly pendingSync = new Set<string>();
  private readonly unregister: () => void;
  /** The cell whose code created this widget. */
  private readonly creatorCell = kernelHost().currentCell();
  private closedFlag = false;
  /** Keys never echoed back to the frontend (large binary traits). */
  protected readonly noEcho = new Set<string>();
  /** Promises of async callbacks still running for the message being handled. */
  private readonly pendingCallbacks: Promise<unknown>[] = [];

  /**
   * Opens the widget's comm with `state` (wire names; must contain the `_model_*`
   * and `_view_*` keys). Referenced widgets (layout, style, children) must exist already.
   */
  constructor(state: Record<string, unknown>) {
    for (const key of ["_model_name", "_model_module", "_model_module_version"]) {
      if (typeof state[key] !== "string") throw new Error(`widget state needs a string ${key}`);
    }
    const host = kernelHost();
    this.state = bareRecord(Object.entries(state));
    for (const key of Object.keys(this.state)) this.defineProperty(key);
    const wire = removeBuffers(serialize(this.state) as Record<string, unknown>);
    this.comm = host.openComm(
      WIDGET_TARGET,
      { state: wire.state, buffer_paths: wire.bufferPaths },
      { metadata: { version: WIDGET_PROTOCOL_VERSION }, buffers: wire.buffers },
    );
    this.modelId = this.comm.commId;
    liveWidgets.set(this.modelId, this);
    this.unregister = host.registerWidget(this.modelId, {
      snapshot: () => {
        const full = removeBuffers(serialize(this.state) as Record<string, unknown>);
        return {
          modelName: String(this.state._model_name),
          modelModule: String(this.state._model_module),
          modelModuleVersion: String(this.state._model_module_version),
          state: full.state,
          bufferPaths: full.bufferPaths,
          buffers: full.buffers,
        };
      },
    });
    this.comm.onMsg((msg) => this.handleMessage(msg));
    this.comm.onClose(() => this.forget());
  }

  private defineProperty(key: string): void {
    if (key.startsWith("_")) return;
    const name = camelName(key);
    if (name in this) return;
    Object.defineProperty(this, name, {
      get: () => this.get(key),
      set: (value: unknown) => this.set({ [key]: value }),
      enumerable: true,
      configurable: true,
    });
  }

  /** True once the widget's comm was closed (by either side). */
  get closed(): boolean {
    return this.closedFlag;
  }

  /** Reads a state value by wire or camelCase name. */
  get(name: string): unknown {
    const key = hasOwn(this.state, name) ? name : wireName(name);
    return hasOwn(this.state, key) ? this.state[key] : undefined;
  }

  /** Sets several values at once (wire or camelCase names); sends one update with what changed. */
  set(changes: Record<string, unknown>): void {
    if (this.closedFlag) throw new Error(`${this.typeName} ${this.modelId} is closed`);
    // Validate everything before storing anything, so a rejected value leaves the state untouched.
    const validated = Object.entries(changes).map(([name, raw]) => {
      const key = hasOwn(this.state, name) ? name : wireName(name);
      if (!hasOwn(this.state, key)) throw new Error(`${this.typeName} has no property "${name}"`);
      return [key, this.validate(key, raw)] as const;
    });
    const changed: [string, unknown, unknown][] = [];
    for (const [key, value] of validated) {
      const old = this.state[key];
      if (sameValue(old, value)) continue;
      this.state[key] = value;
      changed.push([key, old, value]);
    }
    this.holdDepth++;
    try {
      for (const [key, old, value] of changed) {
        this.pendingSync.add(key);
        this.emitChange(key, old, value);
      }
    } finally {
      this.holdDepth--;
      if (this.holdDepth === 0) this.flushSync();
    }
  }

  /** Hook for subclasses: coerce or reject a value before it is stored. */
  protected validate(_key: string, value: unknown): unknown {
    return value;
  }

  /** Hook for subclasses: called after a state key changed (before listeners). */
  protected changed(_key: string, _old: unknown, _value: unknown): void {}

  private emitChange(key: string, old: unknown, value: unknown): void {
    this.changed(key, old, value);
    this.emit(camelName(key), old, value);
  }

  /** Calls `change:<name>` and `change` listeners. */
  protected emit(name: string, old: unknown, value: unknown): void {
    const change: Change = { name, old, new: value, owner: this };
    for (const event of [`change:${name}`, "change"]) {
      for (const listener of this.listeners.get(event) ?? []) this.invoke(() => listener(change));
    }
  }

  /** Runs a user callback; errors are reported on stderr, output goes to the right cell. */
  protected invoke(fn: () => void | Promise<void>): void {
    const report = (err: unknown) =>
      process.stderr.write(`Error in ${this.typeName} callback: ${(err as Error)?.stack ?? err}\n`);
    try {
      const result = runCapturing(this.callbackOutput(), fn);
      if (result instanceof Promise) this.pendingCallbacks.push(result.catch(report));
    } catch (err) {
      report(err);
    }
  }

  /** Where this widget's frontend-triggered callbacks print (see cellOutput.ts). */
  protected callbackOutput(): OutputSink | undefined {
    return callbackOutputFor(this.creatorCell, createCallbackOutput);
  }

  private flushSync(): void {
    const keys = [...this.pendingSync].filter(
      (k) => !(this.lock && hasOwn(this.lock, k) && sameValue(this.lock[k], this.state[k])),
    );
    this.pendingSync.clear();
    if (keys.length === 0 || this.closedFlag) return;
    const subset = Object.fromEntries(keys.map((k) => [k, serialize(this.state[k])]));
    const wire = removeBuffers(subset);
    this.comm.send({ method: "update", state: wire.state, buffer_paths: wire.bufferPaths }, wire.buffers);
  }

  /**
   * Listens to changes: "change:<camelName>" for one property, "change" for all.
   * Returns a function that removes the listener.
   */
  on(event: string, listener: Listener): () => void {
    if (event !== "change" && !event.startsWith("change:"))
      throw new Error(`unknown widget event "${event}" (use "change" or "change:<name>")`);
    const name = event.slice("change:".length);
    const known = hasOwn(this.state, name) || hasOwn(this.state, wireName(name)) || this.extraEvents().includes(name);
    if (event !== "change" && !known) throw new Error(`${this.typeName} has no property "${name}"`);
    this.callbackOutput();
    const list = this.listeners.get(event) ?? [];
    list.push(listener);
    this.listeners.set(event, list);
    return () => {
      const i = list.indexOf(listener);
      if (i >= 0) list.splice(i, 1);
    };
  }

  /** Names of change events a subclass emits for derived (non-state) properties. */
  protected extraEvents(): string[] {
    return [];
  }

  /** Listens to custom messages from the frontend: `(content, buffers)`. */
  onMsg(listener: MsgListener): () => void {
    this.callbackOutput();
    this.msgListeners.push(listener);
    return () => {
      const i = this.msgListeners.indexOf(listener);
      if (i >= 0) this.msgListeners.splice(i, 1);
    };
  }

  /** Sends a custom message (with optional binary buffers) to the frontend views. */
  send(content: unknown, buffers: BinaryData[] = []): void {
    if (this.closedFlag) throw new Error(`${this.typeName} ${this.modelId} is closed`);
    this.comm.send({ method: "custom", content }, buffers);
  }

  /**
   * Handles one comm message from the frontend. Awaits callbacks so the comm_msg stays busy until they finish.
   * An update that cannot be applied (state not an object, nested too deep, bad buffer paths) is refused whole
   * with a BadMessageError naming the problem; the kernel logs it and drops the message.
   */
  private async handleMessage(msg: CommMessage): Promise<void> {
    const { data } = msg;
    if (data.method === "update") {
      const incoming = data.state ?? {};
      if (incoming === null || typeof incoming !== "object" || Array.isArray(incoming)) {
        throw new BadMessageError(
          `${this.typeName} ${this.modelId}: update state must be an object, got ${describeValue(incoming)}`,
        );
      }
      checkDepth(incoming, `${this.typeName} ${this.modelId}: update state`);
      putBuffers(incoming as Record<string, unknown>, data.buffer_paths, msg.buffers, `${this.typeName} ${this.modelId}`);
      this.echo(incoming as Record<string, unknown>);
      this.applyFromFrontend(deserialize(incoming) as Record<string, unknown>);
    } else if (data.method === "request_state") {
      const full = removeBuffers(serialize(this.state) as Record<string, unknown>);
      this.comm.send({ method: "update", state: full.state, buffer_paths: full.bufferPaths }, full.buffers);
    } else if (data.method === "custom") {
      for (const listener of this.msgListeners) this.invoke(() => listener(data.content, msg.buffers));
      this.handleCustom(data.content);
    } else {
      process.stderr.write(`${this.typeName}: unknown widget message method ${describeValue(data.method)}\n`);
    }
    await this.settleCallbacks();
  }

  /** Hook for subclasses: custom message content (after onMsg listeners ran). */
  protected handleCustom(_content: unknown): void {}

  private async settleCallbacks(): Promise<void> {
    while (this.pendingCallbacks.length > 0) {
      const pending = this.pendingCallbacks.splice(0);
      await Promise.all(pending);
    }
  }

  /** Echoes received values back (echo_update), parented to the frontend's message. */
  private echo(received: Record<string, unknown>): void {
    if (process.env.JUPYTER_WIDGETS_ECHO === "0") return;
    const state = Object.fromEntries(
      Object.entries(received).filter(([key]) => hasOwn(this.state, key) && !this.noEcho.has(key)),
    );
    if (Object.keys(state).length === 0) return;
    const wire = removeBuffers(state);
    this.comm.send({ method: "echo_update", state: wire.state, buffer_paths: wire.bufferPaths }, wire.buffers);
  }

  private applyFromFrontend(incoming: Record<string, unknown>): void {
    const known = bareRecord(Object.entries(incoming).filter(([key]) => hasOwn(this.state, key)));
    for (const key of Object.keys(incoming)) {
      if (!hasOwn(known, key))
        process.stderr.write(`${this.typeName}: frontend sent unknown property ${describeValue(key)}; ignored\n`);
    }
    this.lock = known;
    try {
      this.set(known);
    } catch (err) {
      // Rejected by validation: say why, and put the frontend back to the kernel's values.
      process.stderr.write(`${this.typeName}: rejected update from the frontend: ${(err as Error)?.message ?? err}\n`);
      this.lock = undefined;
      const current = removeBuffers(Object.fromEntries(Object.keys(known).map((k) => [k, serialize(this.state[k])])));
      this.comm.send({ method: "update", state: current.state, buffer_paths: current.bufferPaths }, current.buffers);
    } finally {
      this.lock = undefined;
    }
  }

  /** Displays the widget in the current cell (or callback output). */
  display(): void {
    kernelHost().display(this[MIME_BUNDLE_KEY]());
  }

  /** Closes the comm; views disappear and the widget can no longer be used. */
  close(): void {
    if (this.closedFlag) return;
    this.comm.close();
    this.forget();
  }

  private forget(): void {
    this.closedFlag = true;
    liveWidgets.delete(this.modelId);
    this.unregister();
  }

  /** Class name, or the model name for plain Widget instances ("OutputModel" → "Output"). */
  protected get typeName(): string {
    return this.constructor === Widget ? String(this.state._model_name).replace(/Model$/, "") : this.constructor.name;
  }

  /** One-line description for text/plain, e.g. `IntSlider(value=3, min=0, max=10)`. */
  toString(): string {
    const shown = ["value", "description", "min", "max", "step"]
      .filter((k) => hasOwn(this.state, k) && this.state[k] !== "" && this.state[k] !== null)
      .map((k) => `${k}=${JSON.stringify(this.state[k])}`);
    return `${this.typeName}(${shown.join(", ")})`;
  }

  /** The display bundle: the widget view plus a text/plain fallback. */
  [MIME_BUNDLE_KEY](): MimeBundle {
    const data: Record<string, unknown> = { "text/plain": this.toString() };
    if (!this.closedFlag && this.state._view_name !== null && this.state._view_name !== undefined) {
      data["application/vnd.jupyter.widget-view+json"] = { version_major: 2, version_minor: 0, model_id: this.modelId };
    }
    return { data, metadata: {} };
  }
}

/** An Output widget (with its Layout) used to capture callback output. */
function createCallbackOutput(): OutputSink {
  const layout = new Widget(defaultState("Layout"));
  const output = new Widget({ ...defaultState("Output"), layout });
  return { setMsgId: (msgId) => output.set({ msg_id: msgId }), show: () => output.display() };
}
