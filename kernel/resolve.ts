/**
 * Makes `import ... from "tslens"` work in any notebook run by this kernel,
 * wherever the notebook is on disk:
 * - at run time, a failed resolution of "tslens" (or "tslens/…") is retried
 *   from inside this package, where the package's self-reference applies;
 * - for type checking, tslab's compiler looks for `<cwd>/node_modules/tslens`;
 *   when no real copy exists there or above, those paths are served from this package.
 * A copy of tslens the notebook installs itself always takes precedence.
 */
import * as fs from "fs";
import Module from "module";
import * as path from "path";

/** Root folder of this package (holds package.json). */
export const PACKAGE_ROOT = path.resolve(__dirname, "..", "..");
const NAME = "tslens";

type ResolveFilename = (request: string, parent: unknown, isMain: boolean, options?: unknown) => string;

function isOwnRequest(request: string): boolean {
  return request === NAME || request.startsWith(`${NAME}/`);
}

/** Adds the run-time fallback to Node's module resolution. */
export function installRuntimeResolution(): void {
  const mod = Module as unknown as { _resolveFilename: ResolveFilename };
  const original = mod._resolveFilename;
  mod._resolveFilename = function (request, parent, isMain, options) {
    try {
      return original.call(this, request, parent, isMain, options);
    } catch (err) {
      if (!isOwnRequest(request)) throw err;
      return original.call(this, request, module, isMain, options);
    }
  };
}

/** True when `dir` or one of its ancestors has node_modules/tslens. */
function hasInstalledCopy(dir: string): boolean {
  for (let d = path.resolve(dir); ; d = path.dirname(d)) {
    if (fs.existsSync(path.join(d, "node_modules", NAME))) return true;
    if (path.dirname(d) === d) return false;
  }
}

interface FileSystemHost {
  fileExists(p: string): boolean;
  directoryExists(p: string): boolean;
  readFile(p: string, encoding?: string): string | undefined;
  readDirectory(p: string, ...rest: unknown[]): string[];
  realpath?(p: string): string;
}

/** Serves `<cwd>/node_modules/tslens/**` from this package to tslab's TypeScript host. */
export function installTypeResolution(cwd: string): void {
  if (hasInstalledCopy(cwd)) return;
  const tslabRequire = Module.createRequire(require.resolve("tslab/package.json"));
  const ts = tslabRequire("@tslab/typescript-for-tslab") as { sys: FileSystemHost };
  const virtualRoot = path.join(path.resolve(cwd), "node_modules", NAME);
  const forward = (p: string): string => {
    const rel = path.relative(virtualRoot, p);
    return rel.startsWith("..") || path.isAbsolute(rel) ? p : path.join(PACKAGE_ROOT, rel);
  };
  const sys = ts.sys;
  const { fileExists, directoryExists, readFile, readDirectory } = sys;
  sys.fileExists = (p) => fileExists.call(sys, forward(p));
  sys.directoryExists = (p) => directoryExists.call(sys, forward(p));
  sys.readFile = (p, encoding) => readFile.call(sys, forward(p), encoding);
  sys.readDirectory = (p, ...rest) => readDirectory.call(sys, forward(p), ...rest);
}
