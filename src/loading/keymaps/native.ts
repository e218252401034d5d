/**
 * tslens-native checkpoints store TransformerLens names and layouts directly;
 * this lists the parameters a config implies and reads each with its shape.
 */
import { tf } from "../../tensor";
import type { TransformerConfig } from "../config";
import type { KeyMap, Params } from "./types";

/** TransformerLens parameter names and shapes implied by `cfg` (biases included). */
export function parameterShapes(cfg: TransformerConfig): [string, number[]][] {
  const { dModel: d, nHeads: h, dHead: e, dMlp: m, dVocab: v } = cfg;
  const kv = cfg.nKeyValueHeads ?? h;
  const kvPrefix = cfg.nKeyValueHeads === null ? "" : "_";
  const norms = cfg.normalizationType === "LN" ? ["w", "b"] : cfg.normalizationType === "RMS" ? ["w"] : [];
  const shapes: [string, number[]][] = [["embed.W_E", [v, d]]];
  if (cfg.positionalEmbeddingType !== "rotary") shapes.push(["pos_embed.W_pos", [cfg.nCtx, d]]);
  for (let l = 0; l < cfg.nLayers; l++) {
    const b = `blocks.${l}.`;
    for (const n of norms) shapes.push([`${b}ln1.${n}`, [d]]);
    if (!cfg.attnOnly) for (const n of norms) shapes.push([`${b}ln2.${n}`, [d]]);
    shapes.push([`${b}attn.W_Q`, [h, d, e]], [`${b}attn.b_Q`, [h, e]]);
    shapes.push([`${b}attn.${kvPrefix}W_K`, [kv, d, e]], [`${b}attn.${kvPrefix}b_K`, [kv, e]]);
    shapes.push([`${b}attn.${kvPrefix}W_V`, [kv, d, e]], [`${b}attn.${kvPrefix}b_V`, [kv, e]]);
    shapes.push([`${b}attn.W_O`, [h, e, d]], [`${b}attn.b_O`, [d]]);
    if (!cfg.attnOnly) {
      shapes.push([`${b}mlp.W_in`, [d, m]], [`${b}mlp.b_in`, [m]], [`${b}mlp.W_out`, [m, d]], [`${b}mlp.b_out`, [d]]);
      if (cfg.gatedMlp) shapes.push([`${b}mlp.W_gate`, [d, m]]);
    }
  }
  for (const n of norms) shapes.push([`ln_final.${n}`, [d]]);
  shapes.push(["unembed.W_U", [d, cfg.dVocabOut]], ["unembed.b_U", [cfg.dVocabOut]]);
  return shapes;
}

/** Reads a tslens-native checkpoint; absent biases are filled with zeros, as TransformerLens does. */
export const nativeKeyMap: KeyMap = async (reader, cfg) => {
  const params: Params = new Map();
  for (const [name, shape] of parameterShapes(cfg)) {
    const isBias = /\.(_?b_[A-Za-z]+)$/.test(name);
    params.set(name, isBias && !reader.has(name) ? tf.zeros(shape) : await reader.get(name, shape));
  }
  return params;
};
