/**
 * `model.runWithSaes(…)` and `model.runWithCacheWithSaes(…)`: SAELens's HookedSAETransformer calls as methods of
 * every HookedTransformer, added here (declaration merging) so the model's own file stays as it is; they are the
 * functions of splice.ts with the model first. `cache.get` accepts SAE hook names the same way
 * (`cache.has` needs `name as HookName`).
 */
import type { Tensor } from "@tensorflow/tfjs-core";
import type { ActivationCache } from "../cache/activationCache";
import { HookedTransformer } from "../model/hookedTransformer";
import type { ModelInput } from "../model/tokens";
import type { Sae } from "./sae";
import { runWithCacheWithSaes, RunWithCacheWithSaesOptions, runWithSaes, RunWithSaesOptions, SaeHookName } from "./splice";

declare module "../cache/activationCache" {
  interface ActivationCache {
    /** A spliced SAE's activation, e.g. `get("blocks.1.hook_resid_pre.hook_sae_acts_post")` [batch, pos, d_sae]. */
    get(name: SaeHookName): Tensor;
  }
}

declare module "../model/hookedTransformer" {
  interface HookedTransformer {
    /** Logits [batch, pos, d_vocab] with `saes` spliced in (see lens.runWithSaes); caller disposes. */
    runWithSaes(input: ModelInput, saes: Sae[], options?: RunWithSaesOptions): Tensor;
    /** `{ logits, cache }` with `saes` spliced in, their hook points cached (see lens.runWithCacheWithSaes). */
    runWithCacheWithSaes(
      input: ModelInput,
      saes: Sae[],
      options?: RunWithCacheWithSaesOptions,
    ): { logits: Tensor; cache: ActivationCache };
  }
}

HookedTransformer.prototype.runWithSaes = function (this: HookedTransformer, input, saes, options) {
  return runWithSaes(this, input, saes, options);
};
HookedTransformer.prototype.runWithCacheWithSaes = function (this: HookedTransformer, input, saes, options) {
  return runWithCacheWithSaes(this, input, saes, options);
};
