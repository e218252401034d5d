/**
 * resolveHubModel against a fake hub on 127.0.0.1: cache layout (huggingface_hub's), sharded
 * weights, optional files, validation before any I/O, offline mode, progress, concurrency,
 * defaults from the environment, renamed repos, tokens. Faults are in hub-faults.test.ts.
 */
import * as assert from "assert";
import * as fs from "fs";
import * as net from "net";
import * as path from "path";
import { defaultCacheDir, resolveHubModel } from "../../src/loading/hub";
import { formatBar, HubProgress } from "../../src/loading/hub/progress";
import { repoFolderName } from "../../src/loading/hub/paths";
import { rejectsWith } from "./hub-support/assertions";
import { FakeHub, gitSha1, sha256 } from "./hub-support/fake-hub";
import { XET_TOKEN } from "./hub-support/fake-xet";
import { commitFor, isolateEnv, listTree, removeTempDirs, shardedRepo, tempDir, tinyRepo } from "./hub-support/fixtures";

const quiet = { progress: false as const };

describe("hub: resolveHubModel", function () {
  this.timeout(20_000);
  let hub: FakeHub;
  let restoreEnv: () => void;

  beforeEach(async () => {
    restoreEnv = isolateEnv();
    hub = await new FakeHub().start();
    hub.repos.set("acme/tiny", tinyRepo("tiny"));
    hub.repos.set("acme/sharded", shardedRepo("sharded"));
    hub.repos.set("solo", tinyRepo("solo", 20_000));
  });

  afterEach(async () => {
    await hub.stop();
    restoreEnv();
    removeTempDirs();
  });

  it("downloads a model into huggingface_hub's cache layout", async () => {
    const cacheDir = tempDir();
    const repo = hub.repos.get("acme/tiny")!;
    const dir = await resolveHubModel("acme/tiny", { cacheDir, endpoint: hub.endpoint, ...quiet });

    const root = path.join(cacheDir, "models--acme--tiny");
    assert.strictEqual(dir, path.join(root, "snapshots", repo.commit));
    assert.ok(path.isAbsolute(dir));
    assert.strictEqual(fs.readFileSync(path.join(root, "refs", "main"), "utf8"), repo.commit);

    const present = ["config.json", "model.safetensors", "tokenizer.json", "tokenizer_config.json", "generation_config.json"];
    assert.deepStrictEqual(fs.readdirSync(dir).sort(), present.sort());
    for (const file of present) {
      const link = path.join(dir, file);
      const data = repo.files[file];
      const etag = data.length >= 10_000 ? sha256(data) : gitSha1(data);
      assert.ok(fs.lstatSync(link).isSymbolicLink(), `${file} is a symlink`);
      assert.strictEqual(fs.readlinkSync(link), path.join("..", "..", "blobs", etag), `${file} links relatively to its blob`);
      assert.strictEqual(fs.realpathSync(link), fs.realpathSync(path.join(root, "blobs", etag)));
      assert.ok(fs.readFileSync(link).equals(data), `${file} content`);
    }
    // optional files that 404 are recorded like huggingface_hub does, and nothing incomplete is left
    for (const file of ["vocab.json", "merges.txt", "special_tokens_map.json"]) {
      assert.ok(fs.existsSync(path.join(root, ".no_exist", repo.commit, file)), `.no_exist marker for ${file}`);
    }
    assert.deepStrictEqual(
      listTree(root).filter((f) => f.endsWith(".incomplete") || f.endsWith(".tmp")),
      [],
    );
    assert.deepStrictEqual(
      listTree(path.join(cacheDir, ".locks")).filter((f) => f.endsWith(".lock")),
      [],
    );
    // the LFS file went through the 302, and every file was fetched by commit once the revision was resolved
    assert.strictEqual(hub.seen(`/cdn/${sha256(repo.files["model.safetensors"])}`, "GET").length, 1);
    assert.strictEqual(hub.seen(`/acme/tiny/resolve/${repo.commit}/tokenizer.json`, "GET").length, 1);
    assert.deepStrictEqual(hub.seen("/acme/tiny/resolve/main/"), []);
    assert.strictEqual(hub.seen("/api/models/acme/tiny/revision/main", "GET").length, 1);
  });

  it("a second call uses the cache: two metadata requests (revision, file list), no content downloads", async () => {
    const cacheDir = tempDir();
    const commit = hub.repos.get("acme/tiny")!.commit;
    const first = await resolveHubModel("acme/tiny", { cacheDir, endpoint: hub.endpoint, ...quiet });
    const before = hub.requests.length;
    const second = await resolveHubModel("acme/tiny", { cacheDir, endpoint: hub.endpoint, ...quiet });
    assert.strictEqual(second, first);
    const later = hub.requests.slice(before).map((r) => `${r.method} ${r.path.split("?")[0]}`);
    assert.deepStrictEqual(later, ["GET /api/models/acme/tiny/revision/main", `POST /api/models/acme/tiny/paths-info/${commit}`]);
  });

  it("a commit-sha revision already in the cache needs no network at all", async () => {
    const cacheDir = tempDir();
    const commit = hub.repos.get("acme/tiny")!.commit;
    await resolveHubModel("acme/tiny", { cacheDir, endpoint: hub.endpoint, ...quiet });
    const before = hub.requests.length;
    const dir = await resolveHubModel("acme/tiny", { cacheDir, endpoint: hub.endpoint, revision: commit, ...quiet });
    assert.strictEqual(dir, path.join(cacheDir, "models--acme--tiny", "snapshots", commit));
    assert.strictEqual(hub.requests.length, before);
  });

  it("downloads every shard named in model.safetensors.index.json", async () => {
    const cacheDir = tempDir();
    const repo = hub.repos.get("acme/sharded")!;
    const dir = await resolveHubModel("acme/sharded", { cacheDir, endpoint: hub.endpoint, ...quiet });
    assert.deepStrictEqual(fs.readdirSync(dir).sort(), [
      "config.json",
      "model-00001-of-00002.safetensors",
      "model-00002-of-00002.safetensors",
      "model.safetensors.index.json",
      "tokenizer.json",
    ]);
    for (const file of fs.readdirSync(dir)) assert.ok(fs.readFileSync(path.join(dir, file)).equals(repo.files[file]), file);
    assert.strictEqual(hub.seen("/cdn/", "GET").length, 2, "each shard downloaded once");
  });

  it("options.files downloads exactly those files (an index brings its shards)", async () => {
    const cacheDir = tempDir();
    const dir = await resolveHubModel("acme/sharded", {
      cacheDir,
      endpoint: hub.endpoint,
      files: ["config.json", "model.safetensors.index.json"],
      ...quiet,
    });
    assert.deepStrictEqual(fs.readdirSync(dir).sort(), [
      "config.json",
      "model-00001-of-00002.safetensors",
      "model-00002-of-00002.safetensors",
      "model.safetensors.index.json",
    ]);
    await rejectsWith(
      resolveHubModel("acme/tiny", { cacheDir, endpoint: hub.endpoint, files: ["config.json", "vocab.json"], ...quiet }),
      "NOT_FOUND",
      '"vocab.json"',
      '"acme/tiny"',
      'revision "main"',
    );
  });

  it("handles a single-part repo id (models--name)", async () => {
    const cacheDir = tempDir();
    const dir = await resolveHubModel("solo", { cacheDir, endpoint: hub.endpoint, ...quiet });
    assert.strictEqual(dir, path.join(cacheDir, "models--solo", "snapshots", commitFor("solo")));
    assert.strictEqual(repoFolderName("org/name"), "models--org--name");
  });

  it("stores other revisions under refs/ (refs/pr/1 is sent URL-encoded)", async () => {
    const cacheDir = tempDir();
    const repo = hub.repos.get("acme/tiny")!;
    repo.revisions = ["refs/pr/1", "v1.0"];
    const dir = await resolveHubModel("acme/tiny", { cacheDir, endpoint: hub.endpoint, revision: "refs/pr/1", ...quiet });
    assert.strictEqual(path.basename(dir), repo.commit);
    assert.strictEqual(
      fs.readFileSync(path.join(cacheDir, "models--acme--tiny", "refs", "refs", "pr", "1"), "utf8"),
      repo.commit,
    );
    assert.strictEqual(hub.seen("/api/models/acme/tiny/revision/refs%2Fpr%2F1?").length, 1);
    await resolveHubModel("acme/tiny", { cacheDir, endpoint: hub.endpoint, revision: "v1.0", ...quiet });
    assert.strictEqual(fs.readFileSync(path.join(cacheDir, "models--acme--tiny", "refs", "v1.0"), "utf8"), repo.commit);
    assert.ok(!fs.existsSync(path.join(cacheDir, "models--acme--tiny", "refs", "main")), "no ref for revisions not asked for");
  });

  it("follows a renamed repo's relative 307 and caches under the requested id", async () => {
    const cacheDir = tempDir();
    hub.renamed.set("old-org/tiny", "acme/tiny");
    const dir = await resolveHubModel("old-org/tiny", { cacheDir, endpoint: hub.endpoint, ...quiet });
    assert.strictEqual(dir, path.join(cacheDir, "models--old-org--tiny", "snapshots", hub.repos.get("acme/tiny")!.commit));
    assert.ok(
      fs.readFileSync(path.join(dir, "model.safetensors")).equals(hub.repos.get("acme/tiny")!.files["model.safetensors"]),
    );
  });

  describe("Xet storage", () => {
    it("downloads a file stored on Xet through the package's Xet client, checked against its sha256", async () => {
      const cacheDir = tempDir();
      const repo = hub.repos.get("acme/tiny")!;
      hub.faults.xet = true;
      process.env.HF_TOKEN = "hf_test_token";
      const dir = await resolveHubModel("acme/tiny", { cacheDir, endpoint: hub.endpoint, ...quiet });
      assert.ok(fs.readFileSync(path.join(dir, "model.safetensors")).equals(repo.files["model.safetensors"]));
      assert.strictEqual(hub.seen("/api/models/acme/tiny/xet-read-token/", "GET").length, 1);
      const reconstructions = hub.seen("/xet/v2/reconstructions/", "GET");
      assert.strictEqual(reconstructions.length, 1);
      assert.strictEqual(
        reconstructions[0].headers.authorization,
        `Bearer ${XET_TOKEN}`,
        "the CAS gets Xet's token, not HF_TOKEN",
      );
      assert.ok(hub.seen("/xet/xorbs/", "GET").length >= 1);
      assert.deepStrictEqual(hub.seen("/cdn/"), [], "the plain download route was not used");
      const blob = path.join(cacheDir, "models--acme--tiny", "blobs", sha256(repo.files["model.safetensors"]));
      assert.strictEqual(fs.realpathSync(path.join(dir, "model.safetensors")), fs.realpathSync(blob), "filed under its sha256");
    });

    it("a busy answer (429) that the package's Xet client retries by itself does not fail the download", async () => {
      const repo = hub.repos.get("acme/tiny")!;
      hub.faults.xet = true;
      hub.faults.xorbBusy = 1;
      const options = { cacheDir: tempDir(), endpoint: hub.endpoint, retries: 0, ...quiet };
      const dir = await resolveHubModel("acme/tiny", options);
      assert.ok(fs.readFileSync(path.join(dir, "model.safetensors")).equals(repo.files["model.safetensors"]));
      assert.strictEqual(hub.faults.xorbBusy, 0, "the 429 was sent");
      assert.strictEqual(hub.seen("/xet/v2/reconstructions/", "GET").length, 1, "retried inside the package, not by tslens");
    });

    it("resumes a Xet download: the reconstruction asks only for the bytes the partial file lacks", async () => {
      const cacheDir = tempDir();
      const weights = hub.repos.get("acme/tiny")!.files["model.safetensors"];
      const partial = path.join(cacheDir, "models--acme--tiny", "blobs", `${sha256(weights)}.incomplete`);
      fs.mkdirSync(path.dirname(partial), { recursive: true });
      fs.writeFileSync(partial, weights.subarray(0, 100_000));
      hub.faults.xet = true;
      const dir = await resolveHubModel("acme/tiny", { cacheDir, endpoint: hub.endpoint, ...quiet });
      const ranges = hub.seen("/xet/v2/reconstructions/", "GET").map((r) => r.headers.range);
      assert.deepStrictEqual(ranges, [`bytes=100000-${weights.length - 1}`]);
      assert.ok(fs.readFileSync(path.join(dir, "model.safetensors")).equals(weights));
      assert.ok(!fs.existsSync(partial));
    });
  });

  describe("validation before any network or file access", () => {
    const hostileIds = [
      "../x",
      "/etc/passwd",
      "a/../../b",
      "a/b/c",
      "a\\b",
      "",
      "..",
      "a//b",
      "/",
      "org/",
      "C:/x",
      "a/b c",
      "--x",
      "a/--b",
      "x.",
      "a/~b",
    ];
    for (const id of hostileIds) {
      it(`rejects repo id ${JSON.stringify(id)}`, async () => {
        const cacheDir = path.join(tempDir(), "not-created");
        await rejectsWith(
          resolveHubModel(id, { cacheDir, endpoint: hub.endpoint, ...quiet }),
          "INVALID_ARGUMENT",
          JSON.stringify(id),
        );
        assert.strictEqual(hub.requests.length, 0, "no request was made");
        assert.ok(!fs.existsSync(cacheDir), "nothing was written");
      });
    }

    it("rejects hostile revisions and file names", async () => {
      const cacheDir = path.join(tempDir(), "not-created");
      for (const revision of ["../x", "/etc", "a/../b", "a\\b", "", "main/", "refs//pr", ".", "a/./b"]) {
        await rejectsWith(
          resolveHubModel("acme/tiny", { cacheDir, endpoint: hub.endpoint, revision, ...quiet }),
          "INVALID_ARGUMENT",
          "revision",
          JSON.stringify(revision),
        );
      }
      for (const file of ["../config.json", "/etc/passwd", "a/../../b", "a\\b", "", "sub//x"]) {
        await rejectsWith(
          resolveHubModel("acme/tiny", { cacheDir, endpoint: hub.endpoint, files: [file], ...quiet }),
          "INVALID_ARGUMENT",
          JSON.stringify(file),
        );
      }
      await rejectsWith(
        resolveHubModel("acme/tiny", { cacheDir, endpoint: "file:///etc", ...quiet }),
        "INVALID_ARGUMENT",
        "endpoint",
      );
      assert.strictEqual(hub.requests.length, 0);
      assert.ok(!fs.existsSync(cacheDir));
    });

    it("accepts ordinary ids", async () => {
      const { validateRepoId } = await import("../../src/loading/hub");
      for (const id of ["gpt2", "openai-community/gpt2", "TinyLlama/TinyLlama_v1.1", "Qwen/Qwen2.5-0.5B", "a", "a.b/c-d"]) {
        assert.strictEqual(validateRepoId(id), id);
      }
    });

    it("rejects shard names in an index that would escape the snapshot", async () => {
      const scratch = tempDir();
      const cacheDir = path.join(scratch, "cache");
      const repo = shardedRepo("evil");
      repo.files["model.safetensors.index.json"] = Buffer.from(
        JSON.stringify({ weight_map: { w: "../../../../evil.safetensors" } }),
      );
      hub.repos.set("acme/evil", repo);
      await rejectsWith(
        resolveHubModel("acme/evil", { cacheDir, endpoint: hub.endpoint, ...quiet }),
        "INVALID_ARGUMENT",
        "../../../../evil.safetensors",
        "model.safetensors.index.json",
      );
      assert.ok(!listTree(scratch).some((f) => f.includes("evil.safetensors")));
      assert.ok(!fs.existsSync(path.join(cacheDir, "models--acme--evil", "refs", "main")), "no ref for an incomplete snapshot");
    });
  });

  describe("offline", () => {
    it("HF_HUB_OFFLINE=1 answers from the cache without any request", async () => {
      const cacheDir = tempDir();
      const online = await resolveHubModel("acme/sharded", { cacheDir, endpoint: hub.endpoint, ...quiet });
      process.env.HF_HUB_OFFLINE = "1";
      const before = hub.requests.length;
      assert.strictEqual(await resolveHubModel("acme/sharded", { cacheDir, endpoint: hub.endpoint, ...quiet }), online);
      assert.strictEqual(hub.requests.length, before);
    });

    it("offline miss: a clear error naming the repo, revision and cache, and no request", async () => {
      const cacheDir = tempDir();
      process.env.HF_HUB_OFFLINE = "1";
      await rejectsWith(
        resolveHubModel("acme/tiny", { cacheDir, endpoint: hub.endpoint, ...quiet }),
        "OFFLINE",
        "HF_HUB_OFFLINE=1",
        '"acme/tiny"',
        'revision "main"',
        path.join(cacheDir, "models--acme--tiny"),
      );
      delete process.env.HF_HUB_OFFLINE;
      await rejectsWith(
        resolveHubModel("acme/tiny", { cacheDir, endpoint: hub.endpoint, offline: true, ...quiet }),
        "OFFLINE",
        "options.offline",
      );
      assert.strictEqual(hub.requests.length, 0);
    });

    it("offline with an incomplete snapshot names what is missing", async () => {
      const cacheDir = tempDir();
      const dir = await resolveHubModel("acme/sharded", { cacheDir, endpoint: hub.endpoint, ...quiet });
      fs.rmSync(path.join(dir, "model-00002-of-00002.safetensors"));
      await rejectsWith(
        resolveHubModel("acme/sharded", { cacheDir, endpoint: hub.endpoint, offline: true, ...quiet }),
        "OFFLINE",
        "model-00002-of-00002.safetensors",
      );
    });

    it("falls back to a complete cached snapshot when the hub cannot be reached", async () => {
      const cacheDir = tempDir();
      const online = await resolveHubModel("acme/tiny", { cacheDir, endpoint: hub.endpoint, ...quiet });
      const deadEndpoint = `http://127.0.0.1:${await closedPort()}`;
      assert.strictEqual(await resolveHubModel("acme/tiny", { cacheDir, endpoint: deadEndpoint, ...quiet }), online);
      await rejectsWith(resolveHubModel("acme/sharded", { cacheDir, endpoint: deadEndpoint, ...quiet }), "NETWORK", deadEndpoint);
    });
  });

  describe("progress", () => {
    it("a callback gets throttled reports ending at the total", async () => {
      const cacheDir = tempDir();
      const reports: HubProgress[] = [];
      hub.faults.chunkDelayMs = 5;
      await resolveHubModel("acme/tiny", { cacheDir, endpoint: hub.endpoint, progress: (p) => reports.push(p) });
      const weights = reports.filter((r) => r.file === "model.safetensors");
      assert.ok(weights.length >= 2, `several reports (${weights.length})`);
      assert.ok(weights.length < 40, `throttled (${weights.length} reports)`);
      const last = weights[weights.length - 1];
      assert.deepStrictEqual(last, { file: "model.safetensors", downloaded: 300_000, total: 300_000 });
      for (let i = 1; i < weights.length; i++) assert.ok(weights[i].downloaded >= weights[i - 1].downloaded);
      assert.ok(reports.some((r) => r.file === "config.json"));
    });

    it("prints one bar line per file on stderr by default, nothing with progress: false", async () => {
      const written = await captureStderr(() => resolveHubModel("acme/tiny", { cacheDir: tempDir(), endpoint: hub.endpoint }));
      const lines = written.split("\n").filter((l) => l !== "");
      const weights = lines.find((l) => l.includes("model.safetensors"));
      assert.ok(weights !== undefined, written);
      // the last write pads with spaces over a longer earlier one (a faster rate), so trailing spaces are allowed
      assert.match(weights.split("\r").pop()!.trimEnd(), /^model\.safetensors \[#+\] 100% {2}0\.3\/0\.3 MB {2}[\d.]+ MB\/s$/);
      assert.strictEqual(lines.length, 5, `one line per downloaded file:\n${written}`);
      const silent = await captureStderr(() =>
        resolveHubModel("acme/tiny", { cacheDir: tempDir(), endpoint: hub.endpoint, ...quiet }),
      );
      assert.strictEqual(silent, "");
    });

    it("formats bars with and without a known total", () => {
      assert.strictEqual(
        formatBar("x.bin", 50e6, 100e6, 12.5e6),
        `x.bin [${"#".repeat(12)}${".".repeat(12)}]  50%  50.0/100.0 MB  12.5 MB/s`,
      );
      assert.strictEqual(formatBar("x.bin", 1.5e6, undefined, 0), "x.bin  1.5 MB  0.0 MB/s");
    });
  });

  it("two concurrent resolves of the same repo share one download and both succeed", async () => {
    const cacheDir = tempDir();
    const repo = hub.repos.get("acme/tiny")!;
    hub.faults.chunkDelayMs = 5;
    const [a, b] = await Promise.all([
      resolveHubModel("acme/tiny", { cacheDir, endpoint: hub.endpoint, ...quiet }),
      resolveHubModel("acme/tiny", { cacheDir, endpoint: hub.endpoint, ...quiet }),
    ]);
    assert.strictEqual(a, b);
    assert.ok(fs.readFileSync(path.join(a, "model.safetensors")).equals(repo.files["model.safetensors"]));
    assert.strictEqual(hub.seen("/cdn/", "GET").length, 1, "the weights were downloaded once");
    const root = path.join(cacheDir, "models--acme--tiny");
    assert.deepStrictEqual(
      fs.readdirSync(path.join(root, "blobs")).filter((f) => !/^[0-9a-f]{40}([0-9a-f]{24})?$/.test(f)),
      [],
    );
    assert.strictEqual(fs.readFileSync(path.join(root, "refs", "main"), "utf8"), repo.commit);
  });

  it("two resolves of the same repo in separate processes share the cache safely", async () => {
    const cacheDir = tempDir();
    hub.faults.chunkDelayMs = 5;
    const script = `require(${JSON.stringify(path.resolve(__dirname, "../../src/loading/hub"))})
      .resolveHubModel("acme/tiny", { cacheDir: ${JSON.stringify(cacheDir)}, endpoint: ${JSON.stringify(hub.endpoint)}, progress: false })
      .then((dir) => console.log(dir), (err) => { console.error(err); process.exit(1); });`;
    const { spawn } = await import("child_process");
    const run = () =>
      new Promise<string>((resolve, reject) => {
        const child = spawn(process.execPath, ["-e", script], { stdio: ["ignore", "pipe", "pipe"] });
        let out = "";
        let err = "";
        child.stdout.on("data", (d) => (out += d));
        child.stderr.on("data", (d) => (err += d));
        child.on("close", (code) => (code === 0 ? resolve(out.trim()) : reject(new Error(`exit ${code}: ${err}`))));
      });
    const [a, b] = await Promise.all([run(), run()]);
    assert.strictEqual(a, b);
    assert.ok(fs.readFileSync(path.join(a, "model.safetensors")).equals(hub.repos.get("acme/tiny")!.files["model.safetensors"]));
    assert.strictEqual(hub.seen("/cdn/", "GET").length, 1, "the lock file made the second process wait for the first");
  });

  describe("defaults from the environment", () => {
    it("HF_ENDPOINT and HF_HUB_CACHE, then HF_HOME/hub", async () => {
      process.env.HF_ENDPOINT = hub.endpoint;
      process.env.HF_HUB_CACHE = tempDir();
      const dir = await resolveHubModel("acme/tiny", quiet);
      assert.ok(dir.startsWith(path.join(process.env.HF_HUB_CACHE, "models--acme--tiny", "snapshots")), dir);
      delete process.env.HF_HUB_CACHE;
      const dir2 = await resolveHubModel("acme/tiny", quiet);
      assert.ok(dir2.startsWith(path.join(process.env.HF_HOME!, "hub", "models--acme--tiny")), dir2);
    });

    it("defaultCacheDir follows huggingface_hub's precedence", () => {
      const home = require("os").homedir() as string;
      assert.strictEqual(defaultCacheDir({}), path.join(home, ".cache", "huggingface", "hub"));
      assert.strictEqual(defaultCacheDir({ XDG_CACHE_HOME: "/x" }), path.resolve("/x/huggingface/hub"));
      assert.strictEqual(defaultCacheDir({ HF_HOME: "~/hf", XDG_CACHE_HOME: "/x" }), path.join(home, "hf", "hub"));
      assert.strictEqual(defaultCacheDir({ HF_HUB_CACHE: "/c", HF_HOME: "/h" }), path.resolve("/c"));
    });
  });

  describe("tokens", () => {
    it("sends HF_TOKEN to the hub but not to the CDN on another origin", async () => {
      hub.cdnOnOtherOrigin = true;
      process.env.HF_TOKEN = "hf_test_token";
      await resolveHubModel("acme/tiny", { cacheDir: tempDir(), endpoint: hub.endpoint, ...quiet });
      const toHub = hub.requests.filter((r) => r.server === "hub");
      const toCdn = hub.requests.filter((r) => r.server === "cdn");
      assert.ok(toCdn.length === 1);
      assert.ok(toHub.every((r) => r.headers.authorization === "Bearer hf_test_token"));
      assert.ok(toCdn.every((r) => r.headers.authorization === undefined));
    });

    it("reads the token file under HF_HOME; token: false sends none", async () => {
      fs.writeFileSync(path.join(process.env.HF_HOME!, "token"), "hf_from_file\n");
      await resolveHubModel("solo", { cacheDir: tempDir(), endpoint: hub.endpoint, ...quiet });
      assert.ok(hub.requests.every((r) => r.headers.authorization === "Bearer hf_from_file"));
      hub.requests.length = 0;
      await resolveHubModel("solo", { cacheDir: tempDir(), endpoint: hub.endpoint, token: false, ...quiet });
      assert.ok(hub.requests.every((r) => r.headers.authorization === undefined));
      hub.requests.length = 0; // tokens that do not start with hf_ (organisation tokens) are sent as they are
      await resolveHubModel("solo", { cacheDir: tempDir(), endpoint: hub.endpoint, token: "api_org_secret", ...quiet });
      assert.ok(hub.requests.every((r) => r.headers.authorization === "Bearer api_org_secret"));
    });
  });
});

/** A port nothing listens on (bound, then released). */
async function closedPort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const port = (server.address() as net.AddressInfo).port;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/** Runs `fn` while recording what is written to process.stderr (and not passing it on). */
async function captureStderr(fn: () => Promise<unknown>): Promise<string> {
  const original = process.stderr.write;
  let text = "";
  process.stderr.write = ((chunk: string | Uint8Array) => {
    text += typeof chunk === "string" ? chunk : Buffer.from(chunk).toString("utf8");
    return true;
  }) as typeof process.stderr.write;
  try {
    await fn();
  } finally {
    process.stderr.write = original;
  }
  return text;
}
