/**
 * Notebook 09 runs gpt2 from the Hugging Face hub unless TSLENS_NB09_MODEL names a stand-in. Without the variable and
 * without the hub (unreachable, or offline mode) and with gpt2 not in the cache, its first cell must stop the notebook
 * with one short error that says how to run it offline, and no stack trace.
 */
import { strict as assert } from "assert";
import { execFile } from "child_process";
import * as fs from "fs";
import * as net from "net";
import * as os from "os";
import * as path from "path";
import { REPO_ROOT, venvBin } from "../support/paths";

const NOTEBOOK = path.join(REPO_ROOT, "notebooks", "09-gpt2-head-4-11.ipynb");

/** The fields of run_notebooks.py's summary this test reads. */
interface Summary {
  error: string | null;
  error_outputs: { ename: string; evalue: string; traceback: string[] }[];
  executed_structure: string[][];
}

/** A local port nothing listens on (bound, then released), so a request to it is refused at once. */
function refusedPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.on("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

/** Runs notebook 09 under nbclient with the hub settings `hubEnv`, an empty Hugging Face cache and no stand-in named. */
function runWithout(hubEnv: Record<string, string>): Promise<Summary> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "tslens-nb09-offline-"));
  const env: NodeJS.ProcessEnv = { ...process.env, HF_HOME: path.join(dir, "hf-home"), ...hubEnv };
  for (const name of ["TSLENS_NB09_MODEL", "HF_HUB_CACHE", "HUGGINGFACE_HUB_CACHE", "HF_HUB_OFFLINE", "TRANSFORMERS_OFFLINE"])
    if (!(name in hubEnv)) delete env[name];
  return new Promise((resolve, reject) => {
    execFile(
      venvBin("python"),
      [path.join(REPO_ROOT, "tests", "jupyter", "run_notebooks.py"), dir, NOTEBOOK],
      { env, encoding: "utf8", maxBuffer: 64 * 1024 * 1024, timeout: 240_000 },
      (err, stdout) => {
        fs.rmSync(dir, { recursive: true, force: true });
        if (err) reject(err);
        else resolve((JSON.parse(stdout) as Summary[])[0]);
      },
    );
  });
}

/** Checks that the notebook stopped in its first cell with the one-line ModelUnavailable error naming `cause`. */
function assertExplained(summary: Summary, cause: RegExp): void {
  assert.ok(summary.error, "the notebook ran to the end without its model");
  assert.equal(summary.error_outputs.length, 1, JSON.stringify(summary.error_outputs));
  const [{ ename, evalue, traceback }] = summary.error_outputs;
  assert.equal(ename, "ModelUnavailable", `${ename}: ${evalue}`);
  assert.match(evalue, /^"gpt2" cannot be loaded: the Hugging Face hub is out of reach and the model is not in the cache/);
  assert.match(evalue, cause);
  assert.ok(evalue.includes("TSLENS_NB09_MODEL=attn-only-2l jupyter lab"), evalue);
  assert.deepEqual(traceback, [`ModelUnavailable: ${evalue}`], "a stack trace under the message");
  assert.deepEqual(summary.executed_structure[0], ["error"], "the first code cell holds the error, and only it");
}

describe("notebook 09 without the hub and without TSLENS_NB09_MODEL", function () {
  this.timeout(300_000);
  let unreachable: Summary;
  let offline: Summary;

  before(async function () {
    const port = await refusedPort();
    [unreachable, offline] = await Promise.all([
      runWithout({ HF_ENDPOINT: `http://127.0.0.1:${port}` }),
      runWithout({ HF_HUB_OFFLINE: "1" }),
    ]);
  });

  it("the hub unreachable: the first cell stops with one line saying how to run on a stand-in", function () {
    assertExplained(unreachable, /ECONNREFUSED/);
  });

  it("offline mode (HF_HUB_OFFLINE=1): the same message, naming offline mode", function () {
    assertExplained(offline, /Offline mode \(HF_HUB_OFFLINE=1\)/);
  });
});
