/**
 * The tslens live elements: live views for any static page, registered by the bundle itself. A page needs two
 * scripts, the bundle and an embedded model (both written by `npm run build:live`), then the elements:
 *
 *   <script src="tslens-live.js"></script>
 *   <script src="models/attn-only-2l.js"></script>
 *   <tslens-induction-heads model="attn-only-2l" prompt="The cat sat on the mat."></tslens-induction-heads>
 *   <tslens-logit-lens model="attn-only-2l" prompt="def add(a, b): return a + b"></tslens-logit-lens>
 *
 * Each element has a prompt box (Enter or leaving the box runs it) and recomputes when an attribute changes
 * (`el.setAttribute("prompt", …)` or `el.prompt = …`). Elements naming the same model share one load. The numbers
 * shown come with the tslens-computed event (`event.detail`, also `el.result`); an error (an unknown model names
 * the embedded ones) is shown in the element as text and fires tslens-error (`el.error`). Attributes and results:
 * inductionHeads.ts and logitLens.ts. The global `tslensLive` (live/src/index.ts) holds the engine for pages that
 * compute by hand.
 */
import { InductionHeadsElement } from "./inductionHeads";
import { LogitLensElement } from "./logitLens";

export { InductionHeadsElement } from "./inductionHeads";
export type { InductionHeadsResult } from "./inductionHeads";
export { LogitLensElement } from "./logitLens";
export type { LogitLensResult } from "./logitLens";
export { sharedModel } from "./base";

/** The elements by tag name. */
export const ELEMENTS = {
  "tslens-induction-heads": InductionHeadsElement,
  "tslens-logit-lens": LogitLensElement,
} as const;

/** Registers the elements (the bundle does it when it loads); a page without custom elements skips this. */
export function defineElements(): void {
  if (typeof customElements === "undefined") return;
  for (const [tag, element] of Object.entries(ELEMENTS))
    if (!customElements.get(tag)) customElements.define(tag, element as unknown as CustomElementConstructor);
}
