/**
 * A small standard SAE built in memory for a model (no files), for the SAE views' tests: feature 0 reads the
 * direction of one token's embedding at `blocks.0.hook_resid_pre` (so it fires hardest where that token is), the
 * other features are random directions with a negative bias, so each token has a few firing features.
 */
import type { HookedTransformer } from "../../src/model/hookedTransformer";
import { parseSaeConfig } from "../../src/sae/config";
import { Sae } from "../../src/sae/sae";
import { tf } from "../../src/tensor";

/** Options of inlineSae. */
export interface InlineSaeOptions {
  /** The token whose embedding feature 0 reads. */
  tokenId: number;
  /** Features (default 48). */
  dSae?: number;
  /** Hook point (default blocks.0.hook_resid_pre). */
  hookName?: string;
  /** Width it reads (default d_model; another width makes an SAE that does not fit the hook). */
  dIn?: number;
}

/** The SAE; caller disposes it. Deterministic (seeded). */
export function inlineSae(model: HookedTransformer, options: InlineSaeOptions): Sae {
  const dSae = options.dSae ?? 48;
  const dIn = options.dIn ?? model.cfg.dModel;
  const hookName = options.hookName ?? "blocks.0.hook_resid_pre";
  const cfg = parseSaeConfig(
    { architecture: "standard", d_in: dIn, d_sae: dSae, apply_b_dec_to_input: false, metadata: { hook_name: hookName } },
    "inline cfg",
  );
  const weights = tf.tidy(() => {
    const random = tf.randomNormal([dIn, dSae], 0, 1, "float32", 7); // [d_in, d_sae]
    const unit = random.div(random.norm("euclidean", 0, true)); // [d_in, d_sae], unit columns
    const token =
      dIn === model.cfg.dModel ? model.W_E.slice([options.tokenId, 0], [1, dIn]).reshape([dIn, 1]) : unit.slice([0, 0], [dIn, 1]); // [d_in, 1]
    const tokenUnit = token.div(token.norm()); // [d_in, 1]
    const W_enc = tf.concat([tokenUnit, unit.slice([0, 1], [dIn, dSae - 1])], 1); // [d_in, d_sae]
    const W_dec = W_enc.transpose(); // [d_sae, d_in]
    const b_enc = tf.fill([dSae], -0.02); // [d_sae]
    const b_dec = tf.zeros([dIn]); // [d_in]
    return { W_enc, W_dec, b_enc, b_dec };
  });
  return new Sae(cfg, weights, "inline");
}

/**
 * Kernel code (for a cell, with `lens` and `model` defined) that declares `const <name>`: a standard SAE of `dSae`
 * features at blocks.0.hook_resid_pre whose feature 0 reads the embedding of " c", as inlineSae builds it in-process.
 */
export function inlineSaeCode(name: string, dSae = 32): string {
  return `const ${name} = (() => {
  const tf = lens.tf;
  const c = (model.toTokens(" c", { prependBos: false }).arraySync() as number[][])[0][0];
  const d = model.cfg.dModel;
  const cfg = lens.parseSaeConfig({ architecture: "standard", d_in: d, d_sae: ${dSae}, apply_b_dec_to_input: false,
    metadata: { hook_name: "blocks.0.hook_resid_pre" } }, "inline cfg");
  const weights = tf.tidy(() => {
    const random = tf.randomNormal([d, ${dSae}], 0, 1, "float32", 3);
    const unit = random.div(random.norm("euclidean", 0, true));
    const token = model.W_E.slice([c, 0], [1, d]).reshape([d, 1]);
    const W_enc = tf.concat([token.div(token.norm()), unit.slice([0, 1], [d, ${dSae - 1}])], 1);
    return { W_enc, W_dec: W_enc.transpose(), b_enc: tf.fill([${dSae}], -0.02), b_dec: tf.zeros([d]) };
  });
  return new lens.Sae(cfg, weights, "inline");
})();`;
}
