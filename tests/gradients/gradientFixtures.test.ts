/**
 * Gradients and attribution patching against torch autograd through Hugging Face on gpt2-tiny, llama-tiny
 * and qwen2-tiny (processWeights: false), from scripts/fixtures/make_gradient_fixtures.py.
 */
import { strict as assert } from "assert";
import * as fs from "fs";
import * as path from "path";
import type { Tensor } from "@tensorflow/tfjs-core";
import * as lens from "../../src";
import { HookedTransformer, HookName, loadModel, tf } from "../../src";
import { SafetensorsFile } from "../../src/loading/safetensors";
import { REPO_ROOT } from "../support/paths";

const ANALYSIS = path.join(REPO_ROOT, "tests", "fixtures", "analysis");
const MODELS = path.join(REPO_ROOT, "tests", "fixtures", "models");
const manifest = JSON.parse(fs.readFileSync(path.join(ANALYSIS, "gradients-manifest.json"), "utf8")) as {
  clean: number[];
  corrupted: number[];
  tensors: Record<string, number[]>;
};

/** The fixture's metric: logit of token 7 minus logit of token 3 at the last position []. */
const logitDiff = (logits: Tensor): Tensor =>
  tf.tidy(() => {
    const last = logits.shape[1]! - 1;
    return logits
      .slice([0, last, 7], [1, 1, 1])
      .sub(logits.slice([0, last, 3], [1, 1, 1]))
      .reshape([]);
  });

/** max |ours − ref| / max |ref|. */
function relError(ours: Tensor, ref: Tensor): number {
  assert.deepEqual(ours.shape, ref.shape);
  return tf.tidy(() => ours.sub(ref).abs().max().dataSync()[0] / ref.abs().max().dataSync()[0]);
}

/** The attribution function of each fixture kind. */
const ATTR: Record<string, lens.AttrPatchFn> = {
  resid_pre: lens.attrPatchResidPre,
  resid_mid: lens.attrPatchResidMid,
  attn_out: lens.attrPatchAttnOut,
  mlp_out: lens.attrPatchMlpOut,
  attn_head_out_by_pos: lens.attrPatchAttnHeadOutByPos,
  attn_head_q_by_pos: lens.attrPatchAttnHeadQByPos,
  attn_head_k_by_pos: lens.attrPatchAttnHeadKByPos,
  attn_head_v_by_pos: lens.attrPatchAttnHeadVByPos,
  attn_head_pattern_by_pos: lens.attrPatchAttnHeadPatternByPos,
  attn_head_pattern_dest_src_pos: lens.attrPatchAttnHeadPatternDestSrcPos,
  attn_head_out_all_pos: lens.attrPatchAttnHeadOutAllPos,
  attn_head_v_all_pos: lens.attrPatchAttnHeadVAllPos,
  attn_head_pattern_all_pos: lens.attrPatchAttnHeadPatternAllPos,
  mlp_neurons: lens.attrPatchMlpNeurons,
};

for (const name of ["gpt2-tiny", "llama-tiny", "qwen2-tiny"]) {
  describe(`gradients vs torch autograd: ${name}`, function () {
    this.timeout(120_000);
    let model: HookedTransformer;
    const refs = new Map<string, Tensor>();
    before(async () => {
      model = await loadModel(path.join(MODELS, name), { processWeights: false });
      const file = await SafetensorsFile.open(path.join(ANALYSIS, "gradients.safetensors"));
      try {
        for (const key of file.names()) {
          if (!key.startsWith(`${name}.`)) continue;
          const { values } = await file.readFloat32(key);
          refs.set(key.slice(name.length + 1), tf.tensor(values, manifest.tensors[key]));
        }
      } finally {
        await file.close();
      }
    });
    after(() => {
      model?.dispose();
      tf.dispose([...refs.values()]);
    });

    it("∂metric/∂activation at every probed hook point within 1e-4 of the largest gradient", () => {
      const names = [...refs.keys()].filter((k) => k.startsWith("grad.")).map((k) => k.slice(5) as HookName);
      assert.equal(names.length, 2 * 10); // resid_pre, resid_mid, attn_out, mlp_out, q, k, v, z, pattern, mlp post
      const { value, cache, grads } = model.runWithCacheAndGrads([manifest.corrupted], logitDiff, { namesFilter: names });
      try {
        const ref = refs.get("value.corrupted")!.dataSync()[0];
        assert.ok(Math.abs(value - ref) < 1e-4 * Math.max(1, Math.abs(ref)), `metric ${value} vs ${ref}`);
        const largest = Math.max(...names.map((n) => tf.tidy(() => refs.get(`grad.${n}`)!.abs().max().dataSync()[0])));
        for (const n of names) {
          const err = tf.tidy(
            () =>
              grads
                .get(n)
                .sub(refs.get(`grad.${n}`)!)
                .abs()
                .max()
                .dataSync()[0],
          );
          if (process.env.GRAD_REPORT) console.log(n, err / largest);
          assert.ok(err <= 1e-4 * largest, `${n}: max error ${err} vs largest gradient ${largest}`);
          assert.ok(relError(grads.get(n), refs.get(`grad.${n}`)!) < 1e-3, `${n} relative to itself`);
        }
      } finally {
        cache.dispose();
        grads.dispose();
      }
    });

    for (const kind of Object.keys(ATTR)) {
      it(`attribution patching ${kind} within 1e-4`, async () => {
        const { logits, cache: clean } = model.runWithCache([manifest.clean]);
        logits.dispose();
        const grid = await ATTR[kind](model, [manifest.corrupted], clean, logitDiff);
        try {
          if (process.env.GRAD_REPORT) console.log(`attr ${kind}`, relError(grid, refs.get(`attr.${kind}`)!));
          assert.ok(relError(grid, refs.get(`attr.${kind}`)!) < 1e-4, `${kind}: ${relError(grid, refs.get(`attr.${kind}`)!)}`);
        } finally {
          grid.dispose();
          clean.dispose();
        }
      });
    }
  });
}
