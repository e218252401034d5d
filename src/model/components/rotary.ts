/**
 * Rotary position embeddings: the first `rotaryDim` features of q and k rotate
 * by angle pos / base^(2i/rotaryDim); the rest pass through. "Halves" pairing
 * (GPT-NeoX, Llama) pairs i with i + rotaryDim/2; "adjacent" pairs 2i with 2i+1.
 */
import type { Tensor } from "@tensorflow/tfjs-core";
import type { RopeScaling } from "../../loading/config";
import type { LongRope } from "../../loading/configs/common";
import { tf } from "../../tensor";

/**
 * Inverse frequencies 1 / base^(2i/rotaryDim), i < rotaryDim/2, with optional scaling:
 * linear divides them by the factor; llama3 divides low frequencies by the factor, keeps high
 * ones, and blends in between (by wavelength relative to the original context); longrope divides
 * frequency i by longRopeFactors(…)[i] for a run over positions firstPos … lastPos.
 */
export function inverseFrequencies(
  rotaryDim: number,
  base: number,
  scaling: RopeScaling = null,
  firstPos = 0,
  lastPos = 0,
): number[] {
  const inv = Array.from({ length: rotaryDim / 2 }, (_, i) => 1 / base ** ((2 * i) / rotaryDim));
  if (scaling === null) return inv;
  if (scaling.type === "linear") return inv.map((f) => f / scaling.factor);
  if (scaling.type === "longrope") {
    const factors = longRopeFactors(scaling, firstPos, lastPos);
    return inv.map((f, i) => f / factors[i]);
  }
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

/**
 * LongRoPE's factors for a run over positions firstPos … lastPos, as transformers picks them: short_factor while the
 * run ends within original_max_position_embeddings, long_factor past it. A run that continues a KV cache of firstPos
 * short-factor positions past that point is refused: transformers recomputes the whole sequence there.
 */
export function longRopeFactors(scaling: LongRope, firstPos: number, lastPos: number): number[] {
  const original = scaling.originalMaxPositionEmbeddings;
  if (lastPos + 1 <= original) return scaling.shortFactor;
  if (firstPos > 0 && firstPos <= original) {
    throw new Error(
      `LongRoPE: this run reaches position ${lastPos} (${lastPos + 1} tokens), past original_max_position_embeddings ` +
        `${original}, continuing ${firstPos} cached positions rotated with short_factor; from here on every position ` +
        "rotates with long_factor (transformers recomputes the whole sequence), so run the full sequence in one forward",
    );
  }
  return scaling.longFactor;
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
    const invFreq = [inverseFrequencies(rotaryDim, base, scaling, offset, offset + pos - 1)];
    return tablesAt(positions, rotaryDim, invFreq, adjacent, scaling);
  }) as [Tensor, Tensor];
}

/**
 * cos and sin tables [batch, pos, 1, rotaryDim] for per-row position ids [batch, pos] (a padded batch: each row's
 * positions count from its first real token). LongRoPE picks its factors per row, from that row's positions, so each
 * row rotates as it would alone.
 */
export function rotaryTablesAt(
  positionIds: Tensor,
  rotaryDim: number,
  base: number,
  adjacent: boolean,
  scaling: RopeScaling = null,
): [Tensor, Tensor] {
  return tf.tidy(() => {
    const positions = positionIds.cast("float32"); // [batch, pos]
    let invFreq = [inverseFrequencies(rotaryDim, base, scaling)];
    if (scaling?.type === "longrope") {
      const first = positions.min(1).arraySync() as number[]; // [batch]
      const last = positions.max(1).arraySync() as number[]; // [batch]
      invFreq = first.map((f, row) => inverseFrequencies(rotaryDim, base, scaling, f, last[row]));
    }
    return tablesAt(positions, rotaryDim, invFreq, adjacent, scaling);
  }) as [Tensor, Tensor];
}

/**
 * cos and sin [rows, pos, 1, rotaryDim] of float positions [rows, pos], with one list of inverse frequencies for
 * every row or one per row; LongRoPE scales both by its attention factor.
 */
function tablesAt(positions: Tensor, rotaryDim: number, invFreqs: number[][], adjacent: boolean, scaling: RopeScaling): Tensor[] {
  const [rows, pos] = positions.shape as [number, number];
  const invFreq = tf.tensor2d(invFreqs, [invFreqs.length, rotaryDim / 2]).reshape([invFreqs.length, 1, rotaryDim / 2]);
  const angles = positions.expandDims(2).mul(invFreq); // [rows, pos, half]
  const full = adjacent
    ? angles.expandDims(3).tile([1, 1, 1, 2]).reshape([rows, pos, rotaryDim]) // (θ0, θ0, θ1, θ1, …)
    : tf.concat([angles, angles], 2); // (θ0 … θ_{h−1}, θ0 … θ_{h−1})
  const shaped = full.reshape([rows, pos, 1, rotaryDim]);
  if (scaling?.type === "longrope") return [shaped.cos().mul(scaling.attentionFactor), shaped.sin().mul(scaling.attentionFactor)];
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
