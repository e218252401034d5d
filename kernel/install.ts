/**
 * Installation into a Jupyter data directory (the user's, a Python prefix's, or an explicit prefix's):
 * - kernels/tslens/kernel.json, with absolute node and script paths, so Jupyter finds the kernel
 *   without PATH lookups;
 * - labextensions/tslens-widgets/, the views' prebuilt JupyterLab extension (widgets/labextension),
 *   where JupyterLab looks for prebuilt extensions (as pip packages and `jupyter labextension develop` place them).
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

/** The Jupyter data directory of `target` (holds kernels/ and labextensions/). */
export function dataDir(target: InstallTarget): string {
  if (target.kind === "user") return userDataDir();
  return path.join(target.kind === "prefix" ? path.resolve(target.dir) : pythonPrefix(), "share", "jupyter");
}

/** Directory that will hold kernel.json for `name` under `target`. */
export function kernelDir(target: InstallTarget, name = "tslens"): string {
  return path.join(dataDir(target), "kernels", name);
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

/** The views' JupyterLab extension: its package name, and where the package holds it prebuilt. */
export const LAB_EXTENSION = { name: "tslens-widgets", prebuilt: path.join(PACKAGE_ROOT, "widgets", "labextension") };

/**
 * Copies the prebuilt extension into <data dir>/labextensions/tslens-widgets/ (replacing an older copy whole);
 * returns the directory written. Throws, naming the folder, when the package holds no prebuilt extension.
 */
export function installLabExtension(target: InstallTarget, source = LAB_EXTENSION.prebuilt): string {
  const manifest = path.join(source, "package.json");
  const built = fs.existsSync(manifest) && fs.existsSync(path.join(source, "static"));
  if (!built || (JSON.parse(fs.readFileSync(manifest, "utf8")) as { name?: string }).name !== LAB_EXTENSION.name)
    throw new Error(
      `the prebuilt JupyterLab extension is missing: ${source} should hold ${LAB_EXTENSION.name}'s package.json and static/ ` +
        `(in a checkout, "npm run setup" builds it; an installed package ships it — reinstall tslens)`,
    );
  const parent = path.join(dataDir(target), "labextensions");
  const dir = path.join(parent, LAB_EXTENSION.name);
  fs.mkdirSync(parent, { recursive: true });
  const staging = fs.mkdtempSync(path.join(parent, `.${LAB_EXTENSION.name}-`));
  try {
    fs.cpSync(source, staging, { recursive: true });
    // What `jupyter labextension list` shows as the extension's origin, and how to remove it.
    const installInfo = {
      packageManager: "npm",
      packageName: "tslens",
      uninstallInstructions: `Remove ${dir} (and the tslens kernelspec: jupyter kernelspec remove tslens)`,
    };
    fs.writeFileSync(path.join(staging, "install.json"), JSON.stringify(installInfo, null, 1) + "\n");
    fs.rmSync(dir, { recursive: true, force: true });
    fs.renameSync(staging, dir);
  } finally {
    fs.rmSync(staging, { recursive: true, force: true });
  }
  return dir;
}
