/**
 * Altered copies of the fixture models in temporary folders, for the tests of what loading refuses: a changed
 * config.json, or the weights without some tensors. The caller removes the folder.
 */
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { SafetensorsFile } from "../../src/loading/safetensors";
import { writeSafetensors } from "../../src/loading/save";
import { FIXTURES } from "./hfReference";

/** The parsed config.json of fixture `model`. */
export const readConfig = (model: string) => JSON.parse(fs.readFileSync(path.join(FIXTURES, model, "config.json"), "utf8"));

/** A copy of fixture `model` in a temporary folder with the config.json `config`. */
export function copyWithConfig(model: string, config: Record<string, unknown>): string {
  const folder = fs.mkdtempSync(path.join(os.tmpdir(), `tslens-${model}-`));
  fs.copyFileSync(path.join(FIXTURES, model, "model.safetensors"), path.join(folder, "model.safetensors"));
  fs.writeFileSync(path.join(folder, "config.json"), JSON.stringify(config));
  return folder;
}

/** A copy of fixture `model` in a temporary folder with its config.json changed by `edit`. */
export function editedCopy(model: string, edit: (config: Record<string, unknown>) => void): string {
  const config = readConfig(model);
  edit(config);
  return copyWithConfig(model, config);
}

/** A copy of fixture `model` in a temporary folder without the tensors `drop` picks by name. */
export async function copyWithoutTensors(model: string, drop: (name: string) => boolean): Promise<string> {
  const folder = fs.mkdtempSync(path.join(os.tmpdir(), `tslens-${model}-`));
  fs.copyFileSync(path.join(FIXTURES, model, "config.json"), path.join(folder, "config.json"));
  const weights = await SafetensorsFile.open(path.join(FIXTURES, model, "model.safetensors"));
  const kept: [string, { shape: number[]; values: Float32Array }][] = [];
  try {
    for (const name of weights.names()) {
      if (!drop(name)) kept.push([name, await weights.readFloat32(name)]);
    }
  } finally {
    await weights.close();
  }
  await writeSafetensors(path.join(folder, "model.safetensors"), kept);
  return folder;
}
