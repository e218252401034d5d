/**
 * `saeFeatures(model, sae, text)`: a text read through an SAE. The tokens are coloured by one feature's activation
 * (picked in the view, or `view.feature = n`); hovering a token lists its strongest features with their
 * activations; clicking a feature there colours the tokens by it and asks the kernel for its dashboard, which the
 * kernel computes (lens.featureDashboard's numbers, over `options.corpus`, by default the text itself) and pushes to
 * the dashboard under the tokens. The text is run once; its activations [pos, d_sae] are kept in kernel memory
 * (plain numbers, no tensors) so a new feature's colours need no second run.
 */
import type { HookedTransformer } from "../../model/hookedTransformer";
import type { HookName } from "../../model/hookPoints";
import { describeValue } from "../../model/hooks";
import { tf } from "../../tensor";
import { controlState } from "../../controls/base";
import type { FeatureInputs } from "../../sae/features";
import { Sae } from "../../sae/sae";
import type { Values } from "../../common/spec";
import { formatValue, positionLabel } from "../../common/draw/tokens";
import { coloredTokensPng } from "../coloredTokens/snapshot";
import { SnapshotWidget, ViewWidget } from "../core/viewWidget";
import { stackedPng } from "../inductionHeads/snapshot";
import { checkFeature, emptyDashboard, FeatureDashboard } from "../featureDashboard/featureDashboard";
import type { FeatureDashboardOptions } from "../featureDashboard/featureDashboard";
import { SaeFeatureTokensFields, saeFeatureTokensSpec } from "./spec";

/** Options of saeFeatures. */
export interface SaeFeaturesOptions {
  /** The feature the tokens are coloured by first (default: the one with the largest activation on the text). */
  feature?: number;
  /** Features listed per token (default 5). */
  topK?: number;
  /** Features offered in the picker: those firing on the text, strongest first (default 64). */
  choices?: number;
  /** The corpus of the dashboards a click opens (default: the text). */
  corpus?: FeatureInputs;
  /** The dashboards' other options (examples, contextTokens, logits, bins, batchSize, progress: default none). */
  dashboard?: Omit<FeatureDashboardOptions, "corpus">;
}

/** What the view says before a feature was clicked. */
export const DASHBOARD_PROMPT = "click a feature in a token's list above to open its dashboard";

/** A text's SAE activations: its token ids and hook_sae_acts_post [pos, d_sae] (row-major). */
interface TextActs {
  ids: number[];
  acts: Float32Array;
}

/** Runs `model` on `input` up to the SAE's hook point and encodes the activation there; no tensor outlives it. */
function textActs(model: HookedTransformer, sae: Sae, input: string | number[]): TextActs {
  const hook = sae.cfg.hookName as HookName;
  if (!model.hookNames().includes(hook))
    throw new Error(`${sae.describe()}: the model has no hook point "${hook}" (cfg.json hook_name)`);
  let tokens;
  if (typeof input === "string")
    tokens = model.toTokens(input); // [1, pos]
  else if (Array.isArray(input) && input.length > 0 && input.every((id) => Number.isInteger(id) && id >= 0))
    tokens = tf.tensor2d([input], [1, input.length], "int32"); // [1, pos]
  else throw new Error(`text must be a string or a non-empty list of token ids, got ${describeValue(input)}`);
  try {
    const layer = /^blocks\.(\d+)\./.exec(hook); // nothing after the block holding the hook point is needed
    const stopAtLayer = layer ? Number(layer[1]) + 1 : undefined;
    const { cache } = model.runWithCache(tokens, { namesFilter: [hook], returnType: "none", stopAtLayer });
    try {
      const x = cache.get(hook); // [1, pos, d_in] (hook_z: [1, pos, heads, d_head])
      const width = sae.cfg.reshapeActivations === "none" ? x.shape[x.rank - 1]! : x.shape.slice(-2).reduce((a, b) => a * b, 1);
      if (width !== sae.cfg.dIn)
        throw new Error(`${sae.describe()}: its d_in is ${sae.cfg.dIn}, but ${hook} of this model has width ${width}`);
      const encoded = sae.encode(x); // [1, pos, d_sae]
      try {
        return { ids: (tokens.arraySync() as number[][])[0]!, acts: encoded.dataSync() as Float32Array };
      } finally {
        encoded.dispose();
      }
    } finally {
      cache.dispose();
    }
  } finally {
    tokens.dispose();
  }
}

