/**
 * Backend choice, once per process: native TensorFlow (tfjs-node-gpu, tfjs-node) → wasm → cpu, or exactly the one
 * named by the TSLENS_BACKEND environment variable.
 *
 * The choice starts when tslens is imported (chooseBackendAtImport). A backend that starts synchronously (native,
 * cpu) is active before the import returns, so the first op runs on it and backend() answers. wasm needs an async
 * init: it is started at import, and until initBackend() resolves every tensor op fails with an error saying to
 * await it, rather than running on tfjs's default cpu backend. The kernel awaits initBackend() before the first cell.
 */
import { activate, activateNow, BACKEND_NAMES, BackendName, CANDIDATES, Candidate, reasonOf } from "./candidates";
import { tf } from "./tf";

/** A candidate package initBackend() passed over, and why. */
export interface SkippedBackend {
  /** The npm package that was tried. */
  readonly package: string;
  /** One line: "not installed", the load error, or the initialisation failure. */
  readonly reason: string;
}

/** What initBackend() chose. */
export interface BackendInfo {
  /** The active tfjs backend. */
  readonly name: BackendName;
  /** The npm package that provides it. */
  readonly package: string;
  /** Faster candidates that could not load, in the order they were tried (empty when the first one worked). */
  readonly reasonsSkipped: readonly SkippedBackend[];
}

/** The environment variable that forces one backend. */
export const BACKEND_ENV = "TSLENS_BACKEND";

let chosen: BackendInfo | undefined;
let pending: Promise<BackendInfo> | undefined;

/** The backend TSLENS_BACKEND asks for, or undefined when it is unset or empty; throws on an unknown name. */
function requestedBackend(): BackendName | undefined {
  const raw = (process.env[BACKEND_ENV] ?? "").trim();
  if (raw === "") return undefined;
  const name = raw.toLowerCase();
  if ((BACKEND_NAMES as readonly string[]).includes(name)) return name as BackendName;
  throw new Error(
    `${BACKEND_ENV}="${raw}" is not a backend tslens knows: use ${BACKEND_NAMES.join(", ")}, ` +
      `or leave it unset to pick the fastest that loads`,
  );
}

/** The error when none of the allowed candidates could load; `skipped` says why each one failed. */
function noBackendError(requested: BackendName | undefined, skipped: readonly SkippedBackend[]): Error {
  const why = skipped.map((s) => `${s.package}: ${s.reason}`).join("; ");
  return new Error(
    requested === undefined
      ? `no tfjs backend could load (${why})`
      : `${BACKEND_ENV}=${requested}: the "${requested}" backend cannot load (${why})`,
  );
}

/** The candidates TSLENS_BACKEND allows, in preference order. */
function allowedCandidates(requested: BackendName | undefined): readonly Candidate[] {
  return CANDIDATES.filter((c) => requested === undefined || c.name === requested);
}

/** Tries `candidates` in order (after `skipped` ones) and activates the first that works. */
async function choose(
  requested: BackendName | undefined,
  candidates: readonly Candidate[],
  skipped: SkippedBackend[],
): Promise<BackendInfo> {
  for (const candidate of candidates) {
    try {
      await activate(candidate);
      return { name: candidate.name, package: candidate.package, reasonsSkipped: skipped };
    } catch (err) {
      skipped.push({ package: candidate.package, reason: reasonOf(err) });
    }
  }
  throw noBackendError(requested, skipped);
}

/** Chooses from the start; TSLENS_BACKEND is read now. */
function chooseAll(): Promise<BackendInfo> {
  let requested: BackendName | undefined;
  try {
    requested = requestedBackend();
  } catch (err) {
    return Promise.reject(err);
  }
  return choose(requested, allowedCandidates(requested), []);
}

/** Records a finished choice and lets tensor ops through again. */
function adopt(info: BackendInfo): BackendInfo {
  chosen = info;
  unblockOps();
  return info;
}

/** Makes `choice` the pending one: adopted when it succeeds; when it fails, ops say why and a later call retries. */
function track(choice: Promise<BackendInfo>): Promise<BackendInfo> {
  pending = choice.then(adopt, (err: unknown) => {
    pending = undefined;
    blockOps(reasonOf(err));
    throw err;
  });
  return pending;
}

