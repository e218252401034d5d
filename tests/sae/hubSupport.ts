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

/**
 * A cfg.json as sae-lens before 6.0 wrote it (the fields jbloom/GPT2-Small-SAEs-Reformatted's configs have: `hook_point`,
 * `hook_point_layer`, a torch dtype, no architecture, no sae-lens version) for fixture `fixture`, plus `extra`.
 */
export function legacyConfig(fixture: string, extra: Record<string, unknown> = {}): Record<string, unknown> {
  const modern = JSON.parse(fs.readFileSync(path.join(SAE_FIXTURES, fixture, "cfg.json"), "utf8")) as {
    d_in: number;
    d_sae: number;
    metadata: { hook_name: string };
  };
  const hookPoint = modern.metadata.hook_name;
  return {
    d_in: modern.d_in,
    d_sae: modern.d_sae,
    hook_point: hookPoint,
    hook_point_layer: Number(/^blocks\.(\d+)\./.exec(hookPoint)?.[1] ?? 0),
    hook_point_head_index: null,
    model_name: "gpt2-tiny",
    dataset_path: "Skylion007/openwebtext",
    context_size: 128,
    dtype: "torch.float32",
    device: "mps",
    b_dec_init_method: "geometric_median",
    lr: 0.0004,
    l1_coefficient: 8e-5,
    ...extra,
  };
}

/** "jbloom-style/GPT2-Tiny-SAEs-Reformatted": the standard fixture's weights under a pre-6.0 cfg.json. */
export function legacyRepo(): FakeRepo {
  const weights = fs.readFileSync(path.join(SAE_FIXTURES, "standard", "sae_weights.safetensors"));
  return {
    commit: commitFor("jbloom-style"),
    files: {
      "blocks.1.hook_resid_pre/cfg.json": Buffer.from(JSON.stringify(legacyConfig("standard"))),
      "blocks.1.hook_resid_pre/sae_weights.safetensors": weights,
      "blocks.1.hook_resid_pre/sparsity.safetensors": bytes(11_000, 7),
    },
  };
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
    this.hub.repos.set("jbloom-style/GPT2-Tiny-SAEs-Reformatted", legacyRepo());
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
