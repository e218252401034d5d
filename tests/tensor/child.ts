/**
 * Runs src/tensor's backend choice in a fresh Node process (the choice is once per process) and reports the result.
 */
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { REPO_ROOT } from "../support/paths";

/** The shapes of the matMul every child computes: [M, K] x [K, N]. */
export const MATMUL = { m: 33, k: 64, n: 17 };

/** Deterministic test matrix entries in [-0.5, 0.5] (exactly representable as float32 after Math.fround). */
export function entry(i: number, j: number, seed: number): number {
  return Math.fround(0.5 * Math.sin(i * 7.1 + j * 3.3 + seed));
}

/** What a child reports after initBackend() and a matMul (`beforeInit`: backend()'s error, or "no error"). */
export interface ChildReport {
  info: { name: string; package: string; reasonsSkipped: { package: string; reason: string }[] };
  backend: string;
  engineBackend: string;
  backendClass: string;
  beforeInit: string;
  sameInfoTwice: boolean;
  chainedReshape: string;
  matmul: number[];
  tensorsLeft: number;
  coreCopies: number;
}

const CHILD = `
const { MATMUL: { m, k, n }, entry } = require(${JSON.stringify(path.join(REPO_ROOT, "dist/tests/tensor/child.js"))});
const t = require(${JSON.stringify(path.join(REPO_ROOT, "dist/src/tensor"))});
const attempt = (fn) => { try { return JSON.stringify(fn()); } catch (e) { return "ERROR " + e.message; } };
console.log("IMPORT " + JSON.stringify({
  backend: attempt(() => t.backend()),
  op: attempt(() => t.tf.tidy(() => t.tf.ones([2]).mul(2).arraySync())),
  engineBackend: t.tf.getBackend() ?? null,
}));
(async () => {
  let beforeInit = "no error";
  try { t.backend(); } catch (e) { beforeInit = e.message; }
  const info = await t.initBackend();
  const again = await t.initBackend();
  t.noteSlowBackendOnce(); // what loadModel calls: at most one line on stderr per process
  t.noteSlowBackendOnce();
  const { tf } = t;
  const start = tf.memory().numTensors;
  const values = tf.tidy(() => {
    const a = tf.tensor2d(Array.from({ length: m }, (_, i) => Array.from({ length: k }, (_, j) => entry(i, j, 1))));
    const b = tf.tensor2d(Array.from({ length: k }, (_, i) => Array.from({ length: n }, (_, j) => entry(i, j, 2))));
    return Array.from(tf.matMul(a, b).dataSync());
  });
  const report = {
    info, backend: t.backend(), engineBackend: tf.engine().backendName, backendClass: tf.engine().backend.constructor.name,
    beforeInit, sameInfoTwice: info === again, chainedReshape: typeof tf.zeros([2, 2]).reshape,
    matmul: values, tensorsLeft: tf.memory().numTensors - start - 1,
    coreCopies: Object.keys(require.cache).filter((f) => /@tensorflow.tfjs-core.dist.tf-core\\.node\\.js$/.test(f)).length,
  };
  console.log("REPORT " + JSON.stringify(report));
})().catch((e) => { console.error("ERROR " + e.message); process.exit(3); });
`;

/** What the child saw right after importing src/tensor, before initBackend(): each value JSON, or "ERROR <message>". */
export interface ImportReport {
  backend: string;
  op: string;
  engineBackend: string | null;
}

/** Options for a child run. */
export interface ChildOptions {
  /** TSLENS_BACKEND for the child; undefined removes it. */
  backend?: string;
  /** Make require("<package>") throw this message in the child, as a broken install would. */
  breakPackage?: { name: string; message: string };
}

/** The child's exit status, its report (when it succeeded) and its error line (when it failed). */
export interface ChildResult {
  status: number | null;
  atImport?: ImportReport;
  report?: ChildReport;
  error?: string;
  stdout: string;
  stderr: string;
}

/** Runs CHILD in a fresh process with the given TSLENS_BACKEND. */
export function runChild(options: ChildOptions = {}): ChildResult {
  const env: NodeJS.ProcessEnv = { ...process.env };
  delete env.TSLENS_BACKEND;
  if (options.backend !== undefined) env.TSLENS_BACKEND = options.backend;
  const args: string[] = [];
  let tmp: string | undefined;
  if (options.breakPackage) {
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), "tslens-tensor-"));
    const preload = path.join(tmp, "break.js");
    const { name, message } = options.breakPackage;
    fs.writeFileSync(
      preload,
      `const Module = require("module"); const load = Module._load;
       Module._load = function (request, ...rest) {
         if (request === ${JSON.stringify(name)}) throw new Error(${JSON.stringify(message)});
         return load.call(this, request, ...rest);
       };`,
    );
    args.push("--require", preload);
  }
  const child = spawnSync(process.execPath, [...args, "-e", CHILD], { env, encoding: "utf8", timeout: 120_000 });
  if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
  const line = (prefix: string, text: string) =>
    text
      .split("\n")
      .find((l) => l.startsWith(prefix))
      ?.slice(prefix.length);
  const reportLine = line("REPORT ", child.stdout ?? "");
  const importLine = line("IMPORT ", child.stdout ?? "");
  return {
    status: child.status,
    atImport: importLine ? (JSON.parse(importLine) as ImportReport) : undefined,
    report: reportLine ? (JSON.parse(reportLine) as ChildReport) : undefined,
    error: line("ERROR ", child.stderr ?? ""),
    stdout: child.stdout ?? "",
    stderr: child.stderr ?? "",
  };
}
