/**
 * cfg.json as sae-lens wrote it before 6.0 — still what many hub releases hold (jbloom/GPT2-Small-SAEs-Reformatted
 * says `"hook_point": "blocks.8.hook_resid_pre"`) — read the way sae-lens 6 reads it (its pre-6.0 config defaulting):
 * `hook_point` → `hook_name`, `hook_point_head_index` → `hook_head_index`, `activation_fn_str` → `activation_fn`;
 * a `topk` activation with `activation_fn_kwargs.k` is the topk architecture; boolean `normalize_activations`
 * becomes "none" / "expected_average_only_in"; `reshape_activations` is "hook_z" for a hook_z hook; the architecture
 * defaults to standard and `apply_b_dec_to_input` to true. Configs of sae-lens ≥ 6 pass through untouched.
 */

const RENAMED: Record<string, string> = {
  hook_point: "hook_name",
  hook_point_head_index: "hook_head_index",
  activation_fn_str: "activation_fn",
};

function isObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === "object" && !Array.isArray(value);
}

/** True when the config says it was written by sae-lens 6 or later (top level or metadata). */
function writtenBySaeLens6(json: Record<string, unknown>): boolean {
  const metadata = isObject(json.metadata) ? json.metadata : {};
  const version = json.sae_lens_version ?? metadata.sae_lens_version;
  if (typeof version !== "string" || version === "") return false;
  const major = Number(/^v?(\d+)/.exec(version)?.[1]);
  return Number.isFinite(major) && major >= 6;
}

/**
 * The parsed cfg.json `raw` in sae-lens 6's field names (a new object; `raw` is not changed), or `raw` itself when
 * sae-lens ≥ 6 wrote it or it is not a JSON object (parseSaeConfig reports that).
 */
export function upgradeLegacySaeConfig(raw: unknown): unknown {
  if (!isObject(raw) || writtenBySaeLens6(raw)) return raw;
  const cfg: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(raw)) {
    const name = RENAMED[key] ?? key;
    if (name !== key && key in raw && name in raw) continue; // the new name is there too: it wins
    cfg[name] = value;
  }
  const kwargs = isObject(cfg.activation_fn_kwargs) ? cfg.activation_fn_kwargs : {};
  if (cfg.activation_fn === "topk" && kwargs.k !== undefined && kwargs.k !== null) {
    cfg.architecture = "topk";
    cfg.k = kwargs.k;
  }
  const byDefault = (key: string, value: unknown) => {
    if (!(key in cfg)) cfg[key] = value;
  };
  byDefault("architecture", "standard");
  byDefault("apply_b_dec_to_input", true);
  if (typeof cfg.normalize_activations === "boolean")
    cfg.normalize_activations = cfg.normalize_activations ? "expected_average_only_in" : "none";
  cfg.normalize_activations ??= "none";
  const hookName = cfg.hook_name ?? (isObject(cfg.metadata) ? cfg.metadata.hook_name : undefined);
  byDefault("reshape_activations", typeof hookName === "string" && hookName.includes("hook_z") ? "hook_z" : "none");
  return cfg;
}
