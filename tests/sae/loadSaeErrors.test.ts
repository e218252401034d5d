/**
 * Bad SAE folders: one clear error naming the file and the field or tensor, nothing left loaded
 * (tf.memory().numTensors unchanged).
 */
import { strict as assert } from "assert";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { loadSae, tf } from "../../src";
import { SAE_FIXTURES } from "./support";

/** A copy of fixture `name` in a fresh temporary folder, its cfg.json passed through `edit`. */
function copyFixture(name: string, edit: (cfg: Record<string, unknown>) => void = () => {}): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "tslens-sae-"));
  for (const f of fs.readdirSync(path.join(SAE_FIXTURES, name)))
    fs.copyFileSync(path.join(SAE_FIXTURES, name, f), path.join(dir, f));
  const cfg = JSON.parse(fs.readFileSync(path.join(dir, "cfg.json"), "utf8")) as Record<string, unknown>;
  edit(cfg);
  fs.writeFileSync(path.join(dir, "cfg.json"), JSON.stringify(cfg));
  return dir;
}

/** Expects loadSae(dir) to reject with a message matching every pattern, leaving no tensor behind. */
async function rejects(dir: string, ...patterns: RegExp[]): Promise<void> {
  const before = tf.memory().numTensors;
  await assert.rejects(loadSae(dir), (err: Error) => {
    for (const p of patterns) assert.match(err.message, p);
    return true;
  });
  assert.equal(tf.memory().numTensors, before, "tensors left after the failed load");
  fs.rmSync(dir, { recursive: true, force: true });
}

describe("loadSae: bad folders", () => {
  it("an unknown architecture names it and the file", async () => {
    await rejects(
      copyFixture("standard", (c) => (c.architecture = "matryoshka")),
      /cfg\.json/,
      /unknown architecture "matryoshka"/,
    );
  });

  it("a BatchTopK training checkpoint points to save_inference_model", async () => {
    await rejects(
      copyFixture("standard", (c) => (c.architecture = "batchtopk")),
      /save_inference_model/,
    );
  });

  it("a missing d_in names the field", async () => {
    await rejects(
      copyFixture("standard", (c) => delete c.d_in),
      /cfg\.json/,
      /"d_in" must be a positive integer \(it is missing\)/,
    );
  });

  it("a missing hook name names metadata.hook_name", async () => {
    await rejects(
      copyFixture("standard", (c) => (c.metadata = {})),
      /"metadata\.hook_name"/,
    );
  });

  it("a topk without k names k", async () => {
    await rejects(
      copyFixture("topk", (c) => delete c.k),
      /"k" must be a positive integer/,
    );
  });

  it("a transcoder without hook_name_out names it", async () => {
    await rejects(
      copyFixture("transcoder", (c) => delete (c.metadata as Record<string, unknown>).hook_name_out),
      /metadata\.hook_name_out/,
    );
  });

  it("an unknown normalize_activations lists the modes", async () => {
    await rejects(
      copyFixture("standard", (c) => (c.normalize_activations = "whiten")),
      /"normalize_activations" must be one of none, /,
    );
  });

  it("d_in different from the weights' shape names the tensor and both shapes", async () => {
    await rejects(
      copyFixture("standard", (c) => (c.d_in = 16)),
      /sae_weights\.safetensors/,
      /tensor "W_enc" has shape \[32,64\]/,
      /needs \[16,64\]/,
    );
  });

  it("a jumprelu config over standard weights names the missing threshold", async () => {
    await rejects(
      copyFixture("standard", (c) => (c.architecture = "jumprelu")),
      /missing tensor "threshold"/,
    );
  });

  it("a missing weights file names it", async () => {
    const dir = copyFixture("standard");
    fs.rmSync(path.join(dir, "sae_weights.safetensors"));
    await rejects(dir, /sae_weights\.safetensors/);
  });

  it("a path that is not a folder says so", async () => {
    await rejects(path.join(SAE_FIXTURES, "no-such-sae"), /is not a folder/);
  });

  it("an older config with hook_name at the top level (no metadata, no architecture) loads as a standard SAE", async () => {
    const dir = copyFixture("standard", (c) => {
      c.hook_name = "blocks.1.hook_resid_pre";
      delete c.metadata;
      delete c.architecture;
    });
    const sae = await loadSae(dir);
    assert.equal(sae.cfg.hookName, "blocks.1.hook_resid_pre");
    assert.equal(sae.cfg.architecture, "standard");
    sae.dispose();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it("an input of the wrong width names d_in; a disposed SAE says so", async () => {
    const sae = await loadSae(path.join(SAE_FIXTURES, "standard"));
    const x = tf.zeros([2, 16]);
    assert.throws(() => sae.encode(x), /last axis must be d_in = 32/);
    sae.dispose();
    assert.throws(() => sae.encode(x), /was disposed/);
    x.dispose();
  });
});
