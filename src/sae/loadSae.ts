/**
 * lens.loadSae(folder): an SAE saved in SAELens's on-disk format — `cfg.json` and `sae_weights.safetensors`
 * (sae-lens's `save_model` / `save_inference_model`). Everything is checked before any tensor is made: the config
 * (see config.ts), then each parameter the architecture needs, by name and shape. On any error nothing is left
 * loaded and the file handle is closed.
 */
import { promises as fs } from "fs";
import * as path from "path";
import type { Tensor } from "@tensorflow/tfjs-core";
import { SafetensorsFile } from "../loading/safetensors";
import { BUNDLED_MODELS_DIR } from "../model/loadModel";
import { tf } from "../tensor";
import { parseSaeConfig, SaeConfig } from "./config";
import { LoadSaeOptions, looksLikeHubId, resolveHubSae } from "./hubSae";
import { upgradeLegacySaeConfig } from "./legacyConfig";
import { Sae } from "./sae";

export const SAE_CONFIG_FILE = "cfg.json";
export const SAE_WEIGHTS_FILE = "sae_weights.safetensors";

/** Folder of the SAEs bundled with tslens: <models>/saes/<name>/ (TSLENS_MODELS_DIR overrides <models>). */
export function bundledSaesDir(): string {
  return path.join(process.env.TSLENS_MODELS_DIR || BUNDLED_MODELS_DIR, "saes");
}

/** Names of the SAEs bundled with this installation (folders under bundledSaesDir() holding a cfg.json), sorted. */
export async function bundledSaes(): Promise<string[]> {
  const dir = bundledSaesDir();
  const entries = await fs.readdir(dir, { withFileTypes: true }).catch(() => []);
  const names = entries.filter((e) => e.isDirectory()).map((e) => e.name);
  const present = await Promise.all(
    names.map((n) =>
      fs.stat(path.join(dir, n, SAE_CONFIG_FILE)).then(
        () => true,
        () => false,
      ),
    ),
  );
  return names.filter((_, i) => present[i]).sort();
}

/** The folder of the bundled SAE `name`; an unknown name is an error listing the bundled SAEs. */
async function bundledSaeFolder(name: string): Promise<string> {
  const bundled = await bundledSaes();
  if (bundled.includes(name)) return path.join(bundledSaesDir(), name);
  throw new Error(
    `loadSae: "${name}" is not a folder, a hub id or a bundled SAE; bundled SAEs: ${bundled.length ? bundled.join(", ") : "(none in this installation)"}`,
  );
}

/** The parameters (name → shape) an SAE with `cfg` must have. */
export function expectedParameters(cfg: SaeConfig): Record<string, number[]> {
  const { dIn, dSae, dOut, architecture } = cfg;
  const shapes: Record<string, number[]> = { W_enc: [dIn, dSae], W_dec: [dSae, dOut], b_dec: [dOut] };
  if (architecture === "gated") Object.assign(shapes, { b_gate: [dSae], r_mag: [dSae], b_mag: [dSae] });
  else shapes.b_enc = [dSae];
  if (architecture.startsWith("jumprelu")) shapes.threshold = [dSae];
  if (architecture.includes("skip")) shapes.W_skip = [dOut, dIn];
  return shapes;
}

/**
 * Loads the SAE in `folder` (cfg.json + sae_weights.safetensors, as sae-lens 6 writes them): standard, jumprelu,
 * topk, gated (BatchTopK as saved for inference, a jumprelu SAE), and transcoders (transcoder, jumprelu_transcoder,
 * and their skip variants). `folderOrHubId` is a local folder (with options.folder: a folder inside it), else a
 * hub id `owner/repo/folder/path` or `owner/repo` (with options.folder, or an SAE at the repository's root),
 * downloaded into the Hugging Face cache (see hubSae.ts). A local folder of that name wins over the hub. A bare
 * name that is not a local folder is a bundled SAE under models/saes/ (e.g. "attn-only-2l-resid1-topk").
 */
export async function loadSae(folderOrHubId: string, options: LoadSaeOptions = {}): Promise<Sae> {
  if (typeof folderOrHubId !== "string" || folderOrHubId === "")
    throw new Error(`loadSae needs the path of a folder holding ${SAE_CONFIG_FILE} and ${SAE_WEIGHTS_FILE}, or a hub id`);
  const localStat = await fs.stat(folderOrHubId).catch(() => undefined);
  if (localStat === undefined && looksLikeHubId(folderOrHubId)) {
    return loadSaeFolder(await resolveHubSae(folderOrHubId, options), folderOrHubId);
  }
  if (
    localStat === undefined &&
    options.folder === undefined &&
    /^[\w.-]+$/.test(folderOrHubId) &&
    !folderOrHubId.startsWith(".")
  )
    return loadSaeFolder(await bundledSaeFolder(folderOrHubId), folderOrHubId);
  if (localStat?.isDirectory() && options.revision !== undefined)
    throw new Error(`loadSae: ${folderOrHubId} is a local folder; options.revision applies to hub ids only`);
  const folder = options.folder === undefined ? folderOrHubId : path.join(folderOrHubId, options.folder);
  const stat = options.folder === undefined ? localStat : await fs.stat(folder).catch(() => undefined);
  if (!stat?.isDirectory())
    throw new Error(
      `loadSae: ${folder} is not a folder (it should hold ${SAE_CONFIG_FILE} and ${SAE_WEIGHTS_FILE}), ` +
        `and not a hub id ("owner/repo" or "owner/repo/folder")`,
    );
  return loadSaeFolder(folder, folder);
}

/** Loads the SAE files in `folder`; `source` is what the SAE says it was loaded from (the folder or the hub id). */
async function loadSaeFolder(folder: string, source: string): Promise<Sae> {
  const cfgPath = path.join(folder, SAE_CONFIG_FILE);
  const text = await fs.readFile(cfgPath, "utf8").catch((err: Error) => {
    throw new Error(`${cfgPath}: cannot read the SAE's config (${err.message})`);
  });
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    throw new Error(`${cfgPath}: not valid JSON (${(err as Error).message})`);
  }
  const cfg = parseSaeConfig(upgradeLegacySaeConfig(json), cfgPath);
  const weightsPath = path.join(folder, SAE_WEIGHTS_FILE);
  const file = await SafetensorsFile.open(weightsPath);
  const weights: Record<string, Tensor> = {};
  try {
    const expected = expectedParameters(cfg);
    for (const [name, shape] of Object.entries(expected)) {
      const entry = file.tensors.get(name);
      if (!entry)
        throw new Error(
          `${weightsPath}: missing tensor "${name}" (a ${cfg.architecture} SAE needs ${Object.keys(expected).join(", ")})`,
        );
      if (entry.shape.join() !== shape.join())
        throw new Error(
          `${weightsPath}: tensor "${name}" has shape [${entry.shape}] but ${cfgPath} (d_in ${cfg.dIn}, d_sae ${cfg.dSae}` +
            `${cfg.dOut !== cfg.dIn ? `, d_out ${cfg.dOut}` : ""}) needs [${shape}]`,
        );
    }
    for (const [name, shape] of Object.entries(expected)) {
      const { values } = await file.readFloat32(name);
      weights[name] = tf.tensor(values, shape, "float32"); // shape as checked above
    }
  } catch (err) {
    tf.dispose(Object.values(weights));
    throw err;
  } finally {
    await file.close();
  }
  return new Sae(cfg, weights, source);
}
