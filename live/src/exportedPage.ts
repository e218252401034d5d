/**
 * The script of a notebook exported with `tslens export --live`: it finds the page's induction views (their column's
 * DOM classes name the model, see src/views/inductionHeads/fields.ts), loads their embedded models, and answers a
 * new prompt in a view's box as the kernel would: it computes the scores and patterns here and sets the same fields
 * on the view's widget models (inductionViewFields), so the views redraw exactly as when the kernel answers; and it
 * answers the patterns view's requests for a head's exact weights (the tooltip's value) from that computation.
 * `window.tslensLiveViews` reports each wired view (model, recomputations, times); `window.tslensLiveReady` resolves
 * once they are wired.
 */
import type { HookedTransformer } from "../../src/model/hookedTransformer";
import { INDUCTION_VIEW_CLASS, PLACEHOLDER, inductionViewFields, readLiveTag } from "../../src/views/inductionHeads/fields";
import type { LiveTag } from "../../src/views/inductionHeads/fields";
import { initLiveBackend } from "./backend";
import { embeddedModels, loadModel } from "./models";

/** A widget model as the page's widget manager holds it (a Backbone model). */
interface PageModel {
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

/** What the page reports about one live induction view. */
export interface LiveViewReport {
  /** The widget model id of the view's column. */
  id: string;
  model: string;
  /** Prompts answered in the page. */
  recomputations: number;
  /** Milliseconds from the prompt's change to the fields set, for the first and the last answer. */
  firstMs?: number;
  lastMs?: number;
  /** The last answer's error (also shown in the prompt box's placeholder). */
  lastError?: string;
}

/** Induction views in the page's saved widget state whose model the page embeds: their column's id and live tag. */
function liveViews(): { id: string; tag: LiveTag & { model: string } }[] {
  const found: { id: string; tag: LiveTag & { model: string } }[] = [];
  const embedded = new Set(embeddedModels());
  for (const script of Array.from(document.querySelectorAll('script[type="application/vnd.jupyter.widget-state+json"]'))) {
    const state = (JSON.parse(script.textContent ?? "{}").state ?? {}) as Record<string, { state?: Record<string, unknown> }>;
    for (const [id, entry] of Object.entries(state)) {
      const classes = entry.state?._dom_classes;
      if (!Array.isArray(classes) || !classes.includes(INDUCTION_VIEW_CLASS)) continue;
      const tag = readLiveTag(classes as string[]);
      if (tag?.model && embedded.has(tag.model)) found.push({ id, tag: tag as LiveTag & { model: string } });
    }
  }
  return found;
}

/** The model `id` once a manager of the page holds it (the managers load the saved state asynchronously). */
async function pageModel(id: string): Promise<PageModel> {
  const page = window as unknown as { tslensWidgetManagers?: PageManager[] };
  for (let waited = 0; waited < 120_000; waited += 50) {
    const manager = (page.tslensWidgetManagers ?? []).find((m) => m.has_model(id));
    if (manager) return manager.get_model(id);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`widget model ${id} never appeared in the page`);
}

/** Answers prompts typed into one view: its children's fields set from the page's own computation. */
async function wire(id: string, tag: LiveTag, model: Promise<HookedTransformer>, report: LiveViewReport): Promise<void> {
  const column = await pageModel(id);
  const [prompt, row, caption, patterns] = column.get("children") as PageModel[];
  const [previousToken, induction] = row.get("children") as PageModel[];
  const options = { seqLen: tag.seqLen, seed: tag.seed };
  // The exact weights of what the page computed last: the patterns view's requests for exact values (a hovered
  // cell's tooltip) are answered from them, as the kernel answers; before the first recomputation they stay unanswered
  // (the tooltip shows the quantised value, marked ≈, as in a static export).
  let exact: { values: Float32Array; version: number; size: number } | undefined;
  const send = patterns.send.bind(patterns);
  patterns.send = (content, ...rest) => {
    const head = Number(content?.head);
    const heads = exact ? exact.values.length / exact.size : 0;
    if (content?.request !== "values" || !exact || !Number.isInteger(head) || head < 0 || head >= heads)
      return send(content, ...rest);
    const values = exact.values.slice(head * exact.size, (head + 1) * exact.size); // [query, key]
    const reply = { values_for: head, patterns_version: exact.version };
    setTimeout(() => patterns.trigger("msg:custom", reply, [new DataView(values.buffer)]), 0);
  };
  prompt.on("change:value", async () => {
    const started = performance.now();
    const text = String(prompt.get("value") ?? "");
    try {
      const fields = inductionViewFields(await model, text, options, Number(patterns.get("selected_head")));
      previousToken.set(fields.previousToken);
      induction.set(fields.induction);
      const version = Number(patterns.get("patterns_version")) + 1;
      const size = Number(fields.patterns.n_queries) * Number(fields.patterns.n_keys);
      exact = { values: fields.exactPatterns, version, size };
      patterns.set({ ...fields.patterns, patterns_version: version });
      caption.set({ value: fields.caption });
      prompt.set({ placeholder: PLACEHOLDER, rows: fields.rows });
      report.lastError = undefined;
    } catch (error) {
      report.lastError = error instanceof Error ? error.message : String(error);
      prompt.set({ placeholder: `error: ${report.lastError}` });
      console.error(`inductionHeads (live): ${report.lastError}`);
    }
    report.lastMs = performance.now() - started;
    report.firstMs ??= report.lastMs;
    report.recomputations++;
  });
}

/**
 * Wires every live induction view of the page (see the file's comment); resolves to their reports once each
 * answers prompts. Models load once per page, on the backend initBackend picks.
 */
export async function wireExportedPage(): Promise<LiveViewReport[]> {
  const page = window as unknown as { tslensLiveViews?: LiveViewReport[] };
  const reports: LiveViewReport[] = (page.tslensLiveViews = []);
  const views = liveViews();
  if (views.length === 0) return reports;
  await initLiveBackend();
  const models = new Map<string, Promise<HookedTransformer>>();
  await Promise.all(
    views.map(({ id, tag }) => {
      if (!models.has(tag.model)) models.set(tag.model, loadModel(tag.model));
      const report: LiveViewReport = { id, model: tag.model, recomputations: 0 };
      reports.push(report);
      return wire(id, tag, models.get(tag.model)!, report);
    }),
  );
  return reports;
}
