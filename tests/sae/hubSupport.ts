/**
 * Hub SAE tests: a fake hub (tests/loading/hub-support) serving SAELens-style release repositories built from the
 * sae-lens fixtures (tests/fixtures/saes/<name>/), and the options that point loadSae at it.
 */
import * as fs from "fs";
import * as path from "path";
import { bytes, FakeHub, FakeRepo } from "../loading/hub-support/fake-hub";
import { commitFor, isolateEnv, removeTempDirs, tempDir } from "../loading/hub-support/fixtures";
import { SAE_FIXTURES } from "./support";

/** The SAE fixture files a release folder holds (reference.safetensors is the test's own, not part of an SAE). */
function saeFiles(fixture: string, folder: string): Record<string, Buffer> {
  const prefix = folder === "" ? "" : `${folder}/`;
  const files: Record<string, Buffer> = {};
  for (const file of ["cfg.json", "sae_weights.safetensors"])
    files[prefix + file] = fs.readFileSync(path.join(SAE_FIXTURES, fixture, file));
  return files;
}

/**
 * "saelens/tiny-saes": a release with one SAE per folder, a nested folder, a sparsity file and a README that must
 * not be downloaded, a folder with cfg.json but no weights, and a folder in another format (params.npz).
 */
export function releaseRepo(): FakeRepo {
  return {
    commit: commitFor("tiny-saes"),
    revisions: ["v1"],
    files: {
      "README.md": Buffer.from("# tiny SAEs\n"),
      ...saeFiles("standard", "blocks.1.hook_resid_pre"),
      "blocks.1.hook_resid_pre/sparsity.safetensors": bytes(12_000, 5),
      ...saeFiles("jumprelu", "blocks.0.hook_resid_pre"),
      ...saeFiles("topk", "layer_1/width_64/topk"),
      "cfg-only/cfg.json": fs.readFileSync(path.join(SAE_FIXTURES, "standard", "cfg.json")),
      "npz-format/params.npz": bytes(2_000, 6),
    },
  };
}

/** "saelens/root-sae": one SAE (the transcoder fixture) at the repository's root. */
export function rootRepo(): FakeRepo {
  return { commit: commitFor("root-sae"), files: { ...saeFiles("transcoder", ""), "README.md": Buffer.from("root\n") } };
}

/** A started fake hub with both repositories, a hermetic HF environment and a fresh cache folder. */
export class HubSaeFixture {
  hub!: FakeHub;
  cacheDir = "";
  private restoreEnv: () => void = () => {};

  /** Call in beforeEach. */
  async setUp(): Promise<void> {
    this.restoreEnv = isolateEnv();
    this.hub = await new FakeHub().start();
    this.hub.repos.set("saelens/tiny-saes", releaseRepo());
    this.hub.repos.set("saelens/root-sae", rootRepo());
    this.cacheDir = tempDir("tslens-sae-hub-");
  }

  /** Call in afterEach. */
  async tearDown(): Promise<void> {
    await this.hub.stop();
    this.restoreEnv();
    removeTempDirs();
  }

  /** loadSae options for the fake hub and this cache, silent. */
  get options(): { endpoint: string; cacheDir: string; progress: false } {
    return { endpoint: this.hub.endpoint, cacheDir: this.cacheDir, progress: false };
  }

  /** The requests seen since `from`, as "METHOD /path" without the query. */
  requestsSince(from: number): string[] {
    return this.hub.requests.slice(from).map((r) => `${r.method} ${r.path.split("?")[0]}`);
  }
}
