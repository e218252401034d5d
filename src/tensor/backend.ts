/**
 * Backend choice, once per process: native TensorFlow (tfjs-node-gpu, tfjs-node) → wasm → cpu, or exactly the one
 * named by the TSLENS_BACKEND environment variable.
 */
import { activate, BACKEND_NAMES, BackendName, CANDIDATES, reasonOf } from "./candidates";

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

/** Tries the candidates in order and activates the first that works. */
async function choose(): Promise<BackendInfo> {
  const requested = requestedBackend();
  const candidates = CANDIDATES.filter((c) => requested === undefined || c.name === requested);
  const skipped: SkippedBackend[] = [];
  for (const candidate of candidates) {
    try {
      await activate(candidate);
      return { name: candidate.name, package: candidate.package, reasonsSkipped: skipped };
    } catch (err) {
      skipped.push({ package: candidate.package, reason: reasonOf(err) });
    }
  }
  const why = skipped.map((s) => `${s.package}: ${s.reason}`).join("; ");
  throw new Error(
    requested === undefined
      ? `no tfjs backend could load (${why})`
      : `${BACKEND_ENV}=${requested}: the "${requested}" backend cannot load (${why})`,
  );
}

/**
 * Picks and activates the tfjs backend for this process; safe to call many times (later calls return the first
 * result). Honors TSLENS_BACKEND=tensorflow|wasm|cpu; an explicit choice that cannot load is an error naming the
 * backend and why. A failed call may be retried.
 */
export function initBackend(): Promise<BackendInfo> {
  pending ??= choose().then(
    (info) => (chosen = info),
    (err: unknown) => {
      pending = undefined;
      throw err;
    },
  );
  return pending;
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
