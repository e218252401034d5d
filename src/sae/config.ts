/**
 * SAELens's `cfg.json` (sae-lens 6.x, `SAEConfig.to_dict()`): read, checked field by field and camelCased.
 *
 * Fields: `architecture`, `d_in`, `d_sae`, `dtype`, `apply_b_dec_to_input`, `normalize_activations`,
 * `reshape_activations`, `metadata` {`hook_name`, `hook_name_out` (transcoders), `hook_head_index`, `model_name`, …};
 * TopK adds `k` and `rescale_acts_by_decoder_norm`; transcoders add `d_out`. Older releases put `hook_name` (and
 * the other metadata) at the top level; both are read.
 */

/** The architectures tslens runs (the names sae-lens registers for inference). */
export const SAE_ARCHITECTURES = [
  "standard",
  "jumprelu",
  "topk",
  "gated",
  "transcoder",
  "jumprelu_transcoder",
  "skip_transcoder",
  "jumprelu_skip_transcoder",
] as const;
export type SaeArchitecture = (typeof SAE_ARCHITECTURES)[number];

/**
 * How SAELens normalises the input at inference: "none"; "expected_average_only_in" (a no-op once loaded from disk:
 * sae-lens folds the scaling factor into the weights only for hub releases that publish one);
 * "constant_norm_rescale" (x · √d_in / ‖x‖ in, the inverse out); "layer_norm" ((x − mean) / (std + 1e-5) in, with
 * the unbiased std, the inverse out); "covariance_whitening" (folded into the weights at the end of training, so a
 * no-op here, as in sae-lens).
 */
export const SAE_NORMALIZATIONS = [
  "none",
  "expected_average_only_in",
  "constant_norm_rescale",
  "layer_norm",
  "covariance_whitening",
] as const;
export type SaeNormalization = (typeof SAE_NORMALIZATIONS)[number];

/** An SAE's configuration, as SAELens's cfg.json says it, camelCased. */
export interface SaeConfig {
  architecture: SaeArchitecture;
  /** Width of the activation the SAE reads (for hook_z SAEs: heads × d_head). */
  dIn: number;
  /** Number of features. */
  dSae: number;
  /** Width of what it writes: dIn for SAEs, `d_out` for transcoders. */
  dOut: number;
  /** The hook point it reads. */
  hookName: string;
  /** The hook point it writes (transcoders: `metadata.hook_name_out`; SAEs: hookName). */
  hookNameOut: string;
  hookHeadIndex: number | null;
  applyBDecToInput: boolean;
  normalizeActivations: SaeNormalization;
  reshapeActivations: "none" | "hook_z";
  /** TopK: features kept per position. */
  k?: number;
  /** TopK: pre-activations are scaled by ‖W_dec row‖ before the top-k, and features divided by it before decoding. */
  rescaleActsByDecoderNorm?: boolean;
  dtype: string;
  modelName?: string;
  /** Every other field of cfg.json and of its metadata, camelCased (e.g. `contextSize`, `prependBos`). */
  [field: string]: unknown;
}

/** "hook_name_out" → "hookNameOut". */
export function camelCase(key: string): string {
  return key.replace(/_([a-z0-9])/g, (_, c: string) => c.toUpperCase());
}

function isTranscoder(architecture: SaeArchitecture): boolean {
  return architecture.endsWith("transcoder");
}

/**
 * Checks the parsed cfg.json of `file` and returns the SaeConfig; throws one error naming the file and the field
 * (a missing or mistyped field, an unknown architecture or normalisation, a field the architecture needs).
 */
