/**
 * lens.loadSae with bad hub ids, against a fake hub on 127.0.0.1: each failure is one HubError naming the id, the
 * repository, the folder and the file (the folders that do hold cfg.json when the asked one does not); hostile ids
 * are refused before any request; nothing is left loaded.
 */
import { strict as assert } from "assert";
import { loadSae, tf } from "../../src";
import type { LoadSaeOptions } from "../../src/sae/hubSae";
import { MAX_LISTED_FILES } from "../../src/loading/hub";
import { rejectsWith } from "../loading/hub-support/assertions";
import { commitFor } from "../loading/hub-support/fixtures";
import { HubSaeFixture } from "./hubSupport";

describe("loadSae: hub errors", function () {
  this.timeout(20_000);
  const fx = new HubSaeFixture();
  beforeEach(() => fx.setUp());
  afterEach(() => fx.tearDown());

  /** loadSae(id) must reject with a HubError of `code` whose message holds every part, leaving no tensor behind. */
  async function fails(id: string, options: LoadSaeOptions, code: Parameters<typeof rejectsWith>[1], ...parts: string[]) {
    const before = tf.memory().numTensors;
    const err = await rejectsWith(loadSae(id, { ...fx.options, ...options }), code, `loadSae("${id}")`, ...parts);
    assert.equal(tf.memory().numTensors, before, "tensors left after the failed load");
    return err;
  }

  it("a repository the hub does not have: names it, and says no local folder has the name", async () => {
    await fails(
      "saelens/no-such-release/blocks.1.hook_resid_pre",
      {},
      "UNAUTHORIZED",
      'there is no local folder "saelens/no-such-release/blocks.1.hook_resid_pre"',
      '"saelens/no-such-release"',
      "was not found",
    );
  });

  it("a revision the repository does not have", async () => {
    await fails("saelens/tiny-saes/blocks.1.hook_resid_pre", { revision: "v9" }, "NOT_FOUND", 'Revision "v9" not found');
  });

  it("a folder the repository does not have: lists the folders with cfg.json, the nearest first", async () => {
    const err = await fails(
      "saelens/tiny-saes/blocks.1.hook_resid_post",
      {},
      "NOT_FOUND",
      '"saelens/tiny-saes" at revision "main" has no folder "blocks.1.hook_resid_post"',
      "Folders with cfg.json: blocks.1.hook_resid_pre, blocks.0.hook_resid_pre, cfg-only, layer_1/width_64/topk;",
      'load one as loadSae("saelens/tiny-saes/blocks.1.hook_resid_pre")',
    );
    assert.ok(!err.message.includes("npz-format"), "a folder without cfg.json is not offered");
  });

  it("a repository without cfg.json at its root, asked for by its id alone, lists its SAE folders", async () => {
    await fails(
      "saelens/tiny-saes",
      {},
      "NOT_FOUND",
      'the root of "saelens/tiny-saes" at revision "main" has no cfg.json',
      "blocks.0.hook_resid_pre, blocks.1.hook_resid_pre",
    );
  });

  it("a folder with cfg.json but no sae_weights.safetensors names both", async () => {
    await fails(
      "saelens/tiny-saes/cfg-only",
      {},
      "NOT_FOUND",
      'folder "cfg-only" of "saelens/tiny-saes" at revision "main" has cfg.json but no sae_weights.safetensors',
      "(it holds cfg-only/cfg.json)",
    );
  });

  it("a folder in another format says what it holds", async () => {
    await fails(
      "saelens/tiny-saes",
      { folder: "npz-format" },
      "NOT_FOUND",
      'folder "npz-format" of "saelens/tiny-saes" at revision "main" has no cfg.json (it holds npz-format/params.npz)',
    );
  });

  it("a repository too large to list whole is explained from its first files, and says so", async () => {
    const files: Record<string, Buffer> = {};
    for (let i = 0; i <= MAX_LISTED_FILES; i++) files[`data/${String(i).padStart(5, "0")}.txt`] = Buffer.from(String(i));
    fx.hub.repos.set("saelens/huge", { commit: commitFor("huge"), files });
    await fails(
      "saelens/huge/blocks.1.hook_resid_pre",
      {},
      "NOT_FOUND",
      `has no folder "blocks.1.hook_resid_pre", and no folder of the repository has one among its first ${MAX_LISTED_FILES} files`,
    );
  });

  it("offline without a cached copy names the repository, the folder's files and the cache; no request", async () => {
    process.env.HF_HUB_OFFLINE = "1";
    await fails(
      "saelens/tiny-saes/blocks.1.hook_resid_pre",
      {},
      "OFFLINE",
      "HF_HUB_OFFLINE=1",
      '"saelens/tiny-saes" at revision "main"',
      fx.cacheDir,
    );
    delete process.env.HF_HUB_OFFLINE;
    (await loadSae("saelens/tiny-saes/blocks.0.hook_resid_pre", fx.options)).dispose();
    const before = fx.hub.requests.length;
    await fails(
      "saelens/tiny-saes/blocks.1.hook_resid_pre",
      { offline: true },
      "OFFLINE",
      "missing blocks.1.hook_resid_pre/cfg.json, blocks.1.hook_resid_pre/sae_weights.safetensors",
    );
    assert.equal(fx.hub.requests.length, before);
  });

  it("refuses hostile or malformed ids before any request", async () => {
    const cases: [string, LoadSaeOptions, string][] = [
      ["saelens/tiny-saes/../../etc", {}, '".." is not allowed'],
      ["saelens/tiny-saes/blocks.1;rm -rf", {}, 'only letters, digits, ".", "_", "-" and "/" are allowed'],
      ["saelens/tiny-saes", { folder: "../outside" }, '".." is not allowed'],
      ["saelens/tiny-saes", { folder: "/etc" }, "it is an absolute path"],
      ["saelens/tiny saes/blocks.1.hook_resid_pre", {}, "contains characters other than"],
      ["saelens/a--b/blocks.1.hook_resid_pre", {}, '"--" is not allowed'],
      ["saelens/tiny-saes/blocks.1.hook_resid_pre", { revision: "../main" }, '".." is not allowed'],
      ["saelens/tiny-saes/blocks.1.hook_resid_pre/cfg.json", {}, '"cfg.json" is a file; name the folder'],
      ["saelens/tiny-saes/blocks.1.hook_resid_pre", { folder: "blocks.0.hook_resid_pre" }, "the folder is given twice"],
      [
        "https://huggingface.co/saelens/tiny-saes/tree/v1/blocks.1.hook_resid_pre",
        {},
        'a URL, not a hub id; pass "saelens/tiny-saes/blocks.1.hook_resid_pre" with { revision: "v1" }',
      ],
      ["http://%zz/a", {}, 'a URL, not a hub id; pass "owner/repo/folder"'],
    ];
    for (const [id, options, part] of cases) {
      const err = await rejectsWith(loadSae(id, { ...fx.options, ...options }), "INVALID_ARGUMENT", part);
      assert.ok(err.message.startsWith(`loadSae(${JSON.stringify(id)}): `), err.message);
    }
    assert.equal(fx.hub.requests.length, 0);
  });
});
