/**
 * The embedded SAE (models/saes/attn-only-2l-resid1-topk, trained by `npm run train -- sae`): loaded offline by
 * name, its card's metrics recomputed on the held-out rows saved with it, and spliced in with the error term it
 * leaves attn-only-2l's logits as they were.
 */
import { strict as assert } from "assert";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import type { Tensor2D } from "@tensorflow/tfjs-core";
import { HookedTransformer, loadModel, loadSae, Sae, saeMetrics, SaeMetrics, tf } from "../../src";
import { REPO_ROOT } from "../support/paths";

const NAME = "attn-only-2l-resid1-topk";
const FOLDER = path.join(REPO_ROOT, "models", "saes", NAME);
/** Floors the card promises (README.md states the measured values; these are what the test holds it to). */
const VARIANCE_EXPLAINED_FLOOR = 0.95;
const CE_RECOVERED_FLOOR = 0.97;

/** The value of row `label` of the card's metrics table. */
function cardValue(card: string, label: string): number {
  const escaped = label.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
  const match = new RegExp(`^\\| ${escaped} \\| (-?[\\d.]+)`, "m").exec(card);
  assert.ok(match, `the card has no "${label}" row`);
  return Number(match[1]);
}

describe("the embedded SAE", function () {
  this.timeout(120_000);
  let model: HookedTransformer;
  let sae: Sae;
  let heldout: Tensor2D;

  before(async () => {
    model = await loadModel("attn-only-2l");
    sae = await loadSae(NAME);
    const rows = (JSON.parse(fs.readFileSync(path.join(FOLDER, "heldout-tokens.json"), "utf8")) as { rows: number[][] }).rows;
    heldout = tf.tensor2d(rows, undefined, "int32");
  });
  after(() => {
    sae?.dispose();
    model?.dispose();
    heldout?.dispose();
  });

  it("loads offline by name: a TopK SAE on attn-only-2l's blocks.1.hook_resid_pre", () => {
    assert.equal(sae.cfg.architecture, "topk");
    assert.equal(sae.cfg.hookName, "blocks.1.hook_resid_pre");
    assert.equal(sae.cfg.dIn, model.cfg.dModel);
    assert.equal(sae.cfg.dSae, 2048);
    assert.equal(sae.cfg.k, 16);
    assert.equal(sae.cfg.modelName, "attn-only-2l");
    assert.equal(sae.source, NAME);
    const bytes = fs.readdirSync(FOLDER).reduce((sum, f) => sum + fs.statSync(path.join(FOLDER, f)).size, 0);
    assert.ok(bytes <= 8 * 1024 * 1024, `models/saes/${NAME} holds ${bytes} bytes, more than 8 MB`);
  });

  it("an unknown bare name is one error listing the bundled SAEs, and leaves no tensor", async () => {
    const before = tf.memory().numTensors;
    await assert.rejects(loadSae("attn-only-2l-resid9"), (err: Error) => {
      assert.match(err.message, /"attn-only-2l-resid9" is not a folder, a hub id or a bundled SAE/);
      assert.match(err.message, new RegExp(`bundled SAEs: ${NAME}`));
      return true;
    });
    assert.equal(tf.memory().numTensors, before);
  });

  it("TopK encode's peak memory stays a few times its output (no [tokens, k, d_sae] one-hot)", async () => {
    const x = tf.randomNormal([512, sae.cfg.dIn], 0, 1, "float32", 7); // [tokens, d_in]
    const outputBytes = 512 * sae.cfg.dSae * 4;
    const before = tf.memory().numBytes;
    const info = await tf.profile(() => sae.encode(x));
    tf.dispose(info.result as Tensor2D);
    x.dispose();
    // The one-hot of the kept indices alone would be k = 16 times the output (int32).
    const extra = info.peakBytes - before;
    assert.ok(extra < 8 * outputBytes, `peak ${extra} bytes above the start for an output of ${outputBytes}`);
  });

  it("an installation without bundled SAEs says so", async () => {
    const empty = fs.mkdtempSync(path.join(os.tmpdir(), "tslens-models-"));
    const saved = process.env.TSLENS_MODELS_DIR;
    process.env.TSLENS_MODELS_DIR = empty;
    try {
      await assert.rejects(loadSae(NAME), /bundled SAEs: \(none in this installation\)/);
    } finally {
      if (saved === undefined) delete process.env.TSLENS_MODELS_DIR;
      else process.env.TSLENS_MODELS_DIR = saved;
      fs.rmSync(empty, { recursive: true, force: true });
    }
  });

  describe("the card's metrics, recomputed on the held-out rows", () => {
    const card = fs.readFileSync(path.join(FOLDER, "README.md"), "utf8");
    let metrics: SaeMetrics;
    before(() => {
      metrics = saeMetrics(model, sae, heldout, { ignoreTokens: [model.tokenizer!.bosTokenId!] });
    });

    it("L0 and the held-out token count are the card's", () => {
      assert.ok(Math.abs(metrics.l0 - cardValue(card, "L0")) <= 1e-3, `L0 ${metrics.l0}`);
      assert.ok(metrics.l0 <= 16 && metrics.l0 > 15, `L0 ${metrics.l0}: TopK keeps at most k = 16`);
      assert.equal(metrics.tokens, cardValue(card, "held-out tokens"));
      assert.equal(metrics.tokens, 32 * 255);
    });

    it(`variance explained is the card's and above ${VARIANCE_EXPLAINED_FLOOR}`, () => {
      assert.ok(Math.abs(metrics.explainedVariance - cardValue(card, "variance explained")) <= 1e-3);
      assert.ok(metrics.explainedVariance > VARIANCE_EXPLAINED_FLOOR, `variance explained ${metrics.explainedVariance}`);
    });

    it(`CE losses are the card's and the SAE recovers more than ${CE_RECOVERED_FLOOR} of the loss`, () => {
      assert.ok(Math.abs(metrics.ceLossWithoutSae - cardValue(card, "CE loss, clean")) <= 1e-3);
      assert.ok(Math.abs(metrics.ceLossWithSae - cardValue(card, "CE loss, SAE spliced in")) <= 1e-3);
      assert.ok(Math.abs(metrics.ceLossScore - cardValue(card, "CE loss recovered")) <= 1e-3);
      assert.ok(metrics.ceLossScore > CE_RECOVERED_FLOOR, `CE loss recovered ${metrics.ceLossScore}`);
      assert.ok(metrics.ceLossWithoutSae < metrics.ceLossWithSae && metrics.ceLossWithSae < metrics.ceLossWithAblation);
    });

    it("dead features on the held-out rows are the card's count", () => {
      assert.equal(metrics.deadFeatures.length, cardValue(card, "dead features (held-out rows)"));
    });
  });

  it("spliced in with useErrorTerm, the logits are the clean ones; without it they move", () => {
    const rows = heldout.slice([0, 0], [4, -1]) as Tensor2D; // [4, ctx]
    const differences = () =>
      tf.tidy(() => {
        const clean = model.forward(rows); // [4, ctx, d_vocab]
        const spliced = model.runWithSaes(rows, [sae], { useErrorTerm: true });
        const reconstructed = model.runWithSaes(rows, [sae]);
        return [spliced.sub(clean).abs().max().dataSync()[0]!, reconstructed.sub(clean).abs().max().dataSync()[0]!];
      });
    differences(); // the first forward builds the model's compiled weights
    const before = tf.memory().numTensors;
    const [withError, without] = differences();
    assert.equal(tf.memory().numTensors, before, "tensors left by the spliced runs");
    rows.dispose();
    assert.ok(withError <= 1e-3, `useErrorTerm: logits differ from the clean ones by ${withError}`);
    assert.ok(without > 0.1, `without the error term the logits moved only ${without}`);
  });
});
