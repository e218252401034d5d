/**
 * Rotary position embeddings: the first `rotaryDim` features of q and k rotate
 * by angle pos / base^(2i/rotaryDim); the rest pass through. "Halves" pairing
 * (GPT-NeoX, Llama) pairs i with i + rotaryDim/2; "adjacent" pairs 2i with 2i+1.
 */
import type { Tensor } from "@tensorflow/tfjs-core";
import type { RopeScaling } from "../../loading/config";
import { tf } from "../../tensor";

/**
 * Inverse frequencies 1 / base^(2i/rotaryDim), i < rotaryDim/2, with optional scaling:
 * linear divides them by the factor; llama3 divides low frequencies by the factor, keeps high
 * ones, and blends in between (by wavelength relative to the original context).
 */
export function inverseFrequencies(rotaryDim: number, base: number, scaling: RopeScaling = null): number[] {
  const inv = Array.from({ length: rotaryDim / 2 }, (_, i) => 1 / base ** ((2 * i) / rotaryDim));
  if (scaling === null) return inv;
  if (scaling.type === "linear") return inv.map((f) => f / scaling.factor);
  const { factor, lowFreqFactor, highFreqFactor, originalMaxPositionEmbeddings: original } = scaling;
  const lowFreqWavelen = original / lowFreqFactor;
  const highFreqWavelen = original / highFreqFactor;
  return inv.map((f) => {
    const wavelen = (2 * Math.PI) / f;
    if (wavelen < highFreqWavelen) return f;
    if (wavelen > lowFreqWavelen) return f / factor;
    const smooth = (original / wavelen - lowFreqFactor) / (highFreqFactor - lowFreqFactor);
    return (1 - smooth) * (f / factor) + smooth * f;
  });
}

/** cos and sin tables [1, pos, 1, rotaryDim] for positions offset … offset+pos-1. */
export function rotaryTables(
  pos: number,
  rotaryDim: number,
  base: number,
  adjacent: boolean,
  offset = 0,
  scaling: RopeScaling = null,
): [Tensor, Tensor] {
  return tf.tidy(() => {
    const positions = tf.range(offset, offset + pos, 1, "float32").reshape([1, pos]); // [1, pos]
    return tablesAt(positions, rotaryDim, base, adjacent, scaling);
  }) as [Tensor, Tensor];
}

/**
 * cos and sin tables [batch, pos, 1, rotaryDim] for per-row position ids [batch, pos] (a padded batch: each row's
 * positions count from its first real token).
 */
export function rotaryTablesAt(
  positionIds: Tensor,
  rotaryDim: number,
  base: number,
  adjacent: boolean,
  scaling: RopeScaling = null,
): [Tensor, Tensor] {
  return tf.tidy(() => tablesAt(positionIds.cast("float32"), rotaryDim, base, adjacent, scaling)) as [Tensor, Tensor];
}

/** cos and sin [rows, pos, 1, rotaryDim] of float positions [rows, pos]. */
function tablesAt(positions: Tensor, rotaryDim: number, base: number, adjacent: boolean, scaling: RopeScaling): Tensor[] {
  const [rows, pos] = positions.shape as [number, number];
  const invFreq = tf.tensor1d(inverseFrequencies(rotaryDim, base, scaling)).reshape([1, 1, rotaryDim / 2]);
  const angles = positions.expandDims(2).mul(invFreq); // [rows, pos, half]
  const full = adjacent
    ? angles.expandDims(3).tile([1, 1, 1, 2]).reshape([rows, pos, rotaryDim]) // (θ0, θ0, θ1, θ1, …)
    : tf.concat([angles, angles], 2); // (θ0 … θ_{h−1}, θ0 … θ_{h−1})
  const shaped = full.reshape([rows, pos, 1, rotaryDim]);
  return [shaped.cos(), shaped.sin()];
}

/** Rotates x [batch, pos, heads, d_head] with tables from rotaryTables. */
export function applyRotary(x: Tensor, cos: Tensor, sin: Tensor, rotaryDim: number, adjacent: boolean): Tensor {
  const dHead = x.shape[3]!;
  const rot = x.slice([0, 0, 0, 0], [-1, -1, -1, rotaryDim]);
  let rotated: Tensor;
  if (adjacent) {
    const [b, p, h] = x.shape;
    const pairs = rot.reshape([b, p, h, rotaryDim / 2, 2]);
    const [even, odd] = tf.split(pairs, 2, 4);
    rotated = tf.concat([odd.neg(), even], 4).reshape([b, p, h, rotaryDim]);
  } else {
    const [first, second] = tf.split(rot, 2, 3);
    rotated = tf.concat([second.neg(), first], 3);
  }
  const out = rot.mul(cos).add(rotated.mul(sin));
  return rotaryDim === dHead ? out : tf.concat([out, x.slice([0, 0, 0, rotaryDim], [-1, -1, -1, dHead - rotaryDim])], 3);
}
