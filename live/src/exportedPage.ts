/**
 * The script of a notebook exported with `tslens export --live`: it finds the page's live views — induction views
 * (their column's DOM classes name the model, src/views/inductionHeads/fields.ts) and logit-lens views with a prompt
 * box (src/views/logitLens/fields.ts) — loads their embedded models, and answers a new prompt in a view's box as the
 * kernel would, computing the view's fields here with the kernel's code and setting them on its widget models
 * (live/src/exported/induction.ts, logitLens.ts). `window.tslensLiveViews` reports each wired view (model,
 * recomputations, times); `window.tslensLiveReady` resolves once they are wired.
 */
import type { HookedTransformer } from "../../src/model/hookedTransformer";
import { INDUCTION_VIEW_CLASS, readLiveTag } from "../../src/views/inductionHeads/fields";
import type { LiveTag } from "../../src/views/inductionHeads/fields";
import { LOGIT_LENS_VIEW_CLASS, readLensLiveTag } from "../../src/views/logitLens/fields";
import type { LensLiveTag } from "../../src/views/logitLens/fields";
import { initLiveBackend } from "./backend";
import { wireInductionView } from "./exported/induction";
import { wireLogitLensView } from "./exported/logitLens";
import { savedDomClasses } from "./exported/page";
import type { LiveViewReport } from "./exported/page";
import { embeddedModels, loadModel } from "./models";

export type { LiveViewReport } from "./exported/page";

/** A live view of the page: its widget id, and the tag naming its model (one the page embeds). */
type PageView =
  | { id: string; view: "inductionHeads"; tag: LiveTag & { model: string } }
  | { id: string; view: "logitLens"; tag: LensLiveTag & { model: string } };

/** The views in the page's saved widget state whose model the page embeds, induction views first. */
function liveViews(): PageView[] {
  const embedded = new Set(embeddedModels());
  const saved = savedDomClasses();
  const induction = saved.flatMap(({ id, classes }): PageView[] => {
    const tag = classes.includes(INDUCTION_VIEW_CLASS) ? readLiveTag(classes) : undefined;
    return tag?.model && embedded.has(tag.model) ? [{ id, view: "inductionHeads", tag: { ...tag, model: tag.model } }] : [];
  });
  const lenses = saved.flatMap(({ id, classes }): PageView[] => {
    const tag = classes.includes(LOGIT_LENS_VIEW_CLASS) ? readLensLiveTag(classes) : undefined;
    return tag?.model && embedded.has(tag.model) ? [{ id, view: "logitLens", tag: { ...tag, model: tag.model } }] : [];
  });
  return [...induction, ...lenses];
}

/**
 * Wires every live view of the page (see the file's comment); resolves to their reports once each answers prompts.
 * Models load once per page, on the backend initBackend picks.
 */
export async function wireExportedPage(): Promise<LiveViewReport[]> {
  const page = window as unknown as { tslensLiveViews?: LiveViewReport[] };
  const reports: LiveViewReport[] = (page.tslensLiveViews = []);
  const views = liveViews();
  if (views.length === 0) return reports;
  await initLiveBackend();
  const models = new Map<string, Promise<HookedTransformer>>();
  await Promise.all(
    views.map((found) => {
      const name = found.tag.model;
      if (!models.has(name)) models.set(name, loadModel(name));
      const report: LiveViewReport = { id: found.id, view: found.view, model: name, recomputations: 0 };
      reports.push(report);
      return found.view === "inductionHeads"
        ? wireInductionView(found.id, found.tag, models.get(name)!, report)
        : wireLogitLensView(found.id, found.tag, models.get(name)!, report);
    }),
  );
  return reports;
}