export function parseSaeConfig(raw: unknown, file: string): SaeConfig {
  const fail = (why: string): never => {
    throw new Error(`${file}: ${why}`);
  };
  if (raw === null || typeof raw !== "object" || Array.isArray(raw)) fail("is not a JSON object");
  const json = raw as Record<string, unknown>;
  const meta = (json.metadata ?? {}) as Record<string, unknown>;
  if (typeof meta !== "object" || Array.isArray(meta)) fail(`"metadata" must be an object`);
  const field = (key: string): unknown => (key in json ? json[key] : meta[key]);

  const architecture = json.architecture ?? "standard"; // sae-lens < 6 wrote no architecture: standard ReLU
  if (architecture === "batchtopk")
    fail(
      `architecture "batchtopk" is a training checkpoint; sae-lens saves its inference form (a jumprelu SAE with the ` +
        `learned threshold) with save_inference_model — load that folder`,
    );
  if (!SAE_ARCHITECTURES.includes(architecture as SaeArchitecture))
    fail(`unknown architecture ${JSON.stringify(architecture)}; tslens reads ${SAE_ARCHITECTURES.join(", ")}`);
  const arch = architecture as SaeArchitecture;

  const positiveInt = (key: string, required = true): number | undefined => {
    const value = field(key);
    if (value === undefined && !required) return undefined;
    if (!Number.isSafeInteger(value) || (value as number) <= 0)
      fail(`"${key}" must be a positive integer${value === undefined ? " (it is missing)" : `, got ${JSON.stringify(value)}`}`);
    return value as number;
  };
  const boolean = (key: string, fallback: boolean): boolean => {
    const value = field(key) ?? fallback;
    if (typeof value !== "boolean") fail(`"${key}" must be true or false, got ${JSON.stringify(value)}`);
    return value as boolean;
  };
  const oneOf = <T extends string>(key: string, allowed: readonly T[], fallback: T): T => {
    const value = field(key) ?? fallback;
    if (!allowed.includes(value as T)) fail(`"${key}" must be one of ${allowed.join(", ")}, got ${JSON.stringify(value)}`);
    return value as T;
  };

  const dIn = positiveInt("d_in")!;
  const dSae = positiveInt("d_sae")!;
  const hookName = field("hook_name");
  if (typeof hookName !== "string" || hookName === "")
    fail(
      `"metadata.hook_name" (the hook point the SAE reads) must be a string${hookName === undefined ? " (it is missing)" : ""}`,
    );
  const transcoder = isTranscoder(arch);
  const hookNameOut = transcoder ? field("hook_name_out") : hookName;
  if (typeof hookNameOut !== "string" || hookNameOut === "")
    fail(`a ${arch} needs "metadata.hook_name_out" (the hook point it writes)`);
  const dOut = transcoder ? positiveInt("d_out")! : dIn;
  const applyBDecToInput = boolean("apply_b_dec_to_input", !transcoder);
  if (transcoder && applyBDecToInput) fail(`"apply_b_dec_to_input" must be false for a ${arch} (as sae-lens requires)`);
  const headIndex = field("hook_head_index") ?? null;
  if (headIndex !== null) fail(`"hook_head_index" ${JSON.stringify(headIndex)}: SAEs on a single head are not supported yet`);
  const dtype = field("dtype") ?? "float32";
  if (typeof dtype !== "string") fail(`"dtype" must be a string, got ${JSON.stringify(dtype)}`);

  const cfg: SaeConfig = {
    architecture: arch,
    dIn,
    dSae,
    dOut,
    hookName: hookName as string,
    hookNameOut: hookNameOut as string,
    hookHeadIndex: null,
    applyBDecToInput,
    normalizeActivations: oneOf("normalize_activations", SAE_NORMALIZATIONS, "none"),
    reshapeActivations: oneOf("reshape_activations", ["none", "hook_z"] as const, "none"),
    dtype: dtype as string,
  };
  if (cfg.reshapeActivations === "hook_z" && !cfg.hookName.endsWith("hook_z"))
    fail(`"reshape_activations" is "hook_z" but the hook "${cfg.hookName}" is not a hook_z`);
  if (transcoder && cfg.reshapeActivations !== "none") fail(`"reshape_activations" must be "none" for a ${arch}`);
  if (arch === "topk") {
    cfg.k = positiveInt("k")!;
    if (cfg.k > dSae) fail(`"k" (${cfg.k}) is larger than "d_sae" (${dSae})`);
    cfg.rescaleActsByDecoderNorm = boolean("rescale_acts_by_decoder_norm", false);
  }
  if (typeof field("model_name") === "string") cfg.modelName = field("model_name") as string;
  for (const [key, value] of [...Object.entries(meta), ...Object.entries(json)]) {
    const name = camelCase(key);
    if (key !== "metadata" && !(name in cfg)) cfg[name] = value;
  }
  return cfg;
}
