/**
 * A logit-lens view of an exported page, answered in the page: a prompt typed into its box (the view's prompt field)
 * is run here with the kernel's code (logitLensWireFields) and the new fields set on the view's widget model, so the
 * table redraws as when the kernel answers; an error is set as the view's prompt error, shown under the box.
 */
import type { HookedTransformer } from "../../../src/model/hookedTransformer";
import { tf } from "../../../src/tensor";
import { logitLensWireFields } from "../../../src/views/logitLens/fields";
import type { LensLiveTag } from "../../../src/views/logitLens/fields";
import { pageModel, recordAnswer } from "./page";
import type { LiveViewReport } from "./page";

/** Answers the prompts typed into the logit-lens view `id` (see the file's comment). */
export async function wireLogitLensView(
  id: string,
  tag: LensLiveTag,
  model: Promise<HookedTransformer>,
  report: LiveViewReport,
): Promise<void> {
  const view = await pageModel(id);
  const options = { topK: tag.topK };
  view.on("change:prompt", async () => {
    const started = performance.now();
    let failure: unknown;
    try {
      view.set(logitLensWireFields(await model, String(view.get("prompt") ?? ""), options));
    } catch (error) {
      failure = error;
      const message = error instanceof Error ? error.message : String(error);
      view.set({ prompt_error: message });
      console.error(`logitLens (live): ${message}`);
    }
    recordAnswer(report, started, failure, tf.memory().numTensors);
  });
}
