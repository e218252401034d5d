/**
 * Models embedded in a page: each a script (written by live/build.js) that calls addModel with the model's JSON
 * files and its weights as base64, so a page that holds them needs no server. loadModel("attn-only-2l") loads one.
 */
import type { HookedTransformer } from "../../src/model/hookedTransformer";
import { loadModelFromFiles, type LiveLoadOptions, type ModelFiles } from "./loadModel";

/** A model as a page embeds it: ModelFiles with the weights as base64 text. */
export interface EmbeddedModel extends Omit<ModelFiles, "weights"> {
  /** model.safetensors, base64-encoded. */
  weightsBase64: string;
}

const embedded = new Map<string, EmbeddedModel>();

/** Makes an embedded model loadable by name (a second call with the same name replaces it). */
export function addModel(model: EmbeddedModel): void {
  if (typeof model?.name !== "string" || typeof model.weightsBase64 !== "string")
    throw new Error("addModel takes { name, config, weightsBase64, tokenizer?, tokenizerConfig? }");
  embedded.set(model.name, model);
}

/** The names of the models this page embeds. */
export function embeddedModels(): string[] {
  return [...embedded.keys()];
}

/** Decodes base64 text into bytes. */
export function fromBase64(text: string): Uint8Array {
  const binary = atob(text);
  const bytes = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
  return bytes;
}

/**
 * Loads a model: an embedded one by name (see addModel), or one whose files the caller holds (ModelFiles). Errors
 * name the model and, for an unknown name, the models the page has.
 */
export async function loadModel(model: string | ModelFiles, options: LiveLoadOptions = {}): Promise<HookedTransformer> {
  if (typeof model !== "string") return loadModelFromFiles(model, options);
  const found = embedded.get(model);
  if (!found) {
    const known = embeddedModels();
    throw new Error(
      `no model "${model}" in this page (${known.length ? `it has ${known.map((n) => JSON.stringify(n)).join(", ")}` : "it embeds none"})`,
    );
  }
  const { weightsBase64, ...files } = found;
  return loadModelFromFiles({ ...files, weights: fromBase64(weightsBase64) }, options);
}
