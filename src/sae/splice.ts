/**
 * SAEs spliced into a model run, as SAELens's HookedSAETransformer does: at the SAE's hook point the activation is
 * replaced by the SAE's reconstruction (plus, with `useErrorTerm`, the error x − reconstruction computed without any
 * hook, so the logits are the clean ones while features stay readable and editable). A transcoder reads its input
 * at `hookName` and writes at `hookNameOut`.
 *
 * Built on the model's forward hooks: one hook per SAE at its output hook point. The SAE's own hook points are
 * named under that point, as SAELens names them — `<hook>.hook_sae_input`, `.hook_sae_acts_pre`,
 * `.hook_sae_acts_post`, `.hook_sae_recons`, `.hook_sae_error` (only with useErrorTerm), `.hook_sae_output` — and
 * both `fwdHooks` (to ablate or steer features) and runWithCacheWithSaes's cache accept them. The model's own
 * entry at `<hook>` then holds what flows on (= `<hook>.hook_sae_output`).
 */
import type { Tensor } from "@tensorflow/tfjs-core";
import type { ActivationCache } from "../cache/activationCache";
import type { HookedTransformer } from "../model/hookedTransformer";
import type { HookName } from "../model/hookPoints";
import { describeValue, HookFn, HookTarget, isTensor } from "../model/hooks";
import type { RunInputOptions } from "../model/run";
import type { ModelInput } from "../model/tokens";
import { tf } from "../tensor";
import { Sae, SAE_HOOK_SUFFIXES, SaeHookSuffix, SaeTap } from "./sae";

/** An SAE's hook point inside a run: `<model hook>.<suffix>`, e.g. "blocks.1.hook_resid_pre.hook_sae_acts_post". */
export type SaeHookName = `${HookName}.${SaeHookSuffix}`;
/** A model hook point or an SAE's. */
export type AnyHookName = HookName | SaeHookName;
/** A forward hook on a model or SAE hook point: return a tensor of the same shape to replace the activation. */
export type SaeHookFn = (activation: Tensor, hook: { name: AnyHookName }) => Tensor | void;
/** A hook target: a model or SAE hook point name, or a predicate over names. */
export type SaeHookTarget = AnyHookName | ((name: AnyHookName) => boolean);

/** Options of runWithSaes. */
export interface RunWithSaesOptions extends RunInputOptions {
  /** Add back the SAE's error, so the output at the hook equals the clean activation (default false). */
  useErrorTerm?: boolean;
  /** Forward hooks on model hook points and on the SAEs' (`<hook>.hook_sae_acts_post`, …). */
  fwdHooks?: [SaeHookTarget, SaeHookFn][];
}

/** Options of runWithCacheWithSaes. */
export interface RunWithCacheWithSaesOptions extends RunWithSaesOptions {
  /** Which hook points to keep (default all): a name, a list of names or a predicate, model and SAE names alike. */
  namesFilter?: AnyHookName | readonly AnyHookName[] | ((name: AnyHookName) => boolean);
}

/** True when `name` is `<hook>.hook_sae_<…>`. */
function isSaeHookName(name: string): boolean {
  return SAE_HOOK_SUFFIXES.some((s) => name.endsWith(`.${s}`));
}

/** Checks the SAE list against the model: live SAEs, hook points it has, at most one SAE writing each point. */
function checkSaes(model: HookedTransformer, saes: unknown): Sae[] {
  if (!Array.isArray(saes) || saes.some((s) => !(s instanceof Sae)))
    throw new Error(`saes must be a list of SAEs from lens.loadSae, got ${describeValue(saes)}`);
  const names = new Set<string>(model.hookNames());
  const writers = new Map<string, Sae>();
  for (const sae of saes as Sae[]) {
    if (sae.isDisposed) throw new Error(`${sae.describe()} was disposed`);
    for (const hook of new Set([sae.cfg.hookName, sae.cfg.hookNameOut]))
      if (!names.has(hook)) throw new Error(`${sae.describe()}: the model has no hook point "${hook}" (cfg.json hook_name)`);
    const other = writers.get(sae.cfg.hookNameOut);
    if (other) throw new Error(`two SAEs write ${sae.cfg.hookNameOut}: ${other.describe()} and ${sae.describe()}`);
    writers.set(sae.cfg.hookNameOut, sae);
  }
  return saes as Sae[];
}

