/**
 * `await featureDashboard(model, sae, feature, { corpus })`: one SAE feature on one page — where it fires most over
 * a corpus (each example a window of tokens with the firing token highlighted), the tokens its decoder direction
 * promotes and suppresses directly (W_dec · W_U), and the histogram of its non-zero activations with its firing
 * density. The numbers come from lens.featureTopExamples / featureLogits / featureHistogram (src/sae/features.ts);
 * this view shows them and, with `show(feature)`, recomputes them for another feature (saeFeatures calls it when a
 * feature is clicked).
 */
import type { PatchProgress } from "../../analysis/patching/progress";
import type { Values } from "../../common/spec";
import type { HookedTransformer } from "../../model/hookedTransformer";
import { describeValue } from "../../model/hooks";
import { featureHistogram, featureLogits, featureTopExamples } from "../../sae/features";
import type { FeatureInputs } from "../../sae/features";
import { Sae } from "../../sae/sae";
import { formatValue } from "../../common/draw/tokens";
import { ViewWidget } from "../core/viewWidget";
import { featureDashboardPng } from "./snapshot";
import { FeatureDashboardFields, featureDashboardSpec } from "./spec";

/** Options of featureDashboard. */
export interface FeatureDashboardOptions {
  /** Texts or token-id rows to find the top examples and the histogram in (without one: the logits only). */
  corpus?: FeatureInputs;
  /** Top examples listed (default 10). */
  examples?: number;
  /** Tokens of context on each side of the firing token (default 5). */
  contextTokens?: number;
  /** Promoted and suppressed tokens listed (default 10 each). */
  logits?: number;
  /** Histogram bins (default 20). */
  bins?: number;
  /** Corpus rows per forward (default 8). */
  batchSize?: number;
  /** Progress of the corpus passes, as in featureTopExamples (default: a bar when there are many batches). */
  progress?: PatchProgress;
}

/** The dashboard's data fields (everything but the status). */
type DashboardData = Partial<Values<FeatureDashboardFields>>;

/** The note shown instead of the examples and the histogram when no corpus was given. */
export const NO_CORPUS = "no corpus given: pass { corpus: texts } for the top examples and the histogram";

/** Throws unless `sae` is a live SAE and `feature` one of its features. */
export function checkFeature(sae: Sae, feature: unknown): number {
  if (!(sae instanceof Sae)) throw new Error(`sae must be an SAE from lens.loadSae, got ${describeValue(sae)}`);
  if (sae.isDisposed) throw new Error(`${sae.describe()} was disposed`);
  const dSae = sae.cfg.dSae;
  if (typeof feature !== "number" || !Number.isInteger(feature) || feature < 0 || feature >= dSae)
    throw new Error(
      `feature must be an integer in 0 … ${dSae - 1} (${sae.describe()} has d_sae = ${dSae}), got ${describeValue(feature)}`,
    );
  return feature;
}

/** Token text for display: the tokenizer's display strings (byte pieces as <0xNN>), else the strings given. */
function shownTokens(model: HookedTransformer, ids: number[], fallback: string[]): string[] {
  return model.tokenizer ? model.tokenizer.displayStrings(ids) : fallback;
}

/** The dashboard of `feature`: logits always (when the SAE writes the residual stream), examples and histogram over the corpus. */
async function dashboardData(
  model: HookedTransformer,
  sae: Sae,
  feature: number,
  options: FeatureDashboardOptions,
): Promise<DashboardData> {
  checkFeature(sae, feature);
  const notes: string[] = [];
  const data: DashboardData = { feature, saeName: sae.describe() };
  try {
    const logits = featureLogits(model, sae, feature, { k: options.logits ?? 10 });
    const text = (list: typeof logits.top) => list.map((l) => shownTokens(model, [l.tokenId], [l.token])[0]);
    Object.assign(data, {
      topTokens: text(logits.top),
      topValues: logits.top.map((l) => l.value),
      bottomTokens: text(logits.bottom),
      bottomValues: logits.bottom.map((l) => l.value),
    });
  } catch (error) {
    const message = (error as Error).message;
    if (!message.startsWith("featureLogits needs")) throw error;
    notes.push(`no logits: ${message}`);
    Object.assign(data, { topTokens: [], topValues: [], bottomTokens: [], bottomValues: [] });
  }
  if (options.corpus === undefined) {
    notes.push(NO_CORPUS);
    Object.assign(data, { exampleTokens: [], exampleIndex: [], exampleActs: [], exampleRows: [], examplePositions: [] });
    Object.assign(data, { histEdges: [], histCounts: [], nonZero: 0, tokensSeen: 0, density: 0 });
  } else {
    const stream = { batchSize: options.batchSize, progress: options.progress };
    const [top] = await featureTopExamples(model, sae, options.corpus, {
      ...stream,
      features: feature,
      k: options.examples ?? 10,
      contextTokens: options.contextTokens ?? 5,
    });
    const examples = top!.examples;
    const histogram = await featureHistogram(model, sae, options.corpus, feature, { ...stream, bins: options.bins ?? 20 });
    Object.assign(data, {
      exampleTokens: examples.map((e) => shownTokens(model, e.tokenIds, e.tokens)),
      exampleIndex: examples.map((e) => e.index),
      exampleActs: examples.map((e) => e.activation),
      exampleRows: examples.map((e) => e.row),
      examplePositions: examples.map((e) => e.position),
      histEdges: histogram.edges,
      histCounts: histogram.counts,
      nonZero: histogram.nonZero,
      tokensSeen: histogram.tokens,
      density: histogram.density,
    });
    if (histogram.nonZero === 0) notes.push(`feature ${feature} never fires on the corpus (${histogram.tokens} tokens)`);
  }
  data.notes = notes;
  return data;
}

