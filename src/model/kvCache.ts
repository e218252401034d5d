/**
 * KV cache for generation: each block's keys and values (post-rotary,
 * [batch, pos, kvHeads, d_head]) for the positions seen so far, so a new token
 * only computes its own keys and values.
 */
import type { Tensor } from "@tensorflow/tfjs-core";
import { tf } from "../tensor";
import type { PastKv } from "./components/attention";

/** What the forward pass reads of earlier positions: how many there are, and each block's keys and values. */
export interface PastPositions {
  readonly length: number;
  forLayer(l: number): PastKv;
}

/** Cached keys and values of every block. */
export class KvCache implements PastPositions {
  private layers: ([Tensor, Tensor] | undefined)[];
  private pending: ([Tensor, Tensor] | undefined)[];
  /** Number of cached positions. */
  length = 0;

  constructor(nLayers: number) {
    this.layers = new Array(nLayers).fill(undefined);
    this.pending = new Array(nLayers).fill(undefined);
  }

  /** The view attention uses for block `l` during one forward. */
  forLayer(l: number): PastKv {
    return { past: this.layers[l], store: (k, v) => (this.pending[l] = [tf.keep(k), tf.keep(v)]) };
  }

  /** Makes the keys/values stored during the last forward current; `added` positions were appended. */
  commit(added: number): void {
    this.layers.forEach((old, l) => {
      if (this.pending[l] && old) tf.dispose(old);
      if (this.pending[l]) this.layers[l] = this.pending[l];
    });
    this.pending.fill(undefined);
    this.length += added;
  }

  /** Drops what the last (failed) forward stored. */
  rollback(): void {
    this.pending.forEach((p) => p && tf.dispose(p));
    this.pending.fill(undefined);
  }

  /** Frees every cached tensor. */
  dispose(): void {
    this.rollback();
    this.layers.forEach((p) => p && tf.dispose(p));
    this.layers.fill(undefined);
    this.length = 0;
  }
}
