/**
 * What the tslens live elements share (see live/src/elements/index.ts for the element API): one load per embedded
 * model for the whole page, the element's theme (the `theme` attribute, else the reader's system setting), and
 * LiveElement, the base class that recomputes when an observed attribute changes, shows its loading and error
 * states as text, and fires the events.
 *
 * Events, both bubbling and composed:
 *   tslens-computed  detail: what the element now shows, as numbers (also on `element.result`)
 *   tslens-error     detail: { message } (also on `element.error`); the element shows the message as text
 */
import type { HookedTransformer } from "../../../src/model/hookedTransformer";
import { cssColor, paletteOf } from "../../../src/common/draw/colors";
import type { Theme } from "../../../src/common/draw/colors";
import { loadModel } from "../models";

/** The model an element uses when it has no `model` attribute. */
export const DEFAULT_MODEL = "attn-only-2l";

const loads = new Map<string, Promise<HookedTransformer>>();
/** The last load started: the next one waits for it (two loads interleaved in the engine free each other's tensors). */
let lastLoad: Promise<unknown> = Promise.resolve();

/**
 * The embedded model `name`, loaded once for every element of the page, one model at a time; a failed load is
 * forgotten, so a model added later (tslensLive.addModel) loads on the next try.
 */
export function sharedModel(name: string): Promise<HookedTransformer> {
  let load = loads.get(name);
  if (!load) {
    load = lastLoad.then(() => loadModel(name));
    lastLoad = load.catch(() => undefined);
    loads.set(name, load);
    load.catch(() => loads.delete(name));
  }
  return load;
}

/** The theme of `element`: its `theme` attribute ("light" or "dark"), else the reader's system setting. */
export function elementTheme(element: Element): Theme {
  const asked = element.getAttribute("theme");
  if (asked === "light" || asked === "dark") return asked;
  return window.matchMedia?.("(prefers-color-scheme: dark)").matches ? "dark" : "light";
}

/** An element `tag` with `className` and text `text` (always text, never markup). */
export function make<K extends keyof HTMLElementTagNameMap>(tag: K, className = "", text?: string): HTMLElementTagNameMap[K] {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined) node.textContent = text;
  return node;
}

/** The styles every element shares, in the palette of `theme`. */
function baseStyle(theme: Theme): string {
  const palette = paletteOf(theme);
  return `
    :host { display: block; font: 13px/1.4 system-ui, sans-serif; color: ${cssColor(palette.text)};
      background: ${cssColor(palette.zero)}; padding: 0.5rem; border: 1px solid ${cssColor(palette.guide)}; border-radius: 4px; }
    textarea { width: 100%; box-sizing: border-box; font: 13px/1.4 ui-monospace, monospace; color: inherit;
      background: ${cssColor(palette.zero)}; border: 1px solid ${cssColor(palette.guide)}; }
    .status { min-height: 1.4em; opacity: 0.8; }
    .status.error { opacity: 1; color: ${cssColor(palette.negative)}; font-weight: 600; }
    table { border-collapse: collapse; font-variant-numeric: tabular-nums; }
    th { font-weight: 600; padding: 0.1rem 0.4rem; }
    caption { text-align: left; font-weight: 600; padding: 0.2rem 0; }
  `;
}

/** The custom element base class the tag-less bundle can load anywhere (in Node it is a stand-in, never defined). */
const ElementBase = (typeof HTMLElement === "undefined" ? class {} : HTMLElement) as typeof HTMLElement;

/**
 * A live element: a prompt box, a status line and the element's own view, recomputed from the model `model` and the
 * prompt `prompt` whenever an observed attribute changes (several changes in one task recompute once).
 * Subclasses draw their view from the model (`compute`) and name their extra attributes.
 */
export abstract class LiveElement<Result> extends ElementBase {
  /** Attributes whose change recomputes the element. */
  static readonly baseAttributes = ["model", "prompt", "theme"];
  /** The last numbers the element showed (the detail of its last tslens-computed event), or undefined. */
  result: Result | undefined;
  /** The last error's message, or undefined once a computation succeeds. */
  error: string | undefined;
  /** The model the element computes with, once loaded (shared with every element naming the same model). */
  hookedModel: HookedTransformer | undefined;
  protected readonly root: ShadowRoot;
  protected readonly promptBox: HTMLTextAreaElement;
  protected readonly status: HTMLDivElement;
  protected readonly view: HTMLDivElement;
  private readonly sheet: HTMLStyleElement;
  private scheduled = false;
  private generation = 0;

