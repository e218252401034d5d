/**
 * The backends tslens can run on, fastest first, and how each one's package is loaded and registered.
 */
import * as path from "path";
import { assertOneTfjsCore, tf } from "./tf";

/** Name of a tfjs backend tslens supports, as tfjs itself names it. */
export type BackendName = "tensorflow" | "wasm" | "cpu";

/** Every supported backend name, in the order initBackend() tries them. */
export const BACKEND_NAMES: readonly BackendName[] = ["tensorflow", "wasm", "cpu"];

/** One way to get a backend: the npm package that provides it and what must run before tfjs can activate it. */
export interface Candidate {
  /** The tfjs backend this package registers. */
  readonly name: BackendName;
  /** The npm package loaded for it. */
  readonly package: string;
  /** Loads the package so that `name` is registered with our tfjs-core; throws (with the reason) when it cannot. */
  readonly load: () => void;
}

/** Loads a package; a missing package becomes "not installed" instead of a resolver stack. */
function requirePackage(pkg: string): unknown {
  try {
    return require(pkg);
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    if (e.code === "MODULE_NOT_FOUND" && e.message.includes(`'${pkg}'`)) throw new Error("not installed");
    throw err;
  }
}

/** The tfjs-backend-wasm loader: the .wasm files sit in the package's dist/ folder (Node cannot fetch them by URL). */
function loadWasm(): void {
  const wasm = requirePackage("@tensorflow/tfjs-backend-wasm") as typeof import("@tensorflow/tfjs-backend-wasm");
  const dist = path.dirname(require.resolve("@tensorflow/tfjs-backend-wasm"));
  wasm.setWasmPaths(dist + path.sep);
}

/** Loads a tfjs-node flavour; TensorFlow's C++ INFO/WARNING lines stay quiet unless TF_CPP_MIN_LOG_LEVEL says otherwise. */
function loadNative(pkg: string): void {
  process.env.TF_CPP_MIN_LOG_LEVEL ??= "2";
  requirePackage(pkg);
}

/** All candidates, in preference order: native TensorFlow (GPU build, then CPU build), then wasm, then plain JS. */
export const CANDIDATES: readonly Candidate[] = [
  { name: "tensorflow", package: "@tensorflow/tfjs-node-gpu", load: () => loadNative("@tensorflow/tfjs-node-gpu") },
  { name: "tensorflow", package: "@tensorflow/tfjs-node", load: () => loadNative("@tensorflow/tfjs-node") },
  { name: "wasm", package: "@tensorflow/tfjs-backend-wasm", load: loadWasm },
  { name: "cpu", package: "@tensorflow/tfjs-backend-cpu", load: () => void requirePackage("@tensorflow/tfjs-backend-cpu") },
];

/**
 * Loads a candidate and makes it tfjs's active backend; throws an Error whose message is the reason it cannot.
 * Checks that the package registered with *our* tfjs-core: a second copy of tfjs-core would silently leave `tf`
 * on another backend.
 */
export async function activate(candidate: Candidate): Promise<void> {
  candidate.load();
  assertOneTfjsCore(candidate.package);
  if (!tf.findBackendFactory(candidate.name)) throw new Error(`it did not register a "${candidate.name}" backend`);
  const warn = console.warn;
  const warnings: string[] = [];
  console.warn = (...args: unknown[]) => void warnings.push(args.map(String).join(" "));
  let ok: boolean;
  try {
    ok = await tf.setBackend(candidate.name);
  } finally {
    console.warn = warn;
  }
  if (ok && tf.getBackend() === candidate.name) {
    for (const w of warnings) warn(w);
    // The cpu backend's one-time "install tfjs-node" banner is noise here: tslens chose cpu knowingly.
    if (candidate.name === "cpu") Object.assign(tf.backend(), { firstUse: false });
  } else {
    const why = warnings.filter((w) => w.trim()).join(": ") || "tfjs could not initialise it";
    throw new Error(`initialising the "${candidate.name}" backend failed: ${why}`);
  }
}

/** The first line of an error's message: enough to say why, without a stack of internals. */
export function reasonOf(err: unknown): string {
  const message = err instanceof Error ? err.message : String(err);
  return message.split("\n").find((line) => line.trim()) ?? "unknown error";
}