/** One feature's dashboard. */
export class FeatureDashboard extends ViewWidget<FeatureDashboardFields> {
  /** The last recomputation's error, or undefined. */
  lastError: string | undefined;
  /** Counts show() calls: only the latest one's result is shown. */
  private requests = 0;
  /** True while show() puts a new feature's data in place (the only way the feature changes). */
  private placing = false;

  /** A dashboard showing `data` (see featureDashboard; `show` recomputes it for another feature). */
  constructor(
    private readonly model: HookedTransformer,
    private readonly sae: Sae,
    private readonly options: FeatureDashboardOptions,
    data: DashboardData,
  ) {
    super(featureDashboardSpec, data);
  }

  /** The feature shown (−1 before any). */
  get feature(): number {
    return this.field("feature");
  }

  /**
   * Shows `feature`: says "computing …" in the view, recomputes the dashboard, and pushes it. On an error the
   * view says so (and keeps the feature it showed) and the promise rejects. A call overtaken by a later one
   * leaves the later one's result.
   */
  async show(feature: number): Promise<void> {
    const request = ++this.requests;
    try {
      checkFeature(this.sae, feature);
      this.setFields({ status: `computing feature ${feature} …` });
      const data = await dashboardData(this.model, this.sae, feature, this.options);
      if (request !== this.requests) return;
      this.lastError = undefined;
      this.placing = true;
      try {
        this.setFields({ ...data, status: "" });
      } finally {
        this.placing = false;
      }
    } catch (error) {
      if (request === this.requests) {
        this.lastError = (error as Error).message;
        this.setFields({ status: `error: ${this.lastError}` });
      }
      throw error;
    }
  }

  protected override validate(key: string, value: unknown): unknown {
    if (key === "feature" && !this.placing && value !== this.field("feature"))
      throw new Error("the feature shown changes with show(feature), which recomputes the dashboard");
    return value;
  }

  protected snapshot(): Uint8Array | undefined {
    if (this.field("feature") < 0) return undefined;
    return featureDashboardPng({
      feature: this.field("feature"),
      saeName: this.field("saeName"),
      notes: this.field("notes"),
      examples: this.field("exampleTokens").map((tokens, i) => ({
        tokens,
        index: this.field("exampleIndex")[i],
        act: this.field("exampleActs")[i],
      })),
      top: this.field("topTokens").map((token, i) => ({ token, value: this.field("topValues")[i] })),
      bottom: this.field("bottomTokens").map((token, i) => ({ token, value: this.field("bottomValues")[i] })),
      edges: this.field("histEdges"),
      counts: this.field("histCounts"),
      nonZero: this.field("nonZero"),
      tokensSeen: this.field("tokensSeen"),
      density: this.field("density"),
    });
  }

  override toString(): string {
    const feature = this.field("feature");
    if (feature < 0) return `FeatureDashboard(no feature yet; ${this.field("status")})`;
    const parts = [`feature ${feature} of ${this.field("saeName")}`];
    const seen = this.field("tokensSeen");
    if (seen > 0)
      parts.push(`fires on ${this.field("nonZero")} of ${seen} tokens (density ${formatValue(this.field("density"))})`);
    const acts = this.field("exampleActs");
    if (acts.length > 0) {
      const tokens = this.field("exampleTokens")[0];
      parts.push(`top activation ${formatValue(acts[0])} at ${JSON.stringify(tokens[this.field("exampleIndex")[0]])}`);
    }
    const listed = (tokens: string[], values: number[]) =>
      tokens
        .slice(0, 3)
        .map((t, i) => `${JSON.stringify(t)} ${formatValue(values[i])}`)
        .join(", ");
    if (this.field("topTokens").length > 0) {
      parts.push(`promotes ${listed(this.field("topTokens"), this.field("topValues"))}`);
      parts.push(`suppresses ${listed(this.field("bottomTokens"), this.field("bottomValues"))}`);
    }
    const status = this.field("status");
    return `FeatureDashboard(${parts.join("; ")}${status ? `; ${status}` : ""})`;
  }
}

/**
 * The dashboard of `feature` of `sae` on `model`: top examples and histogram over `options.corpus` (streamed, with a
 * progress bar on long corpora), top and bottom logits. `await` it; `dashboard.show(other)` recomputes.
 */
export async function featureDashboard(
  model: HookedTransformer,
  sae: Sae,
  feature: number,
  options: FeatureDashboardOptions = {},
): Promise<FeatureDashboard> {
  const data = await dashboardData(model, sae, checkFeature(sae, feature), options);
  return new FeatureDashboard(model, sae, options, data);
}

/** An empty dashboard (no feature yet) that says `status`; saeFeatures fills it when a feature is clicked. */
export function emptyDashboard(
  model: HookedTransformer,
  sae: Sae,
  options: FeatureDashboardOptions,
  status: string,
): FeatureDashboard {
  return new FeatureDashboard(model, sae, options, { saeName: sae.describe(), status });
}
