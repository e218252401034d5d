/**
 * The page's tfjs backend: wasm by default (its binaries are embedded in the bundle, so a page needs no server),
 * WebGL on request or when "auto" finds it on a GPU, and tfjs's plain JS backend ("cpu") on request or as the last
 * resort. Chosen once
 * per page: a model's tensors live on the backend they were made on.
 */
import * as tf from "@tensorflow/tfjs-core";
import { setWasmPaths } from "@tensorflow/tfjs-backend-wasm";
import "@tensorflow/tfjs-backend-webgl";
import "@tensorflow/tfjs-backend-cpu";
import plainWasm from "@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm.wasm";
import simdWasm from "@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm-simd.wasm";

/** A backend a page can compute on. */
export type LiveBackendName = "wasm" | "webgl" | "cpu";

/**
 * What initLiveBackend() is asked for: one backend, or "auto": WebGL when the page has it on a GPU with float32
 * rendering, else wasm, else cpu.
 */
export type LiveBackendRequest = LiveBackendName | "auto";

/** A backend that was tried and passed over, and why. */
export interface SkippedLiveBackend {
  readonly package: string;
  readonly reason: string;
}

/** What initLiveBackend() chose. */
export interface LiveBackendInfo {
  readonly name: LiveBackendName;
  /** The npm package that provides it. */
  readonly package: string;
  /** Backends tried before it, and why they could not start. */
  readonly skipped: readonly SkippedLiveBackend[];
}

const PACKAGES: Record<LiveBackendName, string> = {
  wasm: "@tensorflow/tfjs-backend-wasm",
  webgl: "@tensorflow/tfjs-backend-webgl",
  cpu: "@tensorflow/tfjs-backend-cpu",
};

let chosen: LiveBackendInfo | undefined;
let pending: { request: LiveBackendRequest; choice: Promise<LiveBackendInfo> } | undefined;
let wasmPathsSet = false;

/** Points tfjs's wasm loader at the embedded binaries (blob: URLs, so nothing is fetched from a server). */
function useEmbeddedWasm(): void {
  if (wasmPathsSet) return;
  const url = (bytes: Uint8Array) => URL.createObjectURL(new Blob([bytes as BlobPart], { type: "application/wasm" }));
  const simd = url(simdWasm);
  // The threaded build needs a worker script and a cross-origin-isolated page; the embedded binaries are one-threaded.
  tf.env().set("WASM_HAS_MULTITHREAD_SUPPORT", false);
  setWasmPaths({
    "tfjs-backend-wasm.wasm": url(plainWasm),
    "tfjs-backend-wasm-simd.wasm": simd,
    "tfjs-backend-wasm-threaded-simd.wasm": simd,
  });
  wasmPathsSet = true;
}

/** A software WebGL renderer: slower than wasm for every model, so "auto" passes it over. */
const SOFTWARE_RENDERER = /swiftshader|llvmpipe|software|basic render/i;

/** The WebGL renderer's name, when the browser tells it ("" otherwise). */
function webGlRenderer(): string {
  try {
    const gl = document.createElement("canvas").getContext("webgl2") ?? document.createElement("canvas").getContext("webgl");
    if (!gl) return "";
    const info = gl.getExtension("WEBGL_debug_renderer_info");
    return String(gl.getParameter(info ? info.UNMASKED_RENDERER_WEBGL : gl.RENDERER) ?? "");
  } catch {
    return "";
  }
}

/**
 * True when this page has WebGL on a GPU that renders float32 (so its numbers match wasm's to float precision);
 * software renderers do not count.
 */
function hasGpuWebGl(): boolean {
  try {
    const float32 = tf.env().getNumber("WEBGL_VERSION") > 0 && tf.env().getBool("WEBGL_RENDER_FLOAT32_ENABLED");
    return float32 && !SOFTWARE_RENDERER.test(webGlRenderer());
  } catch {
    return false;
  }
}

/** The first line of an error's message. */
function reasonOf(err: unknown): string {
  const message =
    err instanceof Error ? err.message : typeof err === "object" && err && "message" in err ? String(err.message) : String(err);
  return message.split("\n").find((line) => line.trim()) ?? "unknown error";
}

/** Makes `name` tfjs's active backend; throws why it could not start (tfjs reports that as warnings). */
async function activate(name: LiveBackendName): Promise<void> {
  if (name === "wasm") useEmbeddedWasm();
  const warnings: string[] = [];
  const warn = console.warn;
  console.warn = (...args: unknown[]) => void warnings.push(args.map(String).join(" "));
  let ok = false;
  try {
    ok = await tf.setBackend(name);
  } catch (err) {
    warnings.push(reasonOf(err));
  } finally {
    console.warn = warn;
  }
  if (!ok || tf.getBackend() !== name)
    throw new Error(warnings.filter((w) => w.trim()).join(": ") || `tfjs could not start ${name}`);
}

/** The order "auto" and each single request try backends in. */
function candidates(request: LiveBackendRequest): LiveBackendName[] {
  if (request !== "auto") return [request];
  return hasGpuWebGl() ? ["webgl", "wasm", "cpu"] : ["wasm", "cpu"];
}

/** Tries the candidates of `request` in order and keeps the first that starts. */
async function choose(request: LiveBackendRequest): Promise<LiveBackendInfo> {
  const skipped: SkippedLiveBackend[] = [];
  for (const name of candidates(request)) {
    try {
      await activate(name);
      chosen = { name, package: PACKAGES[name], skipped };
      return chosen;
    } catch (err) {
      skipped.push({ package: PACKAGES[name], reason: reasonOf(err) });
    }
  }
  const why = skipped.map((s) => `${s.package}: ${s.reason}`).join("; ");
  throw new Error(`no tfjs backend could start in this page for "${request}" (${why})`);
}

/**
 * Chooses the page's backend once: `request`, or with none the backend already chosen, else "wasm". Asking for
 * another backend once one is chosen (or being chosen) is an error: the loaded models' tensors live on the first.
 * A failed choice may be retried.
 */
export function initLiveBackend(request?: LiveBackendRequest): Promise<LiveBackendInfo> {
  if (request !== undefined && !["wasm", "webgl", "cpu", "auto"].includes(request))
    return Promise.reject(new Error(`unknown backend ${JSON.stringify(request)}: use "wasm", "webgl", "cpu" or "auto"`));
  const switching = (had: string) =>
    Promise.reject(new Error(`this page already computes on "${had}"; it cannot switch to "${request}"`));
  if (chosen)
    return request === undefined || request === "auto" || request === chosen.name
      ? Promise.resolve(chosen)
      : switching(chosen.name);
  if (pending) return request === undefined || request === pending.request ? pending.choice : switching(pending.request);
  const wanted = request ?? "wasm";
  const choice = choose(wanted).finally(() => (pending = undefined));
  pending = { request: wanted, choice };
  return choice;
}

/** The backend chosen so far, or undefined. */
export function chosenBackend(): LiveBackendInfo | undefined {
  return chosen;
}