/** Each position's up to `k` strongest firing features, indices [pos][≤ k] and activations [pos, k] (0-padded). */
export function topFeaturesPerToken(acts: Float32Array, dSae: number, k: number): { features: number[][]; values: Float32Array } {
  const positions = acts.length / dSae;
  const values = new Float32Array(positions * k); // [pos, k]
  const features: number[][] = [];
  for (let p = 0; p < positions; p++) {
    const best: number[] = [];
    for (let f = 0; f < dSae; f++) {
      const a = acts[p * dSae + f]!;
      if (a <= 0 || (best.length === k && a <= acts[p * dSae + best[k - 1]!]!)) continue;
      let at = best.length;
      while (at > 0 && acts[p * dSae + best[at - 1]!]! < a) at--;
      best.splice(at, 0, f);
      if (best.length > k) best.pop();
    }
    best.forEach((f, i) => (values[p * k + i] = acts[p * dSae + f]!));
    features.push(best);
  }
  return { features, values };
}

/** The features that fire anywhere on the text, by their largest activation (strongest first), at most `limit`. */
export function firingFeatures(acts: Float32Array, dSae: number, limit: number): { features: number[]; maxes: number[] } {
  const maxes = new Float32Array(dSae); // [d_sae]
  for (let i = 0; i < acts.length; i++) if (acts[i]! > maxes[i % dSae]!) maxes[i % dSae] = acts[i]!;
  const firing = Array.from(maxes.keys()).filter((f) => maxes[f]! > 0);
  firing.sort((a, b) => maxes[b]! - maxes[a]! || a - b);
  const features = firing.slice(0, limit);
  return { features, maxes: features.map((f) => maxes[f]!) };
}

/** The tokens coloured by a feature, with each token's strongest features: the view the text gets. */
export class SaeFeatureTokens extends ViewWidget<SaeFeatureTokensFields> {
  /** Called with a feature the view asked the dashboard of (set by SaeFeatures). */
  onDashboardRequest: ((feature: number) => Promise<void>) | undefined;

  /** `data`: the text's activations; the view shows `fields`. */
  constructor(
    private readonly data: TextActs,
    fields: Partial<Values<SaeFeatureTokensFields>>,
  ) {
    super(saeFeatureTokensSpec, { ...fields, ...SaeFeatureTokens.colours(data, fields.dSae!, fields.feature!) });
  }

  /** The fields that colour the tokens by `feature`: its activation at each token and the scale's top. */
  private static colours(data: TextActs, dSae: number, feature: number): Partial<Values<SaeFeatureTokensFields>> {
    const positions = data.ids.length;
    const featureActs = new Float32Array(positions); // [pos]
    for (let p = 0; p < positions; p++) featureActs[p] = data.acts[p * dSae + feature]!;
    const top = Math.max(0, ...featureActs);
    return { featureActs, actsFeature: feature, featureMax: top > 0 ? top : 1 };
  }

  /** The feature the tokens are coloured by; setting it recolours them. */
  get feature(): number {
    return this.field("feature");
  }

  set feature(feature: number) {
    this.set({ feature });
  }

  /** The feature's activation at every token (a copy). */
  get featureActs(): number[] {
    return Array.from(this.field("featureActs") ?? []);
  }

  protected override validate(key: string, value: unknown): unknown {
    if (key !== "feature") return value;
    const dSae = this.field("dSae");
    if (typeof value !== "number" || !Number.isInteger(value) || value < 0 || value >= dSae)
      throw new Error(`feature must be an integer in 0 … ${dSae - 1}, got ${describeValue(value)}`);
    return value;
  }

  protected override changed(key: string, _old: unknown, value: unknown): void {
    if (key === "feature") this.setFields(SaeFeatureTokens.colours(this.data, this.field("dSae"), value as number));
  }

  /** `{ request: "dashboard", feature }` from the view: handed to onDashboardRequest (the comm stays busy until it is done). */
  protected override handleCustom(content: unknown): void {
    const { request, feature } = (content ?? {}) as { request?: unknown; feature?: unknown };
    if (request !== "dashboard") return;
    const handler = this.onDashboardRequest;
    if (handler) this.invoke(() => handler(feature as number));
  }

  protected snapshot(): Uint8Array | undefined {
    const acts = this.field("featureActs");
    if (!acts) return undefined;
    return coloredTokensPng({
      tokens: this.field("tokens"),
      values: Array.from(acts),
      name: `feature ${this.field("feature")}`,
      min: 0,
      max: this.field("featureMax"),
    });
  }

