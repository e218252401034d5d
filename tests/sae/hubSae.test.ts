/**
 * lens.loadSae with hub ids, against a fake hub on 127.0.0.1 serving SAELens-style releases built from the sae-lens
 * fixtures: only the SAE's folder is downloaded into the Hugging Face cache, the SAE equals the one loaded from its
 * folder, later loads use the cache, offline mode, and a local folder of the same name wins.
 */
import { strict as assert } from "assert";
import * as fs from "fs";
import * as path from "path";
import { loadSae, tf } from "../../src";
import type { HubProgress } from "../../src/loading/hub";
import { sha256 } from "../loading/hub-support/fake-hub";
import { listTree, tempDir } from "../loading/hub-support/fixtures";
import { HubSaeFixture } from "./hubSupport";
import { SAE_FIXTURES, saeReference } from "./support";

/** The largest |a − b| of two SAEs' encodings of the fixture's input `x`. */
async function encodeDifference(fixture: string, a: Awaited<ReturnType<typeof loadSae>>, b: typeof a): Promise<number> {
  const ref = await saeReference(fixture);
  try {
    return tf.tidy(() => a.encode(ref.x).sub(b.encode(ref.x)).abs().max().dataSync()[0]);
  } finally {
    tf.dispose(Object.values(ref));
  }
}

