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
  /** Whether tfjs can make it the active backend at once (native, cpu) or only after an async init (wasm). */
  readonly synchronous: boolean;
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
  {
    name: "tensorflow",
    package: "@tensorflow/tfjs-node-gpu",
    load: () => loadNative("@tensorflow/tfjs-node-gpu"),
    synchronous: true,
  },
  {
    name: "tensorflow",
    package: "@tensorflow/tfjs-node",
    load: () => loadNative("@tensorflow/tfjs-node"),
    synchronous: true,
  },
  { name: "wasm", package: "@tensorflow/tfjs-backend-wasm", load: loadWasm, synchronous: false },
  {
    name: "cpu",
    package: "@tensorflow/tfjs-backend-cpu",
    load: () => void requirePackage("@tensorflow/tfjs-backend-cpu"),
    synchronous: true,
  },
];

/** Loads a candidate's package and checks it registered `candidate.name` with *our* tfjs-core. */
function load(candidate: Candidate): void {
  candidate.load();
  assertOneTfjsCore(candidate.package);
  if (!tf.findBackendFactory(candidate.name)) throw new Error(`it did not register a "${candidate.name}" backend`);
}

/** Collects console.warn calls into `warnings` (tfjs reports init failures there) until the returned restore runs. */
function collectWarnings(warnings: string[]): () => void {
  const warn = console.warn;
  console.warn = (...args: unknown[]) => void warnings.push(args.map(String).join(" "));
  return () => void (console.warn = warn);
}

/** After tfjs switched (or failed to switch) to `candidate`: replays its warnings, or throws why it failed. */
function settle(candidate: Candidate, ok: boolean, warnings: string[]): void {
  const engine = tf.engine();
  if (ok && tf.getBackend() === candidate.name && engine.registry[candidate.name] !== undefined) {
    for (const w of warnings) console.warn(w);
    // The cpu backend's one-time "install tfjs-node" banner is noise here: tslens chose cpu knowingly.
    if (candidate.name === "cpu") Object.assign(tf.backend(), { firstUse: false });
    return;
  }
  const why = warnings.filter((w) => w.trim()).join(": ") || "tfjs could not initialise it";
  throw new Error(`initialising the "${candidate.name}" backend failed: ${why}`);
}

/**
 * Loads a candidate and makes it tfjs's active backend; throws an Error whose message is the reason it cannot.
 * Checks that the package registered with *our* tfjs-core: a second copy of tfjs-core would silently leave `tf`
 * on another backend.
 */
export async function activate(candidate: Candidate): Promise<void> {
  load(candidate);
  const warnings: string[] = [];
  const restore = collectWarnings(warnings);
  let ok: boolean;
  try {
    ok = await tf.setBackend(candidate.name);
  } finally {
    restore();
  }
  settle(candidate, ok, warnings);
}

/**
 * activate() for a synchronous candidate, done when it returns. Throws, as activate() does, when the candidate
 * cannot load.
 */
export function activateNow(candidate: Candidate): void {
  if (!candidate.synchronous) throw new Error(`the "${candidate.name}" backend can only start asynchronously`);
  load(candidate);
  const warnings: string[] = [];
  const restore = collectWarnings(warnings);
  try {
    // With a synchronous factory, tfjs's setBackend has switched (or failed) before it returns its promise;
    // settle() reads the outcome from the engine.
    tf.setBackend(candidate.name).catch(() => undefined);
  } finally {
    restore();
  }
  settle(candidate, true, warnings);
}

/** The first line of an error's message: enough to say why, without a stack of internals. */
export function reasonOf(err: unknown): string {
  const message = err instanceof Error ? err.message : String(err);
  return message.split("\n").find((line) => line.trim()) ?? "unknown error";
}
