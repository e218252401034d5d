/**
 * Kernelspec installation: writes kernels/tslens/kernel.json with absolute
 * node and script paths, so Jupyter finds the kernel without PATH lookups.
 */
import { execFileSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { PACKAGE_ROOT } from "./resolve";

/** Where to install: the user's Jupyter data dir, a Python prefix, or an explicit prefix. */
export type InstallTarget = { kind: "user" } | { kind: "sys-prefix" } | { kind: "prefix"; dir: string };

/** The kernel.json tslens registers. */
export function kernelSpec(): Record<string, unknown> {
  return {
    argv: [process.execPath, path.join(PACKAGE_ROOT, "bin", "tslens.js"), "kernel", "{connection_file}"],
    display_name: "TypeScript (tslens)",
    language: "typescript",
    interrupt_mode: "signal",
    metadata: { debugger: false },
  };
}

/** The user-level Jupyter data directory, as jupyter_core computes it. */
function userDataDir(): string {
  if (process.env.JUPYTER_DATA_DIR) return process.env.JUPYTER_DATA_DIR;
  if (process.platform === "darwin") return path.join(os.homedir(), "Library", "Jupyter");
  if (process.platform === "win32") return path.join(process.env.APPDATA ?? os.homedir(), "jupyter");
  return path.join(process.env.XDG_DATA_HOME ?? path.join(os.homedir(), ".local", "share"), "jupyter");
}

/** The prefix of the active Python environment (virtualenv, conda, or python3 on PATH). */
function pythonPrefix(): string {
  if (process.env.VIRTUAL_ENV) return process.env.VIRTUAL_ENV;
  if (process.env.CONDA_PREFIX) return process.env.CONDA_PREFIX;
  try {
    return execFileSync("python3", ["-c", "import sys; print(sys.prefix)"], { encoding: "utf8" }).trim();
  } catch (err) {
    throw new Error(`--sys-prefix needs an active Python environment or python3 on PATH: ${(err as Error).message}`);
  }
}

/** Directory that will hold kernel.json for `name` under `target`. */
export function kernelDir(target: InstallTarget, name = "tslens"): string {
  const dataDir =
    target.kind === "user"
      ? userDataDir()
      : path.join(target.kind === "prefix" ? path.resolve(target.dir) : pythonPrefix(), "share", "jupyter");
  return path.join(dataDir, "kernels", name);
}

/** Writes the kernelspec; returns the directory written. */
export function installKernelSpec(target: InstallTarget, name = "tslens"): string {
  const dir = kernelDir(target, name);
  fs.mkdirSync(dir, { recursive: true });
  const tmp = path.join(dir, `.kernel.json.${process.pid}`);
  fs.writeFileSync(tmp, JSON.stringify(kernelSpec(), null, 1) + "\n");
  fs.renameSync(tmp, path.join(dir, "kernel.json"));
  return dir;
}
