/**
 * resolveHubModel when things go wrong: dropped connections (resume with Range, also when the
 * server ignores Range), wrong sha256, truncated and stalled responses, 401/403/404, unreachable
 * hubs, and hostile server headers. Every failure must leave the snapshot free of broken links.
 */
import * as assert from "assert";
import * as fs from "fs";
import * as path from "path";
import { resolveHubModel } from "../../src/loading/hub";
import { rejectsWith } from "./hub-support/assertions";
import { FakeHub, gitSha1, sha256 } from "./hub-support/fake-hub";
import { isolateEnv, listTree, removeTempDirs, tempDir, tinyRepo } from "./hub-support/fixtures";

describe("hub: faults", function () {
  this.timeout(20_000);
  let hub: FakeHub;
  let restoreEnv: () => void;
  let cacheDir: string;
  const weights = tinyRepo("tiny").files["model.safetensors"];
  const weightsSha = sha256(weights);
  const root = () => path.join(cacheDir, "models--acme--tiny");
  const partial = () => path.join(root(), "blobs", `${weightsSha}.incomplete`);
  const options = (extra: object = {}) => ({ cacheDir, endpoint: hub.endpoint, progress: false as const, ...extra });

  /** The snapshot has no weights link and refs/main was not written. */
  const assertNotPublished = () => {
    assert.ok(!fs.existsSync(path.join(root(), "refs", "main")), "refs/main is written only for complete snapshots");
    const links = listTree(path.join(root(), "snapshots")).filter((f) => f.endsWith("model.safetensors"));
    assert.deepStrictEqual(links, [], "no snapshot file points at an incomplete blob");
    assert.ok(!fs.existsSync(path.join(root(), "blobs", weightsSha)), "no blob under the final name");
  };

  beforeEach(async () => {
    restoreEnv = isolateEnv();
    cacheDir = tempDir();
    hub = await new FakeHub().start();
    hub.repos.set("acme/tiny", tinyRepo("tiny"));
  });

  afterEach(async () => {
    await hub.stop();
    restoreEnv();
    removeTempDirs();
  });

  describe("resuming", () => {
    it("a dropped connection keeps the partial file; the next call resumes with Range", async () => {
      hub.faults.drop = { file: "model.safetensors", afterBytes: 100_000, times: 1 };
      await rejectsWith(
        resolveHubModel("acme/tiny", options({ retries: 0 })),
        "NETWORK",
        "interrupted",
        `/cdn/${weightsSha}`,
        "resumes",
      );
      const kept = fs.statSync(partial()).size;
      assert.ok(kept > 0 && kept <= 100_000, `partial file has ${kept} bytes`);
      assertNotPublished();

      const dir = await resolveHubModel("acme/tiny", options({ retries: 0 }));
      const gets = hub.seen(`/cdn/${weightsSha}`, "GET");
      assert.strictEqual(gets.length, 2);
      assert.strictEqual(gets[0].headers.range, undefined);
      assert.strictEqual(gets[1].headers.range, `bytes=${kept}-${weights.length - 1}`);
      assert.ok(fs.readFileSync(path.join(dir, "model.safetensors")).equals(weights), "byte-identical after resuming");
      assert.ok(!fs.existsSync(partial()));
    });

    it("retries within the same call, resuming (default retries)", async () => {
      hub.faults.drop = { file: "model.safetensors", afterBytes: 50_000, times: 2 };
      const dir = await resolveHubModel("acme/tiny", options());
      const ranges = hub.seen(`/cdn/${weightsSha}`, "GET").map((r) => r.headers.range);
      assert.strictEqual(ranges.length, 3);
      assert.deepStrictEqual(ranges.slice(1), ["bytes=50000-299999", "bytes=100000-299999"]);
      assert.ok(fs.readFileSync(path.join(dir, "model.safetensors")).equals(weights));
    });

    it("a server that ignores Range (200) restarts the file from zero", async () => {
      hub.faults.drop = { file: "model.safetensors", afterBytes: 100_000, times: 1 };
      await rejectsWith(resolveHubModel("acme/tiny", options({ retries: 0 })), "NETWORK");
      hub.faults.ignoreRange = true;
      const dir = await resolveHubModel("acme/tiny", options({ retries: 0 }));
      assert.ok(hub.seen(`/cdn/${weightsSha}`, "GET")[1].headers.range !== undefined, "Range was asked");
      assert.ok(fs.readFileSync(path.join(dir, "model.safetensors")).equals(weights));
    });

    it("a corrupted partial file fails the sha256 check, is deleted, and the next call starts clean", async () => {
      fs.mkdirSync(path.dirname(partial()), { recursive: true });
      fs.writeFileSync(partial(), Buffer.alloc(1000, 7));
      await rejectsWith(resolveHubModel("acme/tiny", options()), "INTEGRITY", "sha256 mismatch", weightsSha, "deleted");
      assert.ok(!fs.existsSync(partial()));
      assertNotPublished();
      const dir = await resolveHubModel("acme/tiny", options());
      assert.ok(fs.readFileSync(path.join(dir, "model.safetensors")).equals(weights));
    });
  });

  describe("integrity", () => {
    it("a wrong sha256 deletes the partial file and names the file, expected and actual hashes", async () => {
      hub.faults.wrongSha = "model.safetensors";
      const announced = sha256(Buffer.from("something else"));
      await rejectsWith(
        resolveHubModel("acme/tiny", options()),
        "INTEGRITY",
        "sha256 mismatch",
        '"model.safetensors"',
        `expected ${announced}`,
        `got ${weightsSha}`,
      );
      assert.deepStrictEqual(
        listTree(path.join(root(), "blobs")).filter((f) => f.includes(announced)),
        [],
      );
      assert.strictEqual(hub.seen("/cdn/", "GET").length, 1, "integrity errors are not retried");
      assert.ok(!fs.existsSync(path.join(root(), "refs", "main")));
      assert.ok(listTree(path.join(root(), "snapshots")).every((f) => !f.endsWith("model.safetensors")));
    });

    it("a small (non-LFS) file is checked against its git blob sha1 from the hub's listing", async () => {
      hub.faults.wrongSha = "config.json";
      const repo = hub.repos.get("acme/tiny")!;
      await rejectsWith(
        resolveHubModel("acme/tiny", options()),
        "INTEGRITY",
        "git sha1 mismatch",
        '"config.json"',
        `got ${gitSha1(repo.files["config.json"])}`,
      );
      assert.ok(!fs.existsSync(path.join(root(), "snapshots", repo.commit, "config.json")), "no link to a wrong file");
      assert.ok(!fs.existsSync(path.join(root(), "refs", "main")));
    });

    it("a response cut short (no Content-Length) is reported as truncated, expected vs got", async () => {
      hub.faults.shortBody = "model.safetensors";
      await rejectsWith(
        resolveHubModel("acme/tiny", options({ retries: 0 })),
        "TRUNCATED",
        "Truncated",
        "got 150000 of 300000 bytes",
      );
      assertNotPublished();
    });

    it("a stalled response times out with an error naming the URL", async () => {
      hub.faults.stall = "model.safetensors";
      await rejectsWith(
        resolveHubModel("acme/tiny", options({ retries: 0, timeoutMs: 300 })),
        "NETWORK",
        `/cdn/${weightsSha}`,
        "300 ms",
      );
      assertNotPublished();
    });

    it("a Xet transfer that drops is reported as interrupted, not as the timeout of an earlier request's unread body", async () => {
      hub.faults.xet = true;
      hub.faults.xorbDrop = { pieces: 4, delayMs: 150 }; // 600 ms per attempt, each piece well inside the timeout
      const err = await rejectsWith(
        resolveHubModel("acme/tiny", options({ retries: 0, timeoutMs: 400 })),
        "NETWORK",
        "interrupted",
        "/xet/xorbs/",
      );
      assert.ok(!err.message.includes("no data for"), err.message);
      assertNotPublished();
    });

    it("an unsafe commit from the server is refused before anything is written", async () => {
      hub.faults.badCommit = "../../../escape";
      await rejectsWith(resolveHubModel("acme/tiny", options()), "PROTOCOL", "invalid commit", "../../../escape");
      assert.deepStrictEqual(listTree(cacheDir), []);
    });
  });

  describe("local disk", () => {
    it("a full disk gives an IO error naming the file, the cache and the cause, and is not retried", async () => {
      fs.mkdirSync(path.dirname(partial()), { recursive: true });
      fs.symlinkSync("/dev/full", partial()); // every write to it fails with ENOSPC
      await rejectsWith(
        resolveHubModel("acme/tiny", options()),
        "IO",
        '"model.safetensors" of "acme/tiny"',
        root(),
        "ENOSPC",
        "the disk is full",
      );
      assert.strictEqual(hub.seen(`/cdn/${weightsSha}`, "GET").length, 1, "not retried");
      assertNotPublished();
    });
  });

  describe("HTTP errors", () => {
    it("404 of a required file names the repo, revision and file; 404 of optional files is fine", async () => {
      const repo = tinyRepo("noconfig");
      delete repo.files["config.json"];
      hub.repos.set("acme/noconfig", repo);
      await rejectsWith(
        resolveHubModel("acme/noconfig", options()),
        "NOT_FOUND",
        'Required file "config.json"',
        '"acme/noconfig"',
        'revision "main"',
        "the hub lists no such file",
      );
      const noWeights = tinyRepo("noweights");
      delete noWeights.files["model.safetensors"];
      hub.repos.set("acme/noweights", noWeights);
      await rejectsWith(
        resolveHubModel("acme/noweights", options()),
        "NOT_FOUND",
        "model.safetensors",
        "model.safetensors.index.json",
        '"acme/noweights"',
      );
      const bare = tinyRepo("bare");
      for (const file of ["tokenizer.json", "tokenizer_config.json", "generation_config.json"]) delete bare.files[file];
      hub.repos.set("acme/bare", bare);
      const dir = await resolveHubModel("acme/bare", options());
      assert.deepStrictEqual(fs.readdirSync(dir).sort(), ["config.json", "model.safetensors"]);
    });

    it("403 on a gated repo says it is gated and how to get access", async () => {
      hub.repos.get("acme/tiny")!.gated = true;
      await rejectsWith(
        resolveHubModel("acme/tiny", options()),
        "FORBIDDEN",
        "gated",
        '"acme/tiny"',
        "HF_TOKEN",
        `${hub.endpoint}/acme/tiny`,
      );
      assert.strictEqual(hub.seen("/acme/tiny/resolve/").length, 1, "not retried");
    });

    it("401 for an unknown (or private) repo says so", async () => {
      await rejectsWith(
        resolveHubModel("acme/ghost", options()),
        "UNAUTHORIZED",
        '"acme/ghost"',
        "not found",
        "private",
        "no token was sent",
      );
      await rejectsWith(
        resolveHubModel("acme/ghost", options({ token: "hf_x" })),
        "UNAUTHORIZED",
        "the token that was sent does not grant access",
      );
    });

    it("5xx answers are retried; with no retries left the status and file are named", async () => {
      hub.faults.failResolve = { file: "model.safetensors", status: 503, times: 2 };
      const dir = await resolveHubModel("acme/tiny", options());
      assert.ok(fs.readFileSync(path.join(dir, "model.safetensors")).equals(weights));
      hub.faults.failResolve = { file: "tokenizer.json", status: 503, times: 5 };
      await rejectsWith(
        resolveHubModel("acme/tiny", options({ retries: 1, cacheDir: tempDir() })),
        "HTTP",
        "503",
        '"tokenizer.json"',
        "try again later",
      );
    });

    it("5xx answers of the hub's API (revision, file list) are retried too", async () => {
      hub.faults.failApi = { status: 502, times: 2 };
      const dir = await resolveHubModel("acme/tiny", options());
      assert.ok(fs.readFileSync(path.join(dir, "model.safetensors")).equals(weights));
      assert.strictEqual(hub.seen("/api/models/acme/tiny/revision/main", "GET").length, 3);
      hub.faults.failApi = { status: 502, times: 5 };
      await rejectsWith(resolveHubModel("acme/tiny", options({ retries: 1 })), "HTTP", "502", '"acme/tiny"', "try again later");
    });

    it("an unknown revision is named", async () => {
      await rejectsWith(
        resolveHubModel("acme/tiny", options({ revision: "nope" })),
        "NOT_FOUND",
        'Revision "nope" not found',
        '"acme/tiny"',
      );
    });

    it("an unreachable hub (and nothing cached) names the URL", async () => {
      const endpoint = hub.endpoint;
      await hub.stop();
      await rejectsWith(
        resolveHubModel("acme/tiny", { cacheDir, endpoint, progress: false, retries: 1 }),
        "NETWORK",
        `${endpoint}/api/models/acme/tiny/revision/main`,
        "ECONNREFUSED",
      );
      hub = await new FakeHub().start(); // for afterEach
    });
  });
});