describe("loadSae: SAEs from the hub", function () {
  this.timeout(20_000);
  const fx = new HubSaeFixture();
  beforeEach(() => fx.setUp());
  afterEach(() => fx.tearDown());

  it("downloads only the folder's cfg.json and weights into the cache; the SAE equals the one loaded from its folder", async () => {
    const repo = fx.hub.repos.get("saelens/tiny-saes")!;
    const sae = await loadSae("saelens/tiny-saes/blocks.1.hook_resid_pre", fx.options);
    const local = await loadSae(path.join(SAE_FIXTURES, "standard"));
    try {
      assert.equal(sae.cfg.hookName, "blocks.1.hook_resid_pre");
      assert.equal(sae.cfg.dSae, 64);
      assert.equal(sae.source, "saelens/tiny-saes/blocks.1.hook_resid_pre");
      assert.equal(await encodeDifference("standard", sae, local), 0);
    } finally {
      sae.dispose();
      local.dispose();
    }
    const snapshot = path.join(fx.cacheDir, "models--saelens--tiny-saes", "snapshots", repo.commit);
    assert.deepEqual(listTree(snapshot), [
      "blocks.1.hook_resid_pre",
      "blocks.1.hook_resid_pre/cfg.json",
      "blocks.1.hook_resid_pre/sae_weights.safetensors",
    ]);
    const weights = repo.files["blocks.1.hook_resid_pre/sae_weights.safetensors"];
    assert.equal(fx.hub.seen(`/cdn/${sha256(weights)}`, "GET").length, 1, "the weights came through the LFS redirect");
    assert.deepEqual(
      fx.hub.seen("/saelens/tiny-saes/resolve/").filter((r) => /README|sparsity/.test(r.path)),
      [],
    );
    assert.equal(fs.readFileSync(path.join(fx.cacheDir, "models--saelens--tiny-saes", "refs", "main"), "utf8"), repo.commit);
  });

  it("a folder path with slashes, given in the id or as options.folder, names the same SAE", async () => {
    const inId = await loadSae("saelens/tiny-saes/layer_1/width_64/topk", fx.options);
    const asOption = await loadSae("saelens/tiny-saes", { ...fx.options, folder: "layer_1/width_64/topk" });
    const local = await loadSae(path.join(SAE_FIXTURES, "topk"));
    try {
      assert.equal(inId.cfg.architecture, "topk");
      assert.equal(await encodeDifference("topk", inId, local), 0);
      assert.equal(await encodeDifference("topk", asOption, local), 0);
    } finally {
      for (const sae of [inId, asOption, local]) sae.dispose();
    }
  });

  it("a repository with cfg.json at its root loads by its id alone", async () => {
    const sae = await loadSae("saelens/root-sae", fx.options);
    const local = await loadSae(path.join(SAE_FIXTURES, "transcoder"));
    try {
      assert.equal(sae.cfg.architecture, "transcoder");
      assert.equal(sae.cfg.hookNameOut, "blocks.0.hook_mlp_out");
      assert.equal(await encodeDifference("transcoder", sae, local), 0);
    } finally {
      sae.dispose();
      local.dispose();
    }
  });

  it("a second load downloads nothing: only the revision and file-list requests (none for a cached commit)", async () => {
    const id = "saelens/tiny-saes/blocks.0.hook_resid_pre";
    const commit = fx.hub.repos.get("saelens/tiny-saes")!.commit;
    (await loadSae(id, fx.options)).dispose();
    let before = fx.hub.requests.length;
    (await loadSae(id, fx.options)).dispose();
    assert.deepEqual(fx.requestsSince(before), [
      "GET /api/models/saelens/tiny-saes/revision/main",
      `POST /api/models/saelens/tiny-saes/paths-info/${commit}`,
    ]);
    before = fx.hub.requests.length;
    (await loadSae(id, { ...fx.options, revision: commit })).dispose();
    assert.deepEqual(fx.requestsSince(before), []);
  });

  it("two concurrent loads of the same SAE share one download", async () => {
    const id = "saelens/tiny-saes/blocks.1.hook_resid_pre";
    const [a, b] = await Promise.all([loadSae(id, fx.options), loadSae(id, fx.options)]);
    try {
      assert.equal(await encodeDifference("standard", a, b), 0);
    } finally {
      a.dispose();
      b.dispose();
    }
    const weights = fx.hub.repos.get("saelens/tiny-saes")!.files["blocks.1.hook_resid_pre/sae_weights.safetensors"];
    assert.equal(fx.hub.seen(`/cdn/${sha256(weights)}`, "GET").length, 1);
  });

  it("another revision resolves and is recorded under refs/", async () => {
    const sae = await loadSae("saelens/tiny-saes/blocks.0.hook_resid_pre", { ...fx.options, revision: "v1" });
    sae.dispose();
    const commit = fx.hub.repos.get("saelens/tiny-saes")!.commit;
    assert.equal(fs.readFileSync(path.join(fx.cacheDir, "models--saelens--tiny-saes", "refs", "v1"), "utf8"), commit);
  });

  it("progress reports name the file inside its folder", async () => {
    const reports: HubProgress[] = [];
    const sae = await loadSae("saelens/tiny-saes/blocks.1.hook_resid_pre", {
      ...fx.options,
      progress: (p) => reports.push(p),
    });
    sae.dispose();
    const last = reports.filter((r) => r.file === "blocks.1.hook_resid_pre/sae_weights.safetensors").pop();
    const size = fx.hub.repos.get("saelens/tiny-saes")!.files["blocks.1.hook_resid_pre/sae_weights.safetensors"].length;
    assert.deepEqual(last, { file: "blocks.1.hook_resid_pre/sae_weights.safetensors", downloaded: size, total: size });
  });

  describe("offline", () => {
    it("HF_HUB_OFFLINE=1 loads the cached copy without any request", async () => {
      const id = "saelens/tiny-saes/blocks.1.hook_resid_pre";
      (await loadSae(id, fx.options)).dispose();
      process.env.HF_HUB_OFFLINE = "1";
      const before = fx.hub.requests.length;
      const sae = await loadSae(id, fx.options);
      const local = await loadSae(path.join(SAE_FIXTURES, "standard"));
      try {
        assert.equal(await encodeDifference("standard", sae, local), 0);
      } finally {
        sae.dispose();
        local.dispose();
      }
      assert.equal(fx.hub.requests.length, before);
    });
  });

  describe("a local folder of the same name", () => {
    let cwd = "";
    beforeEach(() => {
      cwd = process.cwd();
      process.chdir(tempDir("tslens-sae-cwd-"));
    });
    afterEach(() => process.chdir(cwd));

    it("wins over the hub id (no request), and options.folder reads a folder inside it", async () => {
      const folder = path.join("saelens", "tiny-saes", "blocks.1.hook_resid_pre");
      fs.mkdirSync(folder, { recursive: true });
      // the jumprelu fixture under the name the hub gives the standard SAE: which one loaded tells them apart
      for (const f of ["cfg.json", "sae_weights.safetensors"])
        fs.copyFileSync(path.join(SAE_FIXTURES, "jumprelu", f), path.join(folder, f));
      const byId = await loadSae("saelens/tiny-saes/blocks.1.hook_resid_pre", fx.options);
      const byOption = await loadSae("saelens/tiny-saes", { ...fx.options, folder: "blocks.1.hook_resid_pre" });
      try {
        assert.equal(byId.cfg.architecture, "jumprelu");
        assert.equal(byOption.cfg.architecture, "jumprelu");
      } finally {
        byId.dispose();
        byOption.dispose();
      }
      assert.equal(fx.hub.requests.length, 0);
      await assert.rejects(
        loadSae("saelens/tiny-saes/blocks.1.hook_resid_pre", { ...fx.options, revision: "v1" }),
        /saelens\/tiny-saes\/blocks\.1\.hook_resid_pre is a local folder; options\.revision applies to hub ids only/,
      );
    });
  });
});
