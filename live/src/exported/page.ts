/**
 * What the live views of an exported page share: the page's widget models (read through the ipywidgets HTML
 * managers widgets/src/embed.ts lists), the views found in the page's saved widget state, and what the page reports
 * about each (window.tslensLiveViews).
 */

/** A widget model as the page's widget manager holds it (a Backbone model). */
export interface PageModel {
  get(key: string): unknown;
  set(values: Record<string, unknown>): void;
  on(event: string, callback: () => void): void;
  trigger(event: string, ...args: unknown[]): void;
  send(content: Record<string, unknown>, ...rest: unknown[]): void;
}

/** The ipywidgets HTML manager of the exported page (widgets/src/embed.ts lists it). */
interface PageManager {
  has_model(id: string): boolean;
  get_model(id: string): Promise<PageModel>;
}

/** What the page reports about one live view. */
export interface LiveViewReport {
  /** The widget model id of the view (an induction view's column, or the logit lens itself). */
  id: string;
  view: "inductionHeads" | "logitLens";
  model: string;
  /** Prompts answered in the page. */
  recomputations: number;
  /** Milliseconds from the prompt's change to the fields set, for the first and the last answer. */
  firstMs?: number;
  lastMs?: number;
  /** The last answer's error (also shown by the view: the prompt box's placeholder, or under the lens's box). */
  lastError?: string;
  /**
   * Induction views: true once the page holds the exact weights of what the view shows (computed once the model has
   * loaded, for the saved prompt, or from the first recomputation), so a hovered cell shows its exact value; false
   * when the saved patterns could not be reproduced (random tokens with no seed), and hover stays quantised (≈).
   */
  exactReady?: boolean;
  /** tf.memory().numTensors after the last answer (flat across answers: nothing leaks). */
  tensorsAfter?: number;
}

/** Each saved widget's id and DOM classes, from the page's widget-state scripts. */
export function savedDomClasses(): { id: string; classes: string[] }[] {
  const found: { id: string; classes: string[] }[] = [];
  for (const script of Array.from(document.querySelectorAll('script[type="application/vnd.jupyter.widget-state+json"]'))) {
    const state = (JSON.parse(script.textContent ?? "{}").state ?? {}) as Record<string, { state?: Record<string, unknown> }>;
    for (const [id, entry] of Object.entries(state)) {
      const classes = entry.state?._dom_classes;
      if (Array.isArray(classes)) found.push({ id, classes: classes.map(String) });
    }
  }
  return found;
}

/** The model `id` once a manager of the page holds it (the managers load the saved state asynchronously). */
export async function pageModel(id: string): Promise<PageModel> {
  const page = window as unknown as { tslensWidgetManagers?: PageManager[] };
  for (let waited = 0; waited < 120_000; waited += 50) {
    const manager = (page.tslensWidgetManagers ?? []).find((m) => m.has_model(id));
    if (manager) return manager.get_model(id);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`widget model ${id} never appeared in the page`);
}

/** Records one answer's time, error and tensor count in `report`. */
export function recordAnswer(report: LiveViewReport, started: number, error: unknown, tensors: number): void {
  report.lastError = error === undefined ? undefined : error instanceof Error ? error.message : String(error);
  report.lastMs = performance.now() - started;
  report.firstMs ??= report.lastMs;
  report.recomputations++;
  report.tensorsAfter = tensors;
}