  constructor() {
    super();
    this.root = this.attachShadow({ mode: "open" });
    this.sheet = make("style");
    this.promptBox = make("textarea", "prompt");
    this.promptBox.rows = 2;
    this.promptBox.setAttribute("aria-label", "prompt");
    this.promptBox.placeholder = "a prompt; press Enter (or leave the box) to run it";
    // Typing then leaving the box (or Enter without Shift) sets the prompt attribute, which recomputes.
    const commit = () => {
      if (this.promptBox.value !== this.prompt) this.setAttribute("prompt", this.promptBox.value);
    };
    this.promptBox.addEventListener("change", commit);
    this.promptBox.addEventListener("keydown", (event) => {
      if (event.key === "Enter" && !event.shiftKey) {
        event.preventDefault();
        commit();
      }
    });
    this.status = make("div", "status");
    this.status.setAttribute("role", "status");
    this.view = make("div", "view");
    this.root.append(this.sheet, this.promptBox, this.status, this.view);
  }

  /** The model attribute (DEFAULT_MODEL when absent). */
  get modelName(): string {
    return this.getAttribute("model") || DEFAULT_MODEL;
  }

  /** The prompt attribute ("" when absent). */
  get prompt(): string {
    return this.getAttribute("prompt") ?? "";
  }

  set prompt(text: string) {
    this.setAttribute("prompt", text);
  }

  /** The theme the element draws in now. */
  get theme(): Theme {
    return elementTheme(this);
  }

  /** The reader's colour scheme, watched while the element is in the page. */
  private readonly scheme = window.matchMedia?.("(prefers-color-scheme: dark)");
  private readonly schemeChanged = () => this.redraw();

  connectedCallback(): void {
    this.scheme?.addEventListener?.("change", this.schemeChanged);
    this.schedule();
  }

  disconnectedCallback(): void {
    this.scheme?.removeEventListener?.("change", this.schemeChanged);
  }

  attributeChangedCallback(name: string, before: string | null, after: string | null): void {
    if (before === after || !this.isConnected) return;
    if (name === "theme") this.redraw();
    else this.schedule();
  }

  /** Recomputes once the page's scripts have run (the embedded models are scripts after the bundle). */
  private schedule(): void {
    if (this.scheduled) return;
    this.scheduled = true;
    const run = () => queueMicrotask(() => ((this.scheduled = false), void this.recompute()));
    if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", run, { once: true });
    else run();
  }

  /** Loads the model (once per page), computes, draws and fires tslens-computed; on an error shows it as text. */
  private async recompute(): Promise<void> {
    const generation = ++this.generation;
    const name = this.modelName;
    this.sheet.textContent = baseStyle(this.theme) + this.styleText(this.theme);
    if (this.promptBox.value !== this.prompt) this.promptBox.value = this.prompt;
    this.setStatus(this.hookedModel ? "computing…" : `loading ${name}…`);
    try {
      const model = await sharedModel(name);
      if (generation !== this.generation) return; // a newer change is on its way
      this.hookedModel = model;
      const started = performance.now();
      const result = this.compute(model);
      this.result = result;
      this.error = undefined;
      this.redraw();
      this.setStatus(`${name}: computed in this page in ${Math.round(performance.now() - started)} ms`);
      this.dispatchEvent(new CustomEvent("tslens-computed", { detail: result, bubbles: true, composed: true }));
    } catch (err) {
      if (generation !== this.generation) return;
      this.error = err instanceof Error ? err.message : String(err);
      this.result = undefined;
      this.view.replaceChildren();
      this.setStatus(`error: ${this.error}`, true);
      this.dispatchEvent(new CustomEvent("tslens-error", { detail: { message: this.error }, bubbles: true, composed: true }));
    }
  }

  /** Redraws the last result in the current theme (nothing to draw before the first one). */
  protected redraw(): void {
    this.sheet.textContent = baseStyle(this.theme) + this.styleText(this.theme);
    if (this.result !== undefined) this.draw(this.result, this.theme);
  }

  /** Tells that what is shown changed without a recomputation (a head picked): fires tslens-computed again. */
  protected changed(result: Result): void {
    this.result = result;
    this.redraw();
    this.dispatchEvent(new CustomEvent("tslens-computed", { detail: result, bubbles: true, composed: true }));
  }

  private setStatus(text: string, isError = false): void {
    this.status.textContent = text;
    this.status.classList.toggle("error", isError);
    this.status.setAttribute("role", isError ? "alert" : "status");
  }

  /** The numbers the element shows for the model and its attributes; tensors made on the way are freed. */
  protected abstract compute(model: HookedTransformer): Result;
  /** Draws `result` into `this.view` (text as text). */
  protected abstract draw(result: Result, theme: Theme): void;
  /** The element's own styles for `theme`. */
  protected abstract styleText(theme: Theme): string;
}