/**
 * Picks and activates the tfjs backend for this process; safe to call many times (later calls return the first
 * result). Honors TSLENS_BACKEND=tensorflow|wasm|cpu; an explicit choice that cannot load is an error naming the
 * backend and why. A failed call may be retried.
 */
export function initBackend(): Promise<BackendInfo> {
  if (chosen) return Promise.resolve(chosen);
  return pending ?? track(chooseAll());
}

/** The active backend's name ("tensorflow" | "wasm" | "cpu"); throws if initBackend() has not finished. */
export function backend(): BackendName {
  return backendInfo().name;
}

/** Which backend initBackend() chose, from which package, and why faster ones were skipped. */
export function backendInfo(): BackendInfo {
  if (!chosen) throw new Error("no tfjs backend yet: await initBackend() first");
  return chosen;
}

let slowBackendNoted = false;

/**
 * Says once per process, on stderr, that tslens runs on a slower backend because native TensorFlow did not load
 * (not when TSLENS_BACKEND chose it), naming why and the command that builds the native backend offline.
 */
export function noteSlowBackendOnce(): void {
  if (slowBackendNoted || !chosen || chosen.name === "tensorflow" || requestedBackend() !== undefined) return;
  slowBackendNoted = true;
  const why = chosen.reasonsSkipped
    .filter((s) => s.package === "@tensorflow/tfjs-node")
    .map((s) => `${s.package}: ${s.reason}`)
    .join("; ");
  console.warn(
    `tslens: running on the ${chosen.name} backend, because native TensorFlow did not load (${why || "skipped"}). ` +
      "`npx tslens build-native` builds it offline; it is several times faster.",
  );
}

/** The fields of tfjs's Engine the op guard reads and shadows (backendInstance is private in its typings). */
type GuardedEngine = { backendInstance: unknown; backend?: unknown };

/** The engine's own `backend` getter, which every op and tensor creation goes through. */
const engineBackend = Object.getOwnPropertyDescriptor(Object.getPrototypeOf(tf.engine()), "backend")?.get;

/**
 * Makes tensor ops throw `message` while no backend is active (instead of tfjs silently picking cpu); ops go through
 * once a backend is active, even before the choice is recorded.
 */
function blockOps(message: string): void {
  const engine = tf.engine() as unknown as GuardedEngine;
  if (!engineBackend) return;
  Object.defineProperty(engine, "backend", {
    configurable: true,
    get() {
      if (engine.backendInstance != null) return engineBackend.call(engine);
      throw new Error(message);
    },
  });
}

/** Removes blockOps's guard. */
function unblockOps(): void {
  delete (tf.engine() as unknown as GuardedEngine).backend;
}

/**
 * Starts the choice when tslens is imported: activates the first allowed candidate that starts synchronously, so
 * the next line's ops run on it; if the next one to try is wasm, starts its async init and blocks ops until it is
 * ready. Never throws: a failure is reported by initBackend() and by the first op.
 */
export function chooseBackendAtImport(): void {
  let requested: BackendName | undefined;
  try {
    requested = requestedBackend();
  } catch (err) {
    blockOps(reasonOf(err));
    return;
  }
  const candidates = allowedCandidates(requested);
  const skipped: SkippedBackend[] = [];
  for (const [i, candidate] of candidates.entries()) {
    if (!candidate.synchronous) {
      const waitFor = `tslens is still starting the "${candidate.name}" tfjs backend`;
      blockOps(`${waitFor}: \`await initBackend()\` (from "tslens") before the first tensor operation`);
      // A failure is reported by initBackend() and by the first op, not as an unhandled rejection.
      track(choose(requested, candidates.slice(i), skipped)).catch(() => undefined);
      return;
    }
    try {
      activateNow(candidate);
      adopt({ name: candidate.name, package: candidate.package, reasonsSkipped: skipped });
      return;
    } catch (err) {
      skipped.push({ package: candidate.package, reason: reasonOf(err) });
    }
  }
  blockOps(noBackendError(requested, skipped).message);
}