/** The model hooks that splice `saes` in; `record(name, t)` sees every SAE hook point's value. */
function spliceHooks(
  saes: Sae[],
  options: RunWithSaesOptions,
  record: (name: SaeHookName, t: Tensor) => void,
): { hooks: [HookTarget, HookFn][]; release: () => void } {
  const userHooks = options.fwdHooks ?? [];
  if (!Array.isArray(userHooks))
    throw new Error(`fwdHooks must be a list of [hook name, function] pairs, got ${describeValue(userHooks)}`);
  const modelHooks: [HookTarget, HookFn][] = [];
  const saeHooks: [SaeHookTarget, SaeHookFn][] = [];
  const spliced = new Set(saes.map((s) => s.cfg.hookNameOut));
  for (const [target, fn] of userHooks) {
    if (typeof target === "string" && isSaeHookName(target)) {
      const point = target.slice(0, target.lastIndexOf("."));
      if (!spliced.has(point))
        throw new Error(`fwdHooks: "${target}" names an SAE hook point, but no SAE in this run writes ${point}`);
      saeHooks.push([target, fn]);
    } else if (typeof target === "function") {
      modelHooks.push([target as HookTarget, fn as HookFn]);
      saeHooks.push([target, fn]);
    } else modelHooks.push([target as HookTarget, fn as HookFn]);
  }
  const captured = new Map<Sae, Tensor>();
  const release = () => {
    tf.dispose([...captured.values()]);
    captured.clear();
  };
  const spliceHooksList: [HookTarget, HookFn][] = [];
  for (const sae of saes) {
    const prefix = sae.cfg.hookNameOut;
    const touched = saeHooks.some(([t]) => typeof t === "function" || t.startsWith(`${prefix}.`));
    const tap: SaeTap = (suffix, t) => {
      const name = `${prefix}.${suffix}` as SaeHookName;
      for (const [target, fn] of saeHooks) {
        if (typeof target === "string" ? target !== name : !target(name)) continue;
        const replaced: unknown = fn(t, { name });
        if (replaced === undefined || replaced === null) continue;
        if (!isTensor(replaced) || replaced.isDisposed || replaced.shape.join() !== t.shape.join())
          throw new Error(
            `hook on ${name} returned ${describeValue(replaced)}; return a tf.Tensor of shape [${t.shape}] or nothing`,
          );
        t = replaced;
      }
      record(name, t);
      return t;
    };
    if (sae.isTranscoder())
      spliceHooksList.push([sae.cfg.hookName as HookName, (x) => void captured.set(sae, tf.keep(x.clone()))]);
    spliceHooksList.push([
      prefix as HookName,
      (act) => {
        const input = sae.isTranscoder() ? captured.get(sae) : act;
        if (!input) throw new Error(`${sae.describe()}: its output hook ${prefix} runs before its input hook`);
        if (sae.cfg.reshapeActivations === "none" && act.shape[act.rank - 1] !== sae.cfg.dOut)
          throw new Error(
            `${sae.describe()}: ${prefix} has width ${act.shape[act.rank - 1]}, but the SAE's d_out is ${sae.cfg.dOut}`,
          );
        const { acts, norm, headShape } = sae.encodeWith(input, tap);
        let out = sae.withSkip(input, sae.decodeWith(acts, norm, tap, headShape));
        if (options.useErrorTerm) {
          let clean = out;
          if (touched) {
            const again = sae.encodeWith(input, (_, t) => t);
            clean = sae.withSkip(
              input,
              sae.decodeWith(again.acts, again.norm, (_, t) => t, again.headShape),
            );
          }
          out = out.add(tap("hook_sae_error", act.sub(clean)));
        }
        if (sae.isTranscoder()) {
          captured.get(sae)!.dispose();
          captured.delete(sae);
        }
        return tap("hook_sae_output", out);
      },
    ]);
  }
  return { hooks: [...spliceHooksList, ...modelHooks], release };
}

/**
 * Logits [batch, pos, d_vocab] of `model` on `input` with `saes` spliced in (SAELens's run_with_saes); caller
 * disposes. `fwdHooks` may name SAE hook points, e.g. `[["blocks.1.hook_resid_pre.hook_sae_acts_post", zeroFeature]]`.
 */
export function runWithSaes(model: HookedTransformer, input: ModelInput, saes: Sae[], options: RunWithSaesOptions = {}): Tensor {
  const checked = checkSaes(model, saes);
  const { hooks, release } = spliceHooks(checked, options, () => {});
  try {
    return model.runWithHooks(input, { ...options, fwdHooks: hooks });
  } finally {
    release();
  }
}

/**
 * `{ logits, cache }` of `model` on `input` with `saes` spliced in (SAELens's run_with_cache_with_saes): the cache
 * holds the model's hook points and the SAEs' (`<hook>.hook_sae_acts_post` [batch, pos, d_sae], …), as
 * `namesFilter` selects. Caller disposes both.
 */
export function runWithCacheWithSaes(
  model: HookedTransformer,
  input: ModelInput,
  saes: Sae[],
  options: RunWithCacheWithSaesOptions = {},
): { logits: Tensor; cache: ActivationCache } {
  const checked = checkSaes(model, saes);
  const { namesFilter } = options;
  let wanted: (name: AnyHookName) => boolean;
  let modelFilter: RunWithCacheWithSaesOptions["namesFilter"];
  if (namesFilter === undefined) wanted = () => true;
  else if (typeof namesFilter === "function") {
    wanted = namesFilter;
    modelFilter = namesFilter;
  } else {
    const list: readonly string[] = typeof namesFilter === "string" ? [namesFilter] : namesFilter;
    if (!Array.isArray(list))
      throw new Error(`namesFilter must be a hook name, a list of names or a predicate, got ${describeValue(namesFilter)}`);
    wanted = (n) => list.includes(n);
    modelFilter = list.filter((n) => !isSaeHookName(n)) as HookName[];
  }
  const kept = new Map<SaeHookName, Tensor>();
  const record = (name: SaeHookName, t: Tensor) => {
    if (!wanted(name)) return;
    kept.get(name)?.dispose();
    kept.set(name, tf.keep(t));
  };
  const { hooks, release } = spliceHooks(checked, options, record);
  try {
    const run = model.runWithCache(input, {
      ...options,
      namesFilter: modelFilter as (name: HookName) => boolean,
      fwdHooks: hooks,
    });
    for (const [name, t] of kept) run.cache.add(name as unknown as HookName, t);
    kept.clear();
    return { logits: run.logits!, cache: run.cache };
  } finally {
    release();
    tf.dispose([...kept.values()]);
  }
}