  override toString(): string {
    const tokens = this.field("tokens");
    const acts = this.featureActs;
    const peak = acts.indexOf(Math.max(...acts));
    const at = acts[peak]! > 0 ? `max ${formatValue(acts[peak]!)} at ${positionLabel(tokens, peak)}` : "never fires here";
    const strongest = this.field("choices")
      .slice(0, 5)
      .map((f, i) => `#${f} ${formatValue(this.field("choiceMaxes")[i]!)}`)
      .join(", ");
    return `SaeFeatureTokens(${tokens.length} tokens at ${this.field("hookName")}; feature ${this.field("feature")}: ${at}; strongest: ${strongest || "none fire"})`;
  }
}

/** The tokens view and, under it, the dashboard of the last feature clicked. */
export class SaeFeatures extends SnapshotWidget {
  readonly tokens: SaeFeatureTokens;
  readonly dashboard: FeatureDashboard;
  /** The last dashboard request's error, or undefined. */
  lastError: string | undefined;

  constructor(model: HookedTransformer, sae: Sae, text: string | number[], options: SaeFeaturesOptions = {}) {
    if (!(sae instanceof Sae)) throw new Error(`sae must be an SAE from lens.loadSae, got ${describeValue(sae)}`);
    if (sae.isDisposed) throw new Error(`${sae.describe()} was disposed`);
    const topK = options.topK ?? 5;
    const limit = options.choices ?? 64;
    for (const [name, n] of [
      ["topK", topK],
      ["choices", limit],
    ] as const)
      if (!Number.isInteger(n) || n < 1) throw new Error(`${name} must be an integer ≥ 1, got ${describeValue(n)}`);
    if (options.feature !== undefined) checkFeature(sae, options.feature);
    const data = textActs(model, sae, text);
    const { dSae } = sae.cfg;
    const perToken = topFeaturesPerToken(data.acts, dSae, topK);
    const choices = firingFeatures(data.acts, dSae, limit);
    const tokenText = model.tokenizer ? model.tokenizer.displayStrings(data.ids) : data.ids.map(String);
    const tokens = new SaeFeatureTokens(data, {
      tokens: tokenText,
      hookName: sae.cfg.hookName,
      dSae,
      topK,
      topFeatures: perToken.features,
      topActs: perToken.values,
      feature: options.feature ?? choices.features[0] ?? 0,
      choices: choices.features,
      choiceMaxes: choices.maxes,
    });
    const corpus = options.corpus ?? ([text] as FeatureInputs);
    const dashboard = emptyDashboard(model, sae, { progress: false, ...options.dashboard, corpus }, DASHBOARD_PROMPT);
    super({ ...controlState("VBox", {}), children: [tokens, dashboard] });
    this.tokens = tokens;
    this.dashboard = dashboard;
    tokens.onDashboardRequest = (feature) => this.openDashboard(feature).catch(() => undefined);
  }

  /** The feature the tokens are coloured by; setting it recolours them. */
  get feature(): number {
    return this.tokens.feature;
  }

  set feature(feature: number) {
    this.tokens.feature = feature;
  }

  /**
   * Shows the dashboard of `feature` and colours the tokens by it (what a click in the view does). Rejects on a bad
   * feature or a failed computation; the dashboard then says why, `lastError` holds it, and the tokens stay as they were.
   */
  async openDashboard(feature: number): Promise<void> {
    try {
      await this.dashboard.show(feature); // checks the feature first; the dashboard says what went wrong
      if (this.dashboard.feature === feature) this.tokens.feature = feature; // not when a later request overtook this one
      this.lastError = undefined;
    } catch (error) {
      this.lastError = (error as Error).message;
      console.error(`saeFeatures: ${this.lastError}`);
      throw error;
    }
  }

  /** The tokens' snapshot, with the dashboard's under it once a feature was opened. */
  protected snapshot(): Uint8Array | undefined {
    return stackedPng([this.tokens.png(), this.dashboard.png()]);
  }

  override toString(): string {
    return `SaeFeatures(${String(this.tokens).slice("SaeFeatureTokens(".length, -1)}; dashboard: ${
      this.dashboard.feature >= 0 ? `feature ${this.dashboard.feature}` : "none opened"
    })`;
  }
}

/** Shows `text` read through `sae`: tokens coloured by a feature, each token's top features, dashboards on click. */
export function saeFeatures(
  model: HookedTransformer,
  sae: Sae,
  text: string | number[],
  options: SaeFeaturesOptions = {},
): SaeFeatures {
  return new SaeFeatures(model, sae, text, options);
}
